"""Found by rasa_sdk's action server (`rasa run actions` imports `rasa_sdk_plugins`
when it is on the path and calls `init_hooks`): the action server's extensions —
GET /metrics, per-action metrics and the request id on its log lines — live in
actions/server.py, attached through rasa_sdk's own `attach_sanic_app_extensions` hook."""

from __future__ import annotations

from typing import Any


def init_hooks(manager: Any) -> None:
    from actions import server

    manager.register(server)
