"""Host capabilities: the Python halves of the shims that ask the host to do something.

A capability is one unit, its JavaScript in `shims/<unit>/` and its host half here in
`evaluator/capabilities/<unit>/` (fetch today; queries and libraries plug in the same way). The
driver (`evaluator/_sandbox.py`) knows only this protocol: a capability names the outbox
channel its shim writes records to, and each evaluation gets one session that takes those
records, does the work off the isolate's thread, and hands results back to be delivered.

`default_capabilities(settings)` is the one registry: the in-process `Evaluator`, the
`LocalService` and the worker processes all offer exactly these.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from evaluator.settings import Settings

__all__ = ["CapabilitySession", "HostCapability", "default_capabilities"]


class CapabilitySession(Protocol):
    """The host half of one capability for one evaluation."""

    def handle(self, records: list[dict[str, Any]]) -> None:
        """New requests from the sandbox (the capability's outbox channel)."""

    def take_deliveries(self) -> list[dict[str, Any]]:
        """Results ready for the sandbox; the driver hands them over in a `deliver` op."""

    def busy(self) -> bool:
        """Whether work is outstanding (the driver keeps waiting for it)."""

    def close(self) -> list[dict[str, Any]]:
        """Cancel what is outstanding; return the capability's records for the result."""


class HostCapability(Protocol):
    """A capability's host half: one session per evaluation, fed from an outbox channel."""

    channel: str

    def open_session(self, wake: threading.Event, deadline: float) -> CapabilitySession: ...


def default_capabilities(settings: Settings) -> list[HostCapability]:
    """The host capabilities every evaluation gets: one place, so the in-process Evaluator, the
    LocalService and the worker processes offer the same sandbox."""
    from evaluator.capabilities.fetch import FetchCapability  # httpx only once engines exist

    return [FetchCapability(settings)]
