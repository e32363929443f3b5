"""WorkerPool with real worker processes: dispatch, backpressure, drain, and containment.

Every failure here is produced for real: a worker is killed with SIGKILL mid-evaluation, a
memory bomb pushes a worker's RSS past its limit, a worker frozen with SIGSTOP misses the hard
deadline. Pids come from `WorkerPool.worker_pids()`, the test-only accessor; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable

import pytest

from evaluator import (
    EvaluationRequest,
    ServiceBusy,
    ServiceUnavailable,
    Settings,
    WorkerPool,
)

pytestmark = pytest.mark.timeout(60)

# Runs for `ms` milliseconds of wall time, then gives 7 (interruptible, unlike a builtin).
BUSY = "const t = Date.now(); while (Date.now() - t < {ms}) {{}} 7"
FOREVER = "while (true) {}"
# ArrayBuffers, each touched so it is resident, kept alive until the process is killed. The
# in-isolate budget (memory_mb) allows all of it; only the worker's RSS limit stops it.
BOMB = """
const kept = [];
for (let i = 0; i < 200; i++) {
  try { const b = new Uint8Array(4 * 1024 * 1024); b.fill(1); kept.push(b); } catch (e) {}
}
while (true) {}
"""


def settings(**overrides: object) -> Settings:
    base: dict[str, object] = {"workers": 1, "pool_size": 1, "worker_concurrency": 2}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


def request(code: str, **fields: object) -> EvaluationRequest:
    return EvaluationRequest(code=code, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def make_pool() -> AsyncIterator[Callable[..., asyncio.Future[WorkerPool]]]:
    pools: list[WorkerPool] = []

    async def make(**overrides: object) -> WorkerPool:
        pool = WorkerPool(settings(**overrides))
        pools.append(pool)
        await pool.start()
        return pool

    yield make  # type: ignore[misc]
    for pool in pools:
        await pool.aclose(0)


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_evaluates_reports_ready_and_stats(make_pool) -> None:
    pool = await make_pool(workers=2)
    assert pool.ready()
    stats = pool.stats()
    assert (stats.workers_alive, stats.workers_total, stats.capacity) == (2, 2, 4)
    assert stats.warm_sandboxes >= 1
    result = await pool.evaluate(request("1 + 1"))
    assert (result.ok, result.result, result.result_type) == (True, 2, "number")
    assert result.stats.queue_ms >= 0
    results = await pool.evaluate_batch([request(f"{i} * 2") for i in range(10)])
    assert [r.result for r in results] == [i * 2 for i in range(10)]


async def test_failures_in_javascript_are_results(make_pool) -> None:
    pool = await make_pool()
    result = await pool.evaluate(request("throw new TypeError('boom')"))
    assert not result.ok and result.error is not None
    assert (result.error.kind, result.error.name, result.error.message) == (
        "runtime", "TypeError", "boom"
    )
    timed_out = await pool.evaluate(request(FOREVER, timeout_ms=100))
    assert timed_out.error is not None and timed_out.error.kind == "timeout"
    assert pool.restarts == 0  # the in-isolate deadline handled it: no worker was killed


async def test_sigkill_mid_evaluation_answers_internal_and_spares_other_workers(make_pool) -> None:
    pool = await make_pool(workers=2, worker_concurrency=1)
    doomed = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=20_000)))
    await until(lambda: len(pool.worker_pids(running=True)) == 1)
    [victim] = pool.worker_pids(running=True)
    bystander = asyncio.ensure_future(pool.evaluate(request(BUSY.format(ms=600))))
    await until(lambda: len(pool.worker_pids(running=True)) == 2)

    os.kill(victim, signal.SIGKILL)
    # Run again alone (the cause might have been outside it): killed again, it is the culprit.
    await until(lambda: len(pool.quarantine_pids()) == 1, timeout_s=20)
    [alone] = pool.quarantine_pids()
    os.kill(alone, signal.SIGKILL)
    result = await doomed
    assert not result.ok and result.error is not None
    assert result.error.kind == "internal"
    assert (await bystander).result == 7  # on the other worker: unaffected

    assert (await pool.evaluate(request("6 * 7"))).result == 42
    await until(lambda: pool.stats().workers_alive == 2)
    assert victim not in pool.worker_pids() and alone not in pool.worker_pids()
    assert pool.restarts == 2


async def test_rss_past_the_limit_kills_the_worker_and_answers_memory(make_pool) -> None:
    pool = await make_pool(worker_max_rss_mb=200, max_memory_mb=1024, worker_concurrency=1)
    [victim] = pool.worker_pids()
    result = await pool.evaluate(request(BOMB, memory_mb=1024, timeout_ms=20_000))
    assert not result.ok and result.error is not None
    assert result.error.kind == "memory"
    assert result.error.message == "the worker process went past its memory limit"  # the RSS watch
    assert result.logs == [] and result.result is None
    assert (await pool.evaluate(request("'still here'"))).result == "still here"
    assert victim not in pool.worker_pids()
    assert pool.restarts == 1  # it grew alone: the culprit, not run again


async def test_hard_deadline_kills_a_frozen_worker(make_pool) -> None:
    # SIGSTOP defeats everything inside the worker, the in-isolate deadline included: only the
    # supervisor's hard deadline (budget + grace) can end these evaluations.
    pool = await make_pool(hard_deadline_grace_ms=100, worker_concurrency=2)
    stuck = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=300)))
    other = asyncio.ensure_future(pool.evaluate(request(BUSY.format(ms=1500), timeout_ms=20_000)))
    await until(lambda: pool.stats().running == 2)
    [victim] = pool.worker_pids()
    os.kill(victim, signal.SIGSTOP)

    result = await stuck
    assert result.error is not None and result.error.kind == "timeout"
    # Running on the same worker when it was killed, and known innocent: it runs again.
    assert (await other).result == 7
    assert pool.stats().evaluations_rerun == 1
    await until(lambda: not alive(victim))
    assert (await pool.evaluate(request("1 + 2"))).result == 3


async def test_a_worker_whose_isolate_will_not_stop_is_replaced(make_pool) -> None:
    # Flattening a 64 MiB string at a 64 MiB heap limit: the evaluation is answered `memory`
    # as soon as V8 reports the limit, but V8 stops only when the builtin returns, seconds of
    # GC later. The worker asks to be replaced rather than keep a core busy closing it.
    pool = await make_pool(hard_deadline_grace_ms=200)
    [victim] = pool.worker_pids()
    result = await pool.evaluate(
        request("Uint8Array.fromBase64('A'.repeat(2 ** 26))", timeout_ms=20_000)
    )
    assert result.error is not None and result.error.kind == "memory"
    assert result.stats.wall_ms < 5_000
    await until(lambda: not alive(victim))
    assert pool.restarts == 1
    assert (await pool.evaluate(request("'replaced'"))).result == "replaced"


async def test_queue_is_bounded_fifo_and_batches_are_admitted_whole(make_pool) -> None:
    pool = await make_pool(worker_concurrency=1, max_queue=2)
    order: list[int] = []

    async def tracked(index: int) -> None:
        await pool.evaluate(request(BUSY.format(ms=150)))
        order.append(index)

    tasks = [asyncio.ensure_future(tracked(i)) for i in range(3)]  # 1 running + 2 waiting
    await until(lambda: pool.stats().running == 1)
    assert pool.stats().queued == 2
    with pytest.raises(ServiceBusy) as busy:
        await pool.evaluate(request("1"))
    assert busy.value.retry_after_s >= 1
    with pytest.raises(ServiceBusy):
        await pool.evaluate_batch([request("1")])
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]

    # Idle again: a batch larger than the whole queue is admitted, as one unit.
    results = await pool.evaluate_batch([request(str(i)) for i in range(5)])
    assert [r.result for r in results] == list(range(5))


async def test_least_loaded_dispatch_leaves_no_free_slot_idle(make_pool) -> None:
    pool = await make_pool(workers=2, worker_concurrency=2)
    tasks = [
        asyncio.ensure_future(pool.evaluate(request(BUSY.format(ms=400)))) for _ in range(4)
    ]
    await asyncio.sleep(0)
    stats = pool.stats()
    assert (stats.running, stats.queued) == (4, 0)  # every slot taken at once, nobody waits
    assert len(pool.worker_pids(running=True)) == 2  # spread over both workers
    assert all(r.result == 7 for r in await asyncio.gather(*tasks))


async def test_aclose_lets_in_flight_finish_then_stops_workers(make_pool) -> None:
    pool = await make_pool(workers=2)
    pids = pool.worker_pids()
    running = asyncio.ensure_future(pool.evaluate(request(BUSY.format(ms=300))))
    await until(lambda: pool.stats().running == 1)
    closing = asyncio.ensure_future(pool.aclose(10))
    await asyncio.sleep(0.01)
    assert not pool.ready()
    with pytest.raises(ServiceUnavailable):
        await pool.evaluate(request("1"))
    assert (await running).result == 7
    await closing
    assert not any(alive(pid) for pid in pids)


async def test_aclose_past_grace_answers_what_still_runs(make_pool) -> None:
    pool = await make_pool()
    [pid] = pool.worker_pids()
    running = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=20_000)))
    await until(lambda: pool.stats().running == 1)
    await pool.aclose(0.1)
    result = await running
    assert result.error is not None and result.error.kind == "internal"
    assert not alive(pid)


async def test_refuses_work_before_start() -> None:
    pool = WorkerPool(settings())
    assert not pool.ready()
    with pytest.raises(ServiceUnavailable):
        await pool.evaluate(request("1"))
    await pool.aclose(0)


def test_worker_environment_is_an_allow_list() -> None:
    from evaluator._worker_pool import worker_environment

    env = worker_environment({
        "PATH": "/usr/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC", "JSEVAL_API_KEYS": "secret",
        "AWS_SECRET_ACCESS_KEY": "x", "DATABASE_URL": "postgres://u:p@h/db",
    })
    assert env["PATH"] == "/usr/bin" and env["LC_ALL"] == "C.UTF-8" and env["TZ"] == "UTC"
    assert "JSEVAL_API_KEYS" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "DATABASE_URL" not in env and "PYTHONPATH" in env


# -- cancellation (the caller went away: SPEC section 6) -----------------------------------------


async def test_cancelling_a_running_evaluation_stops_it_in_its_worker(make_pool) -> None:
    pool = await make_pool(worker_concurrency=1)
    [worker] = pool.worker_pids()
    running = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=30_000)))
    queued = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=30_000)))
    await until(lambda: pool.stats().running == 1 and pool.stats().queued == 1)
    queued.cancel()
    await until(lambda: pool.stats().queued == 0)  # dropped from the queue, never dispatched
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # The worker stopped the sandbox and answered: its one slot serves the next at once.
    assert (await asyncio.wait_for(pool.evaluate(request("6 * 7")), 10)).result == 42
    assert pool.stats().cancelled == 2
    assert pool.worker_pids() == [worker] and pool.restarts == 0  # no kill was needed


async def test_a_worker_that_cannot_stop_a_cancelled_evaluation_is_replaced(make_pool) -> None:
    pool = await make_pool(worker_concurrency=1, hard_deadline_grace_ms=200)
    [victim] = pool.worker_pids()
    running = asyncio.ensure_future(pool.evaluate(request(FOREVER, timeout_ms=30_000)))
    await until(lambda: pool.stats().running == 1)
    os.kill(victim, signal.SIGSTOP)  # deaf to the CANCEL frame
    running.cancel()
    result = await asyncio.wait_for(pool.evaluate(request("1 + 2")), 15)
    assert result.result == 3
    await until(lambda: not alive(victim))
    assert pool.restarts == 1 and pool.stats().cancelled == 1


# -- crash loops (evaluator/_worker_deaths.py) ------------------------------------------------


async def test_a_worker_that_keeps_dying_is_replaced_ever_more_slowly(
    make_pool, caplog: pytest.LogCaptureFixture
) -> None:
    """Four deaths in a row: replacements wait 0, 0.25, 0.5, 1 s; while no worker is up the
    pool is not ready; each death is one log line with its signal and its count, and one count
    in the metrics."""
    pool = await make_pool()
    caplog.set_level(logging.WARNING, logger="jseval.supervisor")
    for death in range(1, 5):
        [victim] = pool.worker_pids()
        os.kill(victim, signal.SIGSEGV)
        await until(lambda: not pool.ready())  # the only worker is gone
        await until(lambda v=victim: pool.ready() and v not in pool.worker_pids(), timeout_s=20)
        assert pool.respawn_waits == [0.0, 0.25, 0.5, 1.0][:death]
    await until(lambda: sum(n for *_, n in pool.stats().worker_crashes) == 4)
    assert pool.stats().worker_crashes == (("crash", "SIGSEGV", 4),)
    lines = [r.getMessage() for r in caplog.records if "SIGSEGV" in r.getMessage()]
    assert len(lines) == 4
    assert "killed by SIGSEGV; 4 deaths in a row, 4 in all" in lines[-1]
    assert (await pool.evaluate(request("'up'"))).result == "up"


# -- innocent neighbours: quarantine ------------------------------------------------------------


async def test_neighbours_of_a_dead_worker_run_again_and_answer(make_pool) -> None:
    """A V8 abort (SIGABRT here, sent from outside) takes four evaluations with it: none made an
    outbound request and none is known as the culprit, so each runs again, alone, and
    answers as if nothing had happened."""
    pool = await make_pool(worker_concurrency=4)
    requests = [request(BUSY.format(ms=800), timeout_ms=10_000) for _ in range(4)]
    batch = asyncio.ensure_future(pool.evaluate_batch(requests))
    await until(lambda: pool.stats().running == 4)
    [victim] = pool.worker_pids()
    os.kill(victim, signal.SIGABRT)
    results = await batch
    assert [r.result for r in results] == [7, 7, 7, 7]
    assert pool.stats().evaluations_rerun == 4
    assert pool.restarts == 1  # nobody died again: every one of them was innocent


async def test_the_culprit_is_the_one_that_dies_again_alone(make_pool) -> None:
    pool = await make_pool(worker_concurrency=4)
    culprit = asyncio.ensure_future(
        pool.evaluate(request(BUSY.format(ms=60_000), timeout_ms=30_000))
    )
    await until(lambda: pool.stats().running == 1)
    requests = [request(BUSY.format(ms=600), timeout_ms=10_000) for _ in range(3)]
    others = asyncio.ensure_future(pool.evaluate_batch(requests))
    await until(lambda: pool.stats().running == 4)
    [victim] = pool.worker_pids()
    os.kill(victim, signal.SIGABRT)
    # Suspects run again one at a time, oldest first: the culprit first, alone.
    await until(lambda: len(pool.quarantine_pids()) == 1, timeout_s=20)
    [alone] = pool.quarantine_pids()
    os.kill(alone, signal.SIGABRT)  # it "crashes" again, alone: now it is known
    result = await culprit
    assert result.error is not None and result.error.kind == "internal"
    assert result.error.message == (
        "the evaluation stopped the worker process running it, again when run alone"
    )
    assert [r.result for r in await others] == [7, 7, 7]
    assert pool.restarts == 2


async def test_an_evaluation_that_asked_for_a_fetch_is_never_run_twice(
    make_pool, origin_server
) -> None:
    pool = await make_pool(
        worker_concurrency=2, fetch_allow=(f"127.0.0.1:{origin_server.port}",)
    )
    hits = origin_server.app.hits
    fetcher = asyncio.ensure_future(pool.evaluate(request(
        f"await fetch({origin_server.url('/echo')!r}); while (true) {{}}",
        mode="function", timeout_ms=30_000,
    )))
    bystander = asyncio.ensure_future(
        pool.evaluate(request(BUSY.format(ms=2000), timeout_ms=10_000))
    )
    await until(lambda: origin_server.app.hits > hits and pool.stats().running == 2)
    [victim] = pool.worker_pids()
    os.kill(victim, signal.SIGABRT)
    result = await fetcher
    assert result.error is not None and result.error.kind == "internal"
    assert result.error.message == "the worker process running the evaluation stopped unexpectedly"
    assert (await bystander).result == 7  # it made no request: it ran again
    assert origin_server.app.hits == hits + 1  # the fetch was not repeated


async def test_the_culprit_past_the_rss_limit_is_found_alone(make_pool) -> None:
    """No outside help: the RSS watch kills the worker under three evaluations; run again one
    at a time, the bomb passes the limit alone and answers `memory`, the others their result."""
    pool = await make_pool(worker_max_rss_mb=200, max_memory_mb=1024, worker_concurrency=3)
    bomb = asyncio.ensure_future(pool.evaluate(request(BOMB, memory_mb=1024, timeout_ms=20_000)))
    await until(lambda: pool.stats().running == 1)
    requests = [request(BUSY.format(ms=1500), timeout_ms=10_000) for _ in range(2)]
    others = asyncio.ensure_future(pool.evaluate_batch(requests))
    result = await bomb
    assert result.error is not None and result.error.kind == "memory"
    assert [r.result for r in await others] == [7, 7]
    assert pool.stats().evaluations_rerun >= 2


async def test_an_idle_worker_whose_rss_stays_high_is_replaced(make_pool) -> None:
    """Memory a worker keeps once its evaluations ended (ICU, V8's pools) is given back by
    replacing it; a replacement is not judged before it has evaluated anything."""
    pool = await make_pool(worker_idle_rss_mb=64)  # below any warm worker: every one is high
    [first] = pool.worker_pids()
    assert (await pool.evaluate(request("1"))).result == 1
    await until(lambda: pool.ready() and first not in pool.worker_pids(), timeout_s=20)
    assert pool.stats().worker_crashes == ()  # a replacement, not a death
    [second] = pool.worker_pids()
    assert (await pool.evaluate(request("2"))).result == 2
    await until(lambda: pool.ready() and second not in pool.worker_pids(), timeout_s=20)
    assert pool.restarts == 2
