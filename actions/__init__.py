"""The action server: one module per skill over a thin data layer (actions/data).

Start with `python -m actions -p 5055` (rasa_sdk with a request-size limit; see actions/__main__.py).
"""
