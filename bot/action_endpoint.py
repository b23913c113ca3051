"""The action endpoint as an `EndpointConfig` subclass: Rasa's supported seam for how a
custom action is called, used instead of patching `EndpointConfig` for every endpoint.

- Actions listed under `in_process` in endpoints.yml run in this process
  (bot/inprocess_actions.py): the knowledge actions only rank over the index this
  process already holds, so an HTTP round trip was most of their cost.
- Every other action goes to the action server over one kept-alive aiohttp session
  per event loop (Rasa opens a new session and TCP connection per action), signed:
  an HMAC-SHA256 of the body with BOT_ACTION_SECRET (core.signing), without which the
  action server runs nothing. Its answer is taken only when the action server signed
  it for this call (else a 502, which Rasa reports as the action failing); a signed
  answer is a `SignedResult`, which Rasa's schema check lets through as rasa_sdk's.
- A request is sent again only when no byte of it can have reached the server:
  connecting failed. A kept-alive connection that the server closed meanwhile could
  also have carried a request the server ran, so that error is retried only for the
  actions endpoints.yml lists as `idempotent`. The session's idle connections are
  dropped after 2 s, before the action server's 5 s keep-alive timeout closes them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any, Dict, Optional

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, EndpointConfig, concat_url

from bot.inprocess_actions import InProcessActions, TrustedResult
from core import signing
from core.settings import get_settings

log = logging.getLogger(__name__)

IDEMPOTENT = "idempotent"  # the key under action_endpoint in endpoints.yml
KEEPALIVE_S = 2.0


def signed(kwargs: Dict[str, Any], secret: str) -> Dict[str, Any]:
    """The request's JSON body as bytes, with the signature headers for those bytes."""
    if "json" not in kwargs:
        return kwargs
    body = json.dumps(kwargs.pop("json")).encode()
    headers = {**(kwargs.pop("headers", None) or {}), **signing.sign(body, secret)}
    return {**kwargs, "data": body, "headers": headers}


class SignedResult(TrustedResult):
    """An answer the action server signed for the call it answers."""


class _Borrowed:
    """`async with` over a session that stays open afterwards."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


class ActionEndpoint(EndpointConfig):
    """The action server's endpoint, with in-process actions and a kept-alive session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_process = InProcessActions(self.kwargs.get("in_process") or ())
        self.idempotent = frozenset(self.kwargs.get(IDEMPOTENT) or ())
        self._sessions: Dict[int, aiohttp.ClientSession] = {}
        self.secret = get_settings().action_secret

    @classmethod
    def wrap(cls, endpoint: Optional[EndpointConfig]) -> Optional[ActionEndpoint]:
        if endpoint is None or isinstance(endpoint, cls):
            return endpoint
        return cls(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **({"type": endpoint.type} if endpoint.type else {}),
            **endpoint.kwargs,
        )

    def copy(self) -> ActionEndpoint:
        return ActionEndpoint.wrap(super().copy()) or self

    def session(self) -> Any:
        loop_id = id(asyncio.get_running_loop())
        session = self._sessions.get(loop_id)
        if session is None or session.closed:
            session = self._sessions[loop_id] = aiohttp.ClientSession(
                headers=self.headers,
                auth=aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
            )
        return _Borrowed(session)

    async def request(self, method: str = "post", subpath: Optional[str] = None, **kwargs: Any) -> Any:
        call = kwargs.get("json")
        if self.in_process.runs(call):
            return await self.in_process.run(call)
        if "json" not in kwargs:
            return await super().request(method, subpath, **kwargs)
        kwargs = signed(kwargs, self.secret)
        try:
            return await self._signed_call(method, subpath, kwargs)
        except aiohttp.ClientConnectorError:
            log.info("action server: connecting failed, trying once more")
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):  # the request may have arrived
            name = call.get("next_action") if isinstance(call, dict) else None
            if name not in self.idempotent:
                raise
            log.info("action server: connection dropped; %s is idempotent, sending again", name)
        await self._drop_session()
        return await self._signed_call(method, subpath, kwargs)

    async def _signed_call(self, method: str, subpath: Optional[str], kwargs: Dict[str, Any]) -> Any:
        """EndpointConfig.request for a signed body (`signed`), whose answer must be signed back."""
        kwargs = dict(kwargs)
        headers = {"Content-Type": "application/json", **kwargs.pop("headers"), **(self.headers or {})}
        url = concat_url(self.url, subpath)
        async with self.session() as session:
            async with session.request(
                method,
                url,
                headers=headers,
                params=self.combine_parameters(kwargs),
                ssl=ssl.create_default_context(cafile=self.cafile) if self.cafile else None,
                **kwargs,
            ) as response:
                if response.status >= 400:
                    raise ClientResponseError(response.status, response.reason, await response.content.read())
                body = await response.read()
                signature = response.headers.get(signing.RESPONSE_SIGNATURE_HEADER, "")
        if not signing.verify_response(body, headers[signing.SIGNATURE_HEADER], signature, self.secret):
            log.error("action server: an answer without a valid signature from %s was refused", url)
            raise ClientResponseError(502, "answer not signed by the action server", b"")
        return SignedResult(json.loads(body))

    async def _drop_session(self) -> None:
        stale = self._sessions.pop(id(asyncio.get_running_loop()), None)
        if stale is not None:
            await stale.close()

    async def close(self, *_: Any) -> None:
        """Close this event loop's kept-alive session (an `after_server_stop` listener)."""
        await self._drop_session()
