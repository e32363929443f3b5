"""500 for anything unexpected, without leaking internals to the client or the log.

Sandbox failures never get here: the engine turns them into `ok: false` results (kind
`internal`), and the evaluation routes do the same for an unexpected error of the service. This
is for bugs in the API layer itself. Starlette's own `ServerErrorMiddleware` would answer too,
but it re-raises, and the server then logs the exception's message, which may quote request
data; here the log gets the exception's type and where it was raised (file, line and function
of each frame: no message, no source line, no local variable), and the client a fixed
`{"detail": ...}`.
"""

from __future__ import annotations

import logging
import traceback

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LastResortMiddleware"]

logger = logging.getLogger("jseval.api")


class LastResortMiddleware:
    """Turn an exception escaping the app into a plain 500 and a content-free log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the boundary: nothing escapes to the server
            frames = "\n".join(
                f"  {frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(exc.__traceback__)
            )
            logger.error("unhandled %s in the API\n%s", type(exc).__name__, frames)
            if started:  # headers are out: all we can do is end the response
                return
            response = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
            await response(scope, receive, send)
