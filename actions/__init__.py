"""The action server: one module per skill over a thin data layer (actions/data).

Start with `python -m actions.serve -p 5055` (rasa_sdk with this project's start-up; see actions/serve.py).
"""
