"""The action server: one module per skill over a thin data layer (actions/data).

Start with `rasa run actions --actions actions`.
"""
