"""Class 5, cross-evaluation isolation under concurrency: fifty evaluations at once, each
polluting globals, prototypes, built-ins, the store, timers and logs with its own marker, and
each seeing only its own, over HTTP (both workers, every warm sandbox) and in process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Attack = Callable[..., dict[str, Any]]

CONCURRENT = 50

# Pollute, yield to the others (timers, awaits), then report every marker visible anywhere.
PROGRAM = """
const mine = MARKER;
globalThis.shared = mine; globalThis['g_' + mine] = 1;
Object.prototype.shared = mine; Array.prototype.shared = mine; Function.prototype.shared = mine;
Promise.prototype.shared = mine; Map.prototype.shared = mine; Uint8Array.prototype.shared = mine;
JSON.marker = mine; Math.marker = mine; Reflect.marker = mine; console.marker = mine;
Symbol.for('shared').description; String.prototype.shared = mine;
storeValue('owner', mine); localStorage.setItem('also', mine); console.log(mine);
setTimeout(() => { globalThis.fromTimer = mine; }, 1);
queueMicrotask(() => { globalThis.fromMicrotask = mine; });
await new Promise((r) => setTimeout(r, 30));
await null;
const seen = new Set([
  globalThis.shared, ({}).shared, [].shared, (() => 1).shared, Promise.resolve().shared,
  new Map().shared, new Uint8Array(1).shared, JSON.marker, Math.marker, Reflect.marker, console.marker,
  ''.shared, appsmith.store.owner, localStorage.getItem('also'), globalThis.fromTimer, globalThis.fromMicrotask,
  ...Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith('g_')).map((k) => k.slice(2)),
]);
return [...seen];
"""


def check(result: dict[str, Any], marker: str) -> None:
    assert result["ok"], result["error"]
    assert result["result"] == [marker], result["result"]
    assert [entry["text"] for entry in result["logs"]] == [marker]
    assert result["store"] == {"owner": marker, "also": marker}
    assert [a["payload"]["value"] for a in result["actions"]] == [marker, marker]


def test_fifty_concurrent_evaluations_over_http_each_see_only_their_own(attack: Attack) -> None:
    def run(i: int) -> tuple[str, dict[str, Any]]:
        marker = f"m{i:02d}"
        code = PROGRAM.replace("MARKER", json.dumps(marker))
        return marker, attack(code, mode="function", timeout_ms=5000, memory_mb=16)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        outcomes = list(pool.map(run, range(CONCURRENT)))
    for marker, result in outcomes:
        check(result, marker)


def test_fifty_concurrent_evaluations_in_process_each_see_only_their_own(
    attack_inprocess: Attack,
) -> None:
    def run(i: int) -> tuple[str, dict[str, Any]]:
        marker = f"p{i:02d}"
        code = PROGRAM.replace("MARKER", json.dumps(marker))
        return marker, attack_inprocess(code, mode="function", timeout_ms=5000, memory_mb=16)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        outcomes = list(pool.map(run, range(CONCURRENT)))
    for marker, result in outcomes:
        check(result, marker)


def test_a_batch_runs_each_evaluation_in_its_own_sandbox(red_team: Any) -> None:
    evaluations = [
        {"code": PROGRAM.replace("MARKER", json.dumps(f"b{i}")), "mode": "function", "timeout_ms": 5000}
        for i in range(20)
    ]
    response = red_team.client.post("/v1/evaluate/batch", json={"evaluations": evaluations})
    assert response.status_code == 200
    for i, result in enumerate(response.json()["results"]):
        check(result, f"b{i}")
