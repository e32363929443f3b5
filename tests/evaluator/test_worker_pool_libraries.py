"""Installed libraries (SPEC section 9) in WorkerPool, with real worker processes.

The supervisor pushes the libraries (sources included) to its workers, which never open the
data store; a replacement worker gets them before it serves. The install check of a bundle runs
in a worker like an evaluation, so a bundle that takes its worker down is a refusal, and this
process (which would hold the keys) never runs it. Failures are produced for real (SIGKILL,
SIGSTOP); nothing is mocked.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable

import pytest

from evaluator import (
    EvaluationRequest,
    InstalledLibrary,
    LibraryRefused,
    ServiceUnavailable,
    Settings,
    WorkerPool,
)

pytestmark = pytest.mark.timeout(60)

TALLY = InstalledLibrary(
    "tally", "1.0.0", ("Tally",), "var Tally = { count: function (xs) { return xs.length; } };"
)


@pytest.fixture
async def make_pool() -> AsyncIterator[Callable[..., asyncio.Future[WorkerPool]]]:
    pools: list[WorkerPool] = []

    async def make(libraries: tuple[InstalledLibrary, ...] = (), **overrides: object) -> WorkerPool:
        values: dict[str, object] = {"workers": 1, "pool_size": 1, "worker_concurrency": 2}
        values.update(overrides)
        pool = WorkerPool(Settings(**values))  # type: ignore[arg-type]
        pools.append(pool)
        pool.set_libraries(libraries)  # before start: the workers get them before READY
        await pool.start()
        return pool

    yield make  # type: ignore[misc]
    for pool in pools:
        await pool.aclose(0)


async def value(pool: WorkerPool, code: str) -> object:
    result = await pool.evaluate(EvaluationRequest(code=code))
    assert result.ok, result.error
    return result.result


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_every_worker_has_the_libraries_set_before_and_after_start(make_pool) -> None:
    pool = await make_pool((TALLY,), workers=2)
    # Both workers (eight evaluations spread over them) have Tally from the start.
    results = await pool.evaluate_batch(
        [EvaluationRequest(code="Tally.count([1, 2])") for _ in range(8)]
    )
    assert [r.result for r in results] == [2] * 8
    other = InstalledLibrary("other", "1", ("Other",), "var Other = 'o';")
    pool.set_libraries((TALLY, other))
    assert await value(pool, "[Tally.count([]), Other]") == [0, "o"]
    pool.set_libraries(())
    assert await value(pool, "[typeof Tally, typeof Other]") == ["undefined", "undefined"]


async def test_a_replacement_worker_gets_the_current_libraries(make_pool) -> None:
    pool = await make_pool((TALLY,))
    [pid] = pool.worker_pids()
    os.kill(pid, signal.SIGKILL)
    await until(lambda: pool.ready() and pool.worker_pids() not in ([], [pid]))
    assert await value(pool, "Tally.count([1, 2, 3])") == 3


async def test_the_install_check_runs_in_a_worker(make_pool) -> None:
    pool = await make_pool((TALLY,))
    checked = await pool.check_library("other", "var Other = { VERSION: '0.2.0' };")
    assert checked == InstalledLibrary("other", "0.2.0", ("Other",), "var Other = { VERSION: '0.2.0' };")
    assert await value(pool, "typeof Other") == "undefined"  # checked is not installed
    with pytest.raises(LibraryRefused, match="replaces 'Tally', a global of another library"):
        await pool.check_library("copy", "var Tally = 1;")
    with pytest.raises(LibraryRefused, match="the bundle threw when it ran: Error: no"):
        await pool.check_library("thrower", "throw new Error('no')")
    with pytest.raises(LibraryRefused, match="is a built-in library"):  # before any worker
        await pool.check_library("lodash", "var X = 1;")


async def test_a_check_that_kills_its_worker_is_a_refusal_and_the_pool_goes_on(make_pool) -> None:
    pool = await make_pool()
    check = asyncio.ensure_future(pool.check_library("spin", "while (true) {}"))
    await until(lambda: bool(pool.worker_pids(running=True)))
    [pid] = pool.worker_pids(running=True)
    os.kill(pid, signal.SIGKILL)  # as a V8 fatal error in the bundle would
    with pytest.raises(LibraryRefused, match="the worker process checking the bundle stopped"):
        await check
    await until(pool.ready)
    assert await value(pool, "'served'") == "served"


async def test_a_check_past_its_hard_deadline_is_refused(make_pool) -> None:
    pool = await make_pool(default_timeout_ms=200, hard_deadline_grace_ms=300)
    check = asyncio.ensure_future(pool.check_library("frozen", "var Frozen = 1;"))
    await until(lambda: bool(pool.worker_pids(running=True)))
    [pid] = pool.worker_pids(running=True)
    os.kill(pid, signal.SIGSTOP)  # stuck where V8 cannot stop it: only the supervisor can
    try:
        with pytest.raises(LibraryRefused, match="did not finish within the check's time"):
            await check
    finally:
        os.kill(pid, signal.SIGCONT)
    await until(pool.ready)
    assert await value(pool, "1 + 1") == 2


async def test_no_check_before_start() -> None:
    pool = WorkerPool(Settings(workers=1, pool_size=0))
    with pytest.raises(ServiceUnavailable):
        await pool.check_library("other", "var Other = 1;")
