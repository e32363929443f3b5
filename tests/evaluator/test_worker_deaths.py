"""The supervisor's accounting of worker deaths: the wait before a replacement, the words of
the log line, bounded metric labels."""

from __future__ import annotations

import signal

from evaluator._worker_deaths import STABLE_S, WorkerDeaths, exit_description, signal_label


def test_replacements_wait_longer_each_death_in_a_row_up_to_five_seconds() -> None:
    deaths = WorkerDeaths(slots=2)
    waits = [deaths.died(0, lived_s=1.0)[1] for _ in range(8)]
    assert waits == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert deaths.died(1, lived_s=1.0) == (1, 0.0)  # slots count apart
    assert deaths.total == 9


def test_a_worker_that_lived_long_starts_its_slot_afresh() -> None:
    deaths = WorkerDeaths(slots=1)
    for _ in range(5):
        deaths.died(0, lived_s=0.5)
    assert deaths.died(0, lived_s=STABLE_S + 1) == (1, 0.0)
    assert deaths.died(0, lived_s=0.5) == (2, 0.25)


def test_signal_labels_are_a_bounded_set() -> None:
    assert signal_label(-signal.SIGSEGV) == "SIGSEGV"
    assert signal_label(-signal.SIGABRT) == "SIGABRT"
    assert signal_label(-signal.SIGUSR1) == "other"
    assert signal_label(-99) == "other"
    assert signal_label(0) == signal_label(3) == signal_label(None) == "none"
    deaths = WorkerDeaths(slots=1)
    deaths.count("crash", -signal.SIGSEGV)
    deaths.count("crash", -signal.SIGSEGV)
    deaths.count("memory", -signal.SIGKILL)
    assert deaths.counts == {("crash", "SIGSEGV"): 2, ("memory", "SIGKILL"): 1}


def test_exit_descriptions() -> None:
    assert exit_description(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert exit_description(1) == "exited with status 1"
    assert exit_description(-99) == "killed by signal 99"
    assert exit_description(None) == "did not exit"
