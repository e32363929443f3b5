"""How fetch's host half fails: one exception, a kind and the reason code may read.

Every failure a fetch can meet becomes a `FetchFailure` at the layer that knows what happened:
the policy and the URL parser refuse (`FetchRefused`), the transport translates httpx's and
httpcore's exceptions in one place (`_transport.translated_errors`), the body reader reports a
response too large or undecodable. The session turns a failure into the rejection JavaScript
sees, `TypeError: fetch failed: <reason>`, and logs only its kind.
"""

from __future__ import annotations

__all__ = ["FetchFailure", "FetchRefused", "shown"]

_MAX_SHOWN = 60  # longest piece of user input quoted in a reason


class FetchFailure(Exception):
    """A fetch that did not complete. `kind` is one of "refused", "network", "timeout",
    "limit" (for logs and metrics); `reason` is the public text after `fetch failed: `."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class FetchRefused(FetchFailure):
    """A fetch the policy (or URL parsing) refuses."""

    def __init__(self, reason: str) -> None:
        super().__init__("refused", reason)


def shown(text: str) -> str:
    """User input quoted in a reason: short, printable."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
