"""Where fetches run: one asyncio loop thread per process, and what it shares.

Requests come from driver threads (one per evaluation); each is handed to this loop with
`asyncio.run_coroutine_threadsafe`. The loop thread also owns what is worth sharing between
evaluations because it holds no user state: the verifying TLS context (loading the CA bundle
costs ~20 ms) and the OS resolver. httpx's and httpcore's loggers are silenced on this thread:
they would log URLs and headers, and no user data may reach the logs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import threading

import httpx

__all__ = ["LoopThread", "shared_ssl_context", "system_resolver", "warm_up"]

logger = logging.getLogger("jseval.fetch")

_LOOP_THREAD_NAME = "jseval-fetch"


class _QuietOnFetchThread(logging.Filter):
    """Drops httpx/httpcore records made on the fetch thread: httpx logs every request's URL
    (query string included) at INFO, httpcore logs hosts and response headers at DEBUG, and
    no user data may reach the logs. Other users of httpx in the process keep their logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _LOOP_THREAD_NAME


_QUIET = _QuietOnFetchThread()
for _name in (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
):
    logging.getLogger(_name).addFilter(_QUIET)


class LoopThread:
    """One asyncio loop per process, started on first use (and again after a fork)."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid: int | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=_LOOP_THREAD_NAME, daemon=True
                )
                thread.start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One verifying context per process (loading the CA bundle costs ~20 ms); loop thread only."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context(trust_env=False)
    return _ssl_context


async def system_resolver(hostname: str, port: int) -> list[str]:
    """The OS resolver (getaddrinfo), TCP answers only, in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(hostname, port, type=0, proto=6)
    return [str(info[4][0]) for info in infos]



async def warm_up() -> None:
    try:
        shared_ssl_context()
        import anyio  # httpcore's socket layer, imported on its first connect otherwise

        await anyio.sleep(0)
    except Exception as exc:  # a failed warm-up only means the first fetch pays for it
        logger.debug("fetch warm-up failed kind=%s", type(exc).__name__)

