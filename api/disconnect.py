"""Cancel an evaluation when its HTTP client goes away (SPEC section 6).

A client that closes its connection before the answer (a browser tab closed, a preview
superseded by the next keystroke, a proxy timing out) no longer needs the evaluation, and a
`while (true) {}` with a 30 s budget would otherwise hold its slot for all of it. The route
runs the service call beside a watch on the ASGI `receive` channel: once the request body has
been read, the server's next message is `http.disconnect`, sent when the connection closes.
Whichever comes first wins; a disconnect cancels the service call, and the service stops the
sandbox and frees the slot (see `EvaluationService`).

Why the ASGI message and not `Request.is_disconnected()`: that is a poll, so the route would
have to wake up every few milliseconds per request to ask; the message arrives by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from starlette.types import Receive

__all__ = ["unless_disconnected"]

T = TypeVar("T")


async def _disconnected(receive: Receive) -> None:
    """Return when the server reports that the client went away (the body is read already)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def unless_disconnected(receive: Receive, work: Awaitable[T]) -> tuple[bool, T | None]:
    """Await `work` unless the client disconnects first, which cancels it.

    Returns (True, its result), or (False, None) when the client went away. Exceptions of
    `work` (ServiceBusy, ...) propagate as if it had been awaited directly.
    """
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the server itself is stopping this request
        task.cancel()
        raise
    finally:
        watch.cancel()
    if watch.done() and not watch.cancelled():
        watch.exception()  # a receive channel that broke: the client is gone all the same
    if task.done():
        return True, task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False, None
