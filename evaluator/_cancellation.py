"""`Cancellation`: stop one evaluation from another thread, because nobody waits for it any more.

An HTTP client that disconnects (SPEC section 6), a cancelled `aevaluate()` or a supervisor's
CANCEL frame all end the same way: the evaluation's `Cancellation` is cancelled. Cancelled
before the engine took a sandbox, the evaluation never starts; while it runs, the engine's
sandbox is stopped at once (`Sandbox.cancel`: the running JavaScript is terminated, nothing is
flushed) and the engine returns, which frees the caller's slot. The result it returns then is
a failure nobody reads.
"""

from __future__ import annotations

import threading
from typing import Protocol

__all__ = ["Cancellation"]


class _Stoppable(Protocol):
    def cancel(self) -> None: ...


class Cancellation:
    """A thread-safe, one-way cancel switch for one evaluation."""

    __slots__ = ("_cancelled", "_lock", "_target")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._target: _Stoppable | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Cancel the evaluation (idempotent): stop what runs now, refuse what would start."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            target = self._target
        if target is not None:
            target.cancel()

    def attach(self, target: _Stoppable) -> bool:
        """Route a later `cancel()` to `target`; False (nothing attached) if cancelled already."""
        with self._lock:
            if self._cancelled:
                return False
            self._target = target
            return True

    def detach(self) -> None:
        with self._lock:
            self._target = None

    def __repr__(self) -> str:
        return f"<Cancellation cancelled={self._cancelled}>"
