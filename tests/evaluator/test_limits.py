"""Every limit holds whatever the code does, and the same Evaluator serves the next evaluation."""

from __future__ import annotations

import os
import threading

import pytest

from evaluator import EvaluationResult, Evaluator, Settings

BOMBS = {
    "loop": ({"code": "while (true) {}", "timeout_ms": 200}, "timeout"),
    "microtask loop": ({"code": "(function f() { Promise.resolve().then(f) })()", "timeout_ms": 200},
                       "timeout"),
    "await loop": ({"code": "(async () => { for (;;) await 0 })()", "timeout_ms": 200}, "timeout"),
    "never settles": ({"code": "new Promise(() => {})", "timeout_ms": 200}, "timeout"),
    "heap bomb": ({"code": "const a = []; for (;;) a.push([Math.random(), {}])", "memory_mb": 16,
                   "timeout_ms": 10000}, "memory"),
    "array buffer bomb": ({"code": "const a = []; for (let i = 0; i < 8; i++) a.push(new Uint8Array(1e8))"},
                          "memory"),
    "typed array from array-like": ({"code": "new Uint8Array({length: 2 ** 31})"}, "memory"),
    "resizable buffer growth": ({"code": "const b = new ArrayBuffer(0, {maxByteLength: 2 ** 32});\nb.resize(2 ** 31)"},
                                "memory"),
    "transfer to a larger size": ({"code": "new ArrayBuffer(8).transfer(2 ** 31)"}, "memory"),
    "stack overflow": ({"code": "function r() { r() } r()"}, "runtime"),
    "timer flood": ({"code": "for (;;) setTimeout(() => {}, 1e6)"}, "limit"),
    "huge result": ({"code": "Array.from({length: 300000}, (_, i) => i)"}, "limit"),
}


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.parametrize("name", list(BOMBS))
def test_limit_gives_the_right_kind_and_the_next_evaluation_works(
    evaluator: Evaluator, name: str
) -> None:
    request, kind = BOMBS[name]
    result = evaluator.evaluate(request)
    assert not result.ok
    assert result.error is not None and result.error.kind == kind, result.error
    assert result.error.line is None or kind in ("runtime", "syntax")
    follow_up = evaluator.evaluate({"code": "[1, 2, 3].map(x => x * 2)"})
    assert follow_up.ok and follow_up.result == [2, 4, 6]


def test_array_buffer_bomb_leaves_the_process_small(evaluator: Evaluator) -> None:
    before = rss_mb()
    for _ in range(3):
        result = evaluator.evaluate(
            {"code": "const keep = []; for (;;) keep.push(new Uint8Array(8 * 1024 * 1024).fill(1))"}
        )
        assert result.error is not None and result.error.kind == "memory"
    assert rss_mb() - before < 300


def test_timeout_bounds_a_catching_loop(evaluator: Evaluator) -> None:
    result = evaluator.evaluate(
        {"code": "for (;;) { try { while (true) {} } catch (e) { console.log('caught') } }",
         "timeout_ms": 200}
    )
    assert result.error is not None and result.error.kind == "timeout"
    assert result.logs == []  # termination cannot be caught


def test_concurrent_evaluations_are_isolated(evaluator: Evaluator) -> None:
    results: dict[int, EvaluationResult] = {}

    def run(i: int) -> None:
        results[i] = evaluator.evaluate({
            "code": f"globalThis.marker = {i}; Array.prototype.mark = {i};\n"
                    f"await new Promise(r => setTimeout(r, 20));\n"
                    f"return [globalThis.marker, [].mark, appsmith.store.owner]",
            "mode": "function",
            "store": {"owner": i},
        })

    threads = [threading.Thread(target=run, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, result in results.items():
        assert result.ok and result.result == [i, i, i]


def test_state_never_survives_to_the_next_evaluation(evaluator: Evaluator) -> None:
    first = evaluator.evaluate({
        "code": "globalThis.leak = 1; Object.prototype.polluted = 1; storeValue('k', 1);"
                "setInterval(() => {}, 10, 'poll'); JSON.parse = () => 'hijacked'; 1"
    })
    assert first.ok
    second = evaluator.evaluate({
        "code": "[typeof leak, ({}).polluted, appsmith.store.k, JSON.parse('2')]"
    })
    assert second.ok and second.result == ["undefined", None, None, 2]
    assert second.timers.pending == []


def test_seeded_random_is_reproducible(evaluator: Evaluator) -> None:
    request = {"code": "[Math.random(), Math.random(), crypto.randomUUID()]", "random_seed": 7}
    first = evaluator.evaluate(request)
    second = evaluator.evaluate(request)
    other = evaluator.evaluate({**request, "random_seed": 8})
    assert first.result == second.result
    assert first.result != other.result
    unseeded = [evaluator.evaluate({"code": "crypto.randomUUID()"}).result for _ in range(2)]
    assert unseeded[0] != unseeded[1]


def test_small_result_cap_from_settings() -> None:
    with Evaluator(Settings(max_result_bytes=100), pool_size=0) as small:
        result = small.evaluate({"code": "'x'.repeat(200)"})
        assert result.error is not None and result.error.kind == "limit"
        assert small.evaluate({"code": "'x'.repeat(50)"}).ok
