"""Isolates created, run and closed on many threads at once never crash the process.

On CPUs with memory protection keys (`pku` in /proc/cpuinfo) V8 segfaulted as soon as one
thread created an isolate while another ran one, unless it was started with
`--no-memory-protection-keys` (evaluator/_bridge.py, `V8_FLAGS`). A segfault would take pytest
down with it, so each stress run happens in a child process and the test reads its exit status:
-11 (SIGSEGV) or any other death fails the test. On a CPU without the feature these pass with or
without the flag; `test_v8_accepts_every_flag` still fails if V8 stops knowing the flag.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from evaluator import EvaluationRequest, Settings, WorkerPool
from evaluator._bridge import V8_FLAGS

pytestmark = pytest.mark.timeout(120)


def run_child(source: str, timeout_s: float = 90.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_memory_protection_keys_are_off() -> None:
    assert "--no-memory-protection-keys" in V8_FLAGS


def test_v8_accepts_every_flag() -> None:
    # V8 prints "Error: unrecognized flag" and goes on without it: the fix would silently vanish.
    child = run_child(
        """
        from evaluator._bridge import Isolate
        isolate = Isolate()
        print(isolate.eval("6 * 7").wait(5).value)
        isolate.close()
        """
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "42"
    assert "unrecognized flag" not in child.stdout + child.stderr


def test_isolates_on_many_threads_at_once() -> None:
    child = run_child(
        """
        import threading
        from evaluator._bridge import Isolate

        errors = []

        def churn(seed):
            for i in range(40):
                isolate = Isolate()
                try:
                    # Keep this isolate busy while the other threads create and close theirs.
                    code = f"let s = 0; for (let k = 0; k < 20000; k++) s += k % {seed + 2}; s"
                    reply = isolate.eval(code).wait(10)
                    if reply is None or not reply.ok:
                        errors.append((seed, i, reply))
                finally:
                    isolate.close()

        threads = [threading.Thread(target=churn, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("errors", len(errors))
        """
    )
    assert child.returncode == 0, f"exit {child.returncode}: {child.stderr[-2000:]}"
    assert child.stdout.strip() == "errors 0"


def test_in_process_evaluator_on_many_threads() -> None:
    # The warm pool's refill thread creates isolates while callers run theirs: this crashed 4 runs
    # of 5 with a single caller, and every run with four.
    child = run_child(
        """
        from concurrent.futures import ThreadPoolExecutor
        from evaluator import Evaluator

        with Evaluator(pool_size=2) as evaluator:
            def one(n):
                r = evaluator.evaluate({"code": f"console.log({n}); [{n}].map(x => x * 2)[0]"})
                return r.ok and r.result == n * 2
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(one, range(200)))
        print("ok", sum(results))
        """
    )
    assert child.returncode == 0, f"exit {child.returncode}: {child.stderr[-2000:]}"
    assert child.stdout.strip() == "ok 200"


async def test_worker_pool_under_concurrent_load() -> None:
    pool = WorkerPool(Settings(workers=2, pool_size=2, worker_concurrency=4, max_queue=200))  # type: ignore[call-arg]
    await pool.start()
    try:
        requests = [EvaluationRequest(code=f"console.log('x'); {n} + 1") for n in range(160)]
        results = await asyncio.gather(*(pool.evaluate(r) for r in requests))
        assert [r.result for r in results] == [n + 1 for n in range(160)]
        assert all(r.ok for r in results)
        assert pool.restarts == 0  # no worker died on the way
    finally:
        await pool.aclose()
