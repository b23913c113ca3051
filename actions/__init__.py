"""The action server: one module per skill over a thin data layer (actions/data).

Start with `python -m actions.server -p 5055` (rasa_sdk's server, accepting only calls Rasa signed).
"""
