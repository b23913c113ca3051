"""Only calls that Rasa signed reach an action: a POST to /webhook must carry a valid
HMAC-SHA256 of its body made with BOT_ACTION_SECRET (core.signing), else 401 and no
action runs. So the identity an action reads from the tracker (metadata.client_id) is
one that Rasa's channel verified. Every answer to a signed call is signed back
(core.signing.sign_response), so Rasa knows the events and replies came from here."""

from __future__ import annotations

import logging
import zlib

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core import signing

log = logging.getLogger(__name__)


def install_signature_check(app: Sanic, secret: str) -> None:
    @app.on_request
    async def signed_only(request: Request):
        if request.path != "/webhook":
            return None
        body = request.body or b""
        if request.headers.get("Content-Encoding") == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                return response.json({"error": "bad body"}, status=400)
        if not signing.verify(body, request.headers, secret):
            log.warning("action server: refused an unsigned or wrongly signed call from %s", request.ip)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.on_response
    async def sign_answer(request: Request, answer: HTTPResponse) -> None:
        if request.path != "/webhook" or answer.status != 200 or not isinstance(answer.body, bytes):
            return  # (an unsigned call got its 401 above and is not here)
        request_signature = request.headers.get(signing.SIGNATURE_HEADER, "")
        answer.headers[signing.RESPONSE_SIGNATURE_HEADER] = signing.sign_response(
            answer.body, request_signature, secret
        )
