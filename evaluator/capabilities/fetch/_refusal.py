"""`FetchRefused`: how every part of fetch's host half says no, in words code may read."""

from __future__ import annotations

__all__ = ["FetchRefused", "shown"]

_MAX_SHOWN = 60  # longest piece of user input quoted in a reason


class FetchRefused(Exception):
    """A fetch the policy (or URL parsing) refuses; `reason` is the public text after
    `fetch failed: `. Never leaves evaluator.capabilities.fetch, which turns it into a rejection."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shown(text: str) -> str:
    """User input quoted in a reason: short, printable."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
