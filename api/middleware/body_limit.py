"""413 for a request body over `JSEVAL_MAX_REQUEST_BYTES`, decided before the body is read whole.

The first check in the documented order (413, 401, 422, 503; docs/API.md), so this middleware
sits outside authentication:

- a `Content-Length` over the limit is refused at once, without reading a byte of the body;
- a `Content-Length` within the limit passes through untouched (the HTTP server already holds
  the client to it, so the body cannot grow past it) and costs nothing;
- a body without `Content-Length` (chunked) is read here chunk by chunk, counting, and refused as
  soon as the count passes the limit; a body within the limit is handed on as it came. Reading it
  here, before authentication, is what makes 413 win over 401 for chunked bodies too; at most
  `max_bytes` are ever held.

The 413 answer carries `Connection: close`, because the rest of an oversized body is never read.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    """Refuse HTTP request bodies larger than `max_bytes` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is None and "transfer-encoding" not in headers:  # no body (HTTP/1.1 framing)
            await self.app(scope, receive, send)
            return
        if length is not None:
            try:
                too_large = int(length) > self.max_bytes
            except ValueError:  # the HTTP server rejects a malformed length before us
                too_large = False
            if too_large:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                messages.append(message)
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Request body too large: at most {self.max_bytes} bytes are accepted"},
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
