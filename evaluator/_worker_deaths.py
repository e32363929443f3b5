"""How the supervisor accounts for a worker that died: the wait before its replacement, the
words and the signal of the one log line, and the counts behind `jseval_worker_crashes_total`.

Why a wait at all: a worker that keeps dying (a V8 abort on every warm-up, an attacker sending
fatal code, a host out of memory) was respawned at full speed, a fresh interpreter and V8 each
time, and the respawns took the CPU the surviving workers needed. As systemd's restart limits
and Kubernetes' CrashLoopBackOff do, the replacement of a slot whose workers keep dying waits,
doubling each time: none after a first death, then 0.25 s, 0.5 s, ... up to 5 s. A worker that
lived STABLE_S (30 s) counts as healthy: its slot starts again from no wait.

Metric labels are bounded sets: `reason` is crash (died by itself), start (died or stalled before
it was ready), memory (killed past its RSS limit) or timeout (killed past a hard deadline);
`signal` is one of the fatal signals below, `other`, or `none` (it exited with a status).
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass
from typing import Literal

__all__ = ["DeathReason", "WorkerDeaths", "exit_description", "signal_label"]

DeathReason = Literal["crash", "start", "memory", "timeout"]

STABLE_S = 30.0
_BACKOFF_FIRST_S = 0.25
_BACKOFF_MAX_S = 5.0
_SIGNALS = frozenset(
    {"SIGSEGV", "SIGABRT", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP", "SIGKILL", "SIGTERM"}
)


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def signal_label(returncode: int | None) -> str:
    """The metric's `signal` label for a process's exit status (a bounded set)."""
    if returncode is None or returncode >= 0:
        return "none"
    name = _signal_name(returncode)
    return name if name in _SIGNALS else "other"


def exit_description(returncode: int | None) -> str:
    """How the process ended, for the log line: `killed by SIGSEGV`, `exited with status 1`."""
    if returncode is None:
        return "did not exit"
    if returncode < 0:
        return f"killed by {_signal_name(returncode)}"
    return f"exited with status {returncode}"


@dataclass
class _Slot:
    streak: int = 0  # deaths in a row, each within STABLE_S of its worker's start


class WorkerDeaths:
    """Per slot: deaths in a row and the wait they earn; in all: deaths by reason and signal."""

    def __init__(self, slots: int) -> None:
        self._slots = [_Slot() for _ in range(slots)]
        self.counts: Counter[tuple[str, str]] = Counter()
        self.total = 0

    def died(self, slot: int, lived_s: float) -> tuple[int, float]:
        """Record a death in `slot` after `lived_s`; return (deaths in a row, wait in seconds)."""
        state = self._slots[slot]
        state.streak = state.streak + 1 if lived_s < STABLE_S else 1
        self.total += 1
        if state.streak <= 1:
            return state.streak, 0.0
        wait = min(_BACKOFF_MAX_S, _BACKOFF_FIRST_S * 2 ** (state.streak - 2))
        return state.streak, wait

    def count(self, reason: DeathReason, returncode: int | None) -> None:
        """Count one death for the metric, once its exit status is known."""
        self.counts[(reason, signal_label(returncode))] += 1
