"""Knowing, capability-neutrally, whether an evaluation has asked the host to act outside it.

When a worker process dies, the supervisor runs again the evaluations that were on it, but
only those that made no outbound request: running one that did would repeat what it did (a
POST, a query). Which requests are outbound is each capability's business; that a capability
was asked for something at all is visible at one seam, the first time the driver hands a
capability session records. `announce_first_use` wraps the capabilities of one evaluation so
that this moment calls `on_first_use()` once, before the records reach the session, so the
supervisor hears of it (a frame on the worker's socket) before anything can leave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from evaluator.capabilities import CapabilitySession, HostCapability

__all__ = ["announce_first_use"]


class _Once:
    """Calls `callback` the first time it is called, from whichever thread."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback: Callable[[], None] | None = callback
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            callback, self._callback = self._callback, None
        if callback is not None:
            callback()


class _AnnouncingSession:
    def __init__(self, session: CapabilitySession, once: _Once) -> None:
        self._session = session
        self._once = once

    def handle(self, records: list[dict[str, Any]]) -> None:
        if records:
            self._once()
        self._session.handle(records)

    def take_deliveries(self) -> list[dict[str, Any]]:
        return self._session.take_deliveries()

    def busy(self) -> bool:
        return self._session.busy()

    def close(self) -> list[dict[str, Any]]:
        return self._session.close()


class _AnnouncingCapability:
    def __init__(self, capability: HostCapability, once: _Once) -> None:
        self.channel = capability.channel
        self.shim = capability.shim
        self.result_field = capability.result_field
        self._capability = capability
        self._once = once

    def open_session(self, wake: threading.Event, deadline: float) -> CapabilitySession:
        return _AnnouncingSession(self._capability.open_session(wake, deadline), self._once)


def announce_first_use(
    capabilities: Sequence[HostCapability], on_first_use: Callable[[], None]
) -> list[HostCapability]:
    """`capabilities` for one evaluation: the first records handed to any of their sessions
    call `on_first_use()` first (once)."""
    once = _Once(on_first_use)
    return [_AnnouncingCapability(capability, once) for capability in capabilities]
