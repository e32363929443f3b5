"""Host capabilities: the Python halves of the shims that ask the host to do something.

A capability is one unit, its JavaScript in `shims/<unit>/` and its host half here in
`evaluator/capabilities/<unit>/` (fetch today; queries and libraries plug in the same way). The
driver (`evaluator/_sandbox.py`) knows only this protocol, never a capability by name:

- the shim writes records to an outbox *channel* (`HostCapability.channel`); every reply of the
  runtime carries `channels: {name: [records]}` and the driver hands each list to the session
  of the capability registered for that channel;
- the session does the work off the isolate's thread and offers results
  (`take_deliveries()`); the driver posts them back in a `deliver` op, and the runtime routes
  them to the capability's *JS half* (`HostCapability.shim`: the runtime module that exports
  `deliver(items)`, `inFlight()` and, optionally, `sweep()`);
- when the evaluation ends, `close()` returns the session's records, which go to the result
  field the capability names (`HostCapability.result_field`); several capabilities may share
  one (queries that the host runs are counted in `fetches` too).

Two registries, both here: `default_capabilities(settings)` (the host halves every evaluation
gets: the in-process `Evaluator`, the `LocalService` and the worker processes offer exactly
these) and `runtime_tables()` (the rule tables the runtime's shims read, sent to every isolate
at `prepare`, so that each rule has one source: Python).

A third, synchronous seam serves texts the runtime must have at once, in the middle of a task
(a library's source at the first read of its global): `HostTexts.encoded_text(key)`, answered on
the isolate's thread while JavaScript waits (see `shims/core/05_host.js` `readText`).
"""

from __future__ import annotations

import sys
import threading
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from evaluator.settings import Settings

__all__ = [
    "CapabilitySession",
    "EncodedText",
    "HostCapability",
    "HostTexts",
    "default_capabilities",
    "encode_text",
    "runtime_tables",
]


class CapabilitySession(Protocol):
    """The host half of one capability for one evaluation."""

    def handle(self, records: list[dict[str, Any]]) -> None:
        """New requests from the sandbox (the records of the capability's channel)."""

    def take_deliveries(self) -> list[dict[str, Any]]:
        """Results ready for the sandbox; the driver hands them over in a `deliver` op."""

    def busy(self) -> bool:
        """Whether work is outstanding (the driver keeps waiting for it)."""

    def close(self) -> list[dict[str, Any]]:
        """Cancel what is outstanding; return the capability's records for the result."""


class HostCapability(Protocol):
    """A capability's host half: one session per evaluation, fed from its channel.

    Attributes:
        channel: the outbox channel its shim writes records to (and deliveries come back on).
        shim: the runtime module that receives deliveries (exports `deliver`, `inFlight`).
        result_field: the `EvaluationResult` field its records go to.
    """

    channel: str
    shim: str
    result_field: str

    def open_session(self, wake: threading.Event, deadline: float) -> CapabilitySession: ...


class EncodedText(NamedTuple):
    """A text as the runtime's read channel carries it: Latin-1 bytes, or UTF-16 code units in
    this machine's byte order (`wide`) when the text has characters past U+00FF."""

    data: bytes
    wide: bool


def encode_text(text: str) -> EncodedText:
    """Encode `text` for the read channel; lone surrogates pass through as code units."""
    try:
        return EncodedText(text.encode("latin-1"), False)
    except UnicodeEncodeError:
        codec = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
        return EncodedText(text.encode(codec, "surrogatepass"), True)


class HostTexts(Protocol):
    """Texts the runtime reads synchronously, by key. Called on the isolate's thread while
    JavaScript waits: it must be quick, must not raise, and must not call into the isolate."""

    def encoded_text(self, key: str) -> EncodedText | None: ...


def default_capabilities(settings: Settings) -> list[HostCapability]:
    """The host capabilities every evaluation gets: one place, so the in-process Evaluator, the
    LocalService and the worker processes offer the same sandbox."""
    from evaluator.capabilities.fetch import FetchCapability  # httpx only once engines exist

    return [FetchCapability(settings)]


@cache
def runtime_tables() -> dict[str, Any]:
    """Rule tables by unit (`{"fetch": {...}}`), for the runtime: JSON data handed to every
    isolate when it is prepared. A unit's shims read theirs from `boot.host.tables.<unit>`."""
    from evaluator.capabilities.fetch import _rules as fetch_rules

    return {"fetch": fetch_rules.runtime_tables()}
