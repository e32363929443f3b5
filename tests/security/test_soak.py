"""A bounded fault-injection soak (issue #10): good evaluations and every attack of
tests/security together, through the HTTP service (a real uvicorn, the worker pool), eight
clients at once, while worker processes are killed from outside every few seconds.

What must hold, for every answer: HTTP 200 and a valid result; every good evaluation answers its
result; every attack answers a kind it may (each entry says which); nothing answers `internal`
except an evaluation that made an outbound request and whose worker died under it (it is never
run twice: `internal`, or `memory` past the RSS cap), since every fault strikes a worker that is not running an evaluation alone (a second
fault there would make an innocent evaluation look guilty, which no real crash does twice).
Afterwards the service is ready and its API process grew by less than the red team's cap. Wall
time about 25 s of load; never asserted beyond the 60 s bound.

Entries are data: the fetch attacks of issue #10 (deny-list bypasses, bad ports, the gzip bomb,
requests past JSEVAL_FETCH_MAX_REQUESTS) come from tests/security/fetch_attacks.py, as more
`Entry` values against the origin server fetch may reach.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from evaluator import Settings, WorkerPool
from tests.security.conftest import (
    API_GROWTH_CAP_MB,
    RssSampler,
    assert_well_formed,
    give_back_memory,
    rss_mb,
)
from tests.security.fetch_attacks import soak_attacks

pytestmark = pytest.mark.timeout(120)

LOAD_S = 25.0
CLIENTS = 8
FAULT_EVERY_S = 3.0
_JSON = {"Content-Type": "application/json"}
# What an evaluation that made an outbound request answers when its worker dies under it (a
# fault, or a neighbour's memory bomb past the RSS cap): it cannot be told innocent by a re-run.
_NOT_RUN_TWICE = frozenset({
    "the worker process running the evaluation stopped unexpectedly",
    "the worker process went past its memory limit",
})


@dataclass(frozen=True)
class Entry:
    """One kind of request: its body and what a correct answer is."""

    name: str
    body: dict[str, Any]
    kinds: frozenset[str | None]  # None: ok
    good: bool = False  # a good evaluation: it must answer `result`, whatever happens
    result: Any = field(default=None)
    check: Callable[[dict[str, Any]], bool] = field(default=lambda answer: True)
    outbound: bool = False  # it fetches: `internal` when a fault killed its worker


def good(name: str, body: dict[str, Any], result: Any) -> Entry:
    return Entry(name, body, frozenset({None}), True, result)


def attack(
    name: str,
    body: dict[str, Any],
    *kinds: str | None,
    check: Callable[[dict[str, Any]], bool] = lambda answer: True,
) -> Entry:
    body = {"timeout_ms": 1000, "memory_mb": 16, **body}
    return Entry(name, body, frozenset(kinds), False, None, check)


GOOD = [
    good("arithmetic", {"code": "1 + 2 * 3"}, 7),
    good("json", {"code": "JSON.stringify(Object.entries({ a: 1, b: [2, 3] }))"},
         '[["a",1],["b",[2,3]]]'),
    good("function", {"code": "return args.reduce((a, b) => a + b, 0)", "mode": "function",
                      "args": [1, 2, 3]}, 6),
    good("store", {"code": "storeValue('k', 41 + 1); appsmith.store.k"}, 42),
    good("timers", {"code": "await new Promise((r) => setTimeout(r, 20)); return 'later'",
                    "mode": "function"}, "later"),
    good("logs", {"code": "console.log('a', { b: 1 }); 'logged'"}, "logged"),
    good("sort", {"code": "[3, 1, 2].sort().join()"}, "1,2,3"),
    good("Intl reused", {"code": "const f = new Intl.NumberFormat('en'); "
                         "[1, 2].map((x) => f.format(x * 1000)).join(' ')"}, "1,000 2,000"),
    good("big integer in globals", {"code": "big > 1e29", "globals": {"big": 2**97}}, True),
    good("lone surrogate", {"code": "'\ud800'.length"}, 1),
]

HOSTILE = "new Proxy({}, { get() { throw 1 }, getPrototypeOf() { throw 2 }, ownKeys() { throw 3 } })"

ATTACKS = [
    attack("huge interval id", {"code": "setInterval(() => {}, 1e5, 'i'.repeat(5e5)); 1",
                                "memory_mb": 64, "timeout_ms": 3000}, None,
           check=lambda a: len(a["timers"]["pending"][0]["id"].encode()) <= 1024),
    attack("interval id past what a key may be", {
        "code": "setInterval(() => {}, 1e5, 'i'.repeat(1e7)); 1", "memory_mb": 64,
        "timeout_ms": 3000}, "runtime"),
    attack("huge thrown string", {"code": "throw 'x'.repeat(3e6)", "memory_mb": 64},
           "runtime", check=lambda a: len(a["error"]["message"].encode()) <= 16384),
    attack("sort past V8's array size", {"code": "[].sort.call({ length: 2 ** 27 + 8 })"},
           "runtime"),
    attack("toReversed past V8's table size",
           {"code": "Array.prototype.toReversed.call({ length: 2 ** 32 - 1 })"}, "runtime"),
    attack("Intl objects kept", {"code": "const k = []; for (;;) k.push(new Intl.Segmenter('en', "
                                 "{ granularity: 'word' }).segment('hello world'))",
                                 "timeout_ms": 3000}, "memory"),
    attack("hostile Proxy thrown", {"code": f"throw {HOSTILE}"}, "runtime"),
    attack("CSS in logs", {"code": "for (let i = 0; i < 12; i++) console.log('%cl', "
                           "' '.repeat(1e5)); 1", "memory_mb": 64}, None,
           check=lambda a: not a["logs_truncated"]),
    attack("infinite loop", {"code": "while (true) {}", "timeout_ms": 300}, "timeout"),
    attack("heap bomb", {"code": "const a = []; for (;;) a.push([Math.random(), {}])",
                         "timeout_ms": 5000}, "memory"),
    attack("ArrayBuffer bomb", {"code": "const a = []; for (;;) a.push(new ArrayBuffer(4e6))"},
           "memory"),
    attack("log flood", {"code": "for (let i = 0; ; i++) console.log('x'.repeat(1000), i)",
                         "timeout_ms": 300}, "timeout", check=lambda a: len(a["logs"]) <= 1000),
    attack("answer past the output cap", {
        "code": "for (let i = 0; i < 25; i++) console.log('%c', 'x'.repeat(1e5)); "
                "storeValue('k', 'y'.repeat(3e5)); 'done'", "memory_mb": 64, "timeout_ms": 3000,
    }, None, check=lambda a: a["output_truncated"] and a["result"] == "done"),
    # The process layer: past the RSS cap the supervisor kills the worker (`memory`), unless
    # the worker's data-segment cap refuses an allocation first (a RangeError: `runtime`).
    attack("worker past its RSS cap", {
        "code": "const k = []; for (let i = 0; i < 200; i++) { const b = new Uint8Array(4 << 20); "
                "b.fill(1); k.push(b) } while (true) {}",
        "memory_mb": 1024, "timeout_ms": 8000,
    }, "memory", "runtime"),
]


def fetch_entries(origin: str) -> list[Entry]:
    """The fetch attacks (tests/security/fetch_attacks.py) and a good fetch, against `origin`."""
    good_fetch = Entry(
        "good fetch",
        {"code": f"const r = await fetch('{origin}/echo', {{method: 'POST', body: 'ok'}}); "
                 "return (await r.json()).body", "mode": "function", "timeout_ms": 5000},
        frozenset({None}), True, "ok", outbound=True,
    )
    attacks = [
        Entry(name, body, frozenset({None, "runtime"}), False, None,
              lambda answer, check=check: check(answer) is None, outbound=True)
        for name, body, check in soak_attacks(origin)
    ]
    return [good_fetch, *attacks]


@dataclass
class Soak:
    url: str
    pool: WorkerPool
    settings: Settings
    entries: list[Entry]


@pytest.fixture(scope="module")
def soak_service(
    live_server_cm: Callable[..., AbstractContextManager[Any]], origin_server: Any
) -> Iterator[Soak]:
    settings = Settings(
        workers=2, worker_concurrency=4, pool_size=2, max_queue=64, max_memory_mb=1024,
        worker_max_rss_mb=640, hard_deadline_grace_ms=1000, shutdown_grace_ms=2000,
        fetch_allow=(f"127.0.0.1:{origin_server.port}",), fetch_timeout_ms=2000,
    )
    pool = WorkerPool(settings)
    entries = GOOD + ATTACKS + fetch_entries(origin_server.url("").rstrip("/"))
    with live_server_cm(settings, pool) as live:
        yield Soak(live.url, pool, settings, entries)


def _inject_faults(pool: WorkerPool, stop: threading.Event, killed: list[int]) -> None:
    """Every few seconds, kill a worker that is running evaluations, though none alone, with
    the signal of a crash."""
    rng = random.Random(10)
    while not stop.wait(FAULT_EVERY_S):
        alone = set(pool.quarantine_pids())
        candidates = [pid for pid in pool.worker_pids(running=True) if pid not in alone]
        if not candidates:
            continue
        pid = rng.choice(candidates)
        try:
            os.kill(pid, rng.choice([signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT]))
        except ProcessLookupError:
            continue
        killed.append(pid)


def _client(
    url: str, deck: list[Entry], start: int, until: float
) -> list[tuple[Entry, int, dict[str, Any] | str]]:
    """Post the deck's entries in order from `start` (each client its own stretch first, so that
    all of them together try every entry within a few requests each), until `until`."""
    answers: list[tuple[Entry, int, dict[str, Any] | str]] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        index = start
        while time.monotonic() < until:
            entry = deck[index % len(deck)]
            index += 1
            response = client.post(
                "/v1/evaluate", content=json.dumps(entry.body).encode(), headers=_JSON
            )
            body = response.json() if response.status_code == 200 else response.text[:200]
            answers.append((entry, response.status_code, body))
    return answers


def test_soak_good_evaluations_and_attacks_under_faults(soak_service: Soak) -> None:
    baseline_mb = rss_mb(os.getpid())
    stop = threading.Event()
    killed: list[int] = []
    faults = threading.Thread(
        target=_inject_faults, args=(soak_service.pool, stop, killed), daemon=True
    )
    # Good evaluations twice as often as attacks, in one shuffled order all clients share.
    entries = soak_service.entries
    deck = [*entries, *(entry for entry in entries if entry.good)]
    random.Random(10).shuffle(deck)
    stretch = -(-len(deck) // CLIENTS)
    until = time.monotonic() + LOAD_S
    with RssSampler(soak_service.pool.worker_pids) as rss, ThreadPoolExecutor(CLIENTS) as clients:
        faults.start()
        futures = [
            clients.submit(_client, soak_service.url, deck, k * stretch, until)
            for k in range(CLIENTS)
        ]
        answers = [answer for future in futures for answer in future.result()]
        stop.set()
        faults.join()

    problems: list[str] = []
    seen: Counter[str] = Counter()
    for entry, status, body in answers:
        seen[entry.name] += 1
        if status != 200 or not isinstance(body, dict):
            problems.append(f"{entry.name}: HTTP {status} {body!r}")
            continue
        assert_well_formed(body)
        kind = None if body["ok"] else body["error"]["kind"]
        if entry.outbound and not body["ok"] and body["error"]["message"] in _NOT_RUN_TWICE:
            continue  # its worker died after it asked for a fetch: never run twice
        if kind not in entry.kinds:
            problems.append(f"{entry.name}: {kind} ({body['error'] and body['error']['message']})")
        elif entry.good and body["result"] != entry.result:
            problems.append(f"{entry.name}: result {body['result']!r}")
        elif not entry.check(body):
            problems.append(f"{entry.name}: the answer failed its check")
    assert not problems, f"{len(problems)} of {len(answers)} answers wrong: {problems[:10]}"

    assert len(killed) >= 3, "the faults were not injected"
    assert soak_service.pool.stats().evaluations_rerun >= 1, "no evaluation was run again"
    assert all(seen[entry.name] for entry in entries), f"entries never tried: {seen}"
    assert rss.api_peak_mb - baseline_mb < API_GROWTH_CAP_MB
    with httpx.Client(base_url=soak_service.url, timeout=30) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the service did not become ready again"
            time.sleep(0.05)
        assert client.post("/v1/evaluate", json={"code": "6 * 7"}).json()["result"] == 42
    del answers
    give_back_memory()  # this process also hosts the red team, whose checks measure its RSS
