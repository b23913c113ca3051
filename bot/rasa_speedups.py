"""Measured fixes for Rasa 3.6's custom-action overhead.

Rasa validates every action-server response with `jsonschema.validate`, which
re-checks the (large, constant) events schema itself on every call: about 20 ms
per custom action on this machine, more than NLU and retrieval together. Here
the schema is checked once and a compiled validator is reused; responses are
validated exactly as before (same schema, same error message).
"""
from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Dict, Text

import aiohttp
from jsonschema import ValidationError
from jsonschema.validators import validator_for

import rasa.core.actions.action as rasa_action
from rasa.utils.endpoints import EndpointConfig


@lru_cache(maxsize=1)
def _validator():
    schema = rasa_action.RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{rasa_action.DOCS_BASE_URL}/custom-actions"
        )
        raise e




# -- keep-alive to the action server ----------------------------------------------------
# Rasa opens a new aiohttp session (and TCP connection) for every custom action. One
# session per endpoint and event loop is reused instead; a request that finds its
# kept-alive connection closed (action server restarted) is sent once more on a new one.
_sessions: Dict[tuple, aiohttp.ClientSession] = {}


class _Borrowed:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> bool:
        return False  # the shared session stays open


def _shared_session(self: EndpointConfig) -> _Borrowed:
    key = (id(asyncio.get_event_loop()), id(self))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _sessions[key] = _new_session(self)
    return _Borrowed(session)


async def _request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    try:
        return await _original_request(self, *args, **kwargs)
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
        stale = _sessions.pop((id(asyncio.get_event_loop()), id(self)), None)
        if stale is not None:
            await stale.close()
        return await _original_request(self, *args, **kwargs)


_new_session = EndpointConfig.session
_original_request = EndpointConfig.request


def install() -> None:
    rasa_action.RemoteAction._validate_action_result = _validate_action_result
    EndpointConfig.session = _shared_session
    EndpointConfig.request = _request
