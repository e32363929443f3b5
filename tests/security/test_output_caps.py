"""No answer is unbounded (SPEC section 2): the attacks that made huge answers, over HTTP.

Before the cap, `setInterval(() => {}, 1e5, 'i'.repeat(1e7))` in a batch of 100 gave a 1 GB
answer after 30 s with the API process at 4.8 GB; `throw 'x'.repeat(3e6)` a 6 MB one (message and
stack each carried it) and at 2e8 characters the worker died in the runtime's own
JSON.stringify. Each attack here checks the answer's size against `max_output_bytes` and, through
`attack()`, the API process's growth (conftest.py).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from evaluator import Settings, WorkerPool
from tests.security.conftest import (
    API_GROWTH_CAP_MB,
    FOLLOW_UP,
    RedTeamService,
    RssSampler,
    assert_well_formed,
    give_back_memory,
    rss_mb,
)

Attack = Callable[..., dict[str, Any]]

KIB = 1024
CAP = 2 * 1024 * KIB  # the red team runs with the default max_output_bytes


def size(result: dict[str, Any]) -> int:
    return len(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode())


@pytest.mark.parametrize(
    "code",
    [
        "throw 'x'.repeat(2e8)",
        "throw 'é'.repeat(3e6)",
        "throw new Error('x'.repeat(3e6))",
        "const e = new Error(); e.message = 'x'.repeat(2e8); throw e",
        "throw { big: 'x'.repeat(3e6) }",
        "const e = new Error('m'); e.name = 'N'.repeat(1e6); throw e",
        "Error.stackTraceLimit = Infinity; (function f(n) { if (n === 0) throw new Error('deep'); f(n - 1) })(5000)",
    ],
)
def test_a_huge_thrown_value_is_cut_in_the_sandbox(attack: Attack, code: str) -> None:
    result = attack(code, memory_mb=512, timeout_ms=5000)
    error = result["error"]
    assert not result["ok"] and error["kind"] == "runtime", error
    assert len(error["message"].encode()) <= 16 * KIB
    assert len(error["stack"].encode()) <= 64 * KIB
    assert len(error["name"].encode()) <= KIB
    assert size(result) <= CAP


def test_a_cut_message_ends_with_an_ellipsis_and_keeps_its_start(attack: Attack) -> None:
    result = attack("throw 'ab'.repeat(1e5)", memory_mb=64)
    message = result["error"]["message"]
    assert message.startswith("abab") and message.endswith("…")
    assert result["error"]["stack"] == "Error: " + message


def test_huge_timer_ids_in_a_batch_of_a_hundred(red_team: RedTeamService) -> None:
    """The 1 GB answer: an interval key of 10 million characters is now refused as any value
    past JSEVAL_MAX_RESULT_BYTES is (a TypeError); one within it is echoed cut at 1 KiB where
    the interval is registered."""
    refused = red_team.post({"code": "setInterval(() => {}, 1e5, 'i'.repeat(1e7)); 1",
                             "memory_mb": 64, "timeout_ms": 5000}).json()
    assert refused["error"]["kind"] == "runtime" and size(refused) < 4096
    item = {
        "code": "setInterval(() => {}, 1e5, 'i'.repeat(1e6)); 1", "memory_mb": 64,
        "timeout_ms": 5000,
    }
    body = {"evaluations": [item] * 100}
    with RssSampler(red_team.worker_pids) as rss:
        response = red_team.post(body, "/v1/evaluate/batch")
    assert response.status_code == 200
    assert len(response.content) <= 100 * CAP
    results = [assert_well_formed(r) for r in response.json()["results"]]
    assert all(r.ok and r.result == 1 for r in results)
    ids = [r.timers.pending[0].id for r in results]
    assert all(isinstance(i, str) and len(i.encode()) <= KIB and i.endswith("…") for i in ids)
    assert rss.api_peak_mb - red_team.api_baseline_mb < API_GROWTH_CAP_MB
    assert red_team.post(FOLLOW_UP).json()["result"] == [2, 4, 6]


def test_a_batch_of_answers_at_the_cap_is_bounded_by_the_batch_size(
    serve_api: Callable[..., Any],
) -> None:
    """Each evaluation makes about 9 MiB of records (log arguments up to the cap, stored values
    and actions below their own limit of 8 MiB); each answer is fitted to the cap, so the batch
    is at most 20 caps, and the API process never holds more than a bounded multiple of that.
    On a service of its own: the red team's API process would keep the RSS this took."""
    settings = Settings(workers=2, worker_concurrency=4, pool_size=1)
    live = serve_api(settings, WorkerPool(settings))
    baseline_mb = rss_mb(os.getpid())
    code = """
    const v = 'v'.repeat(60000);
    for (let i = 0; i < 40; i++) console.log('%c', v);
    for (let i = 0; i < 40; i++) storeValue('k' + (i % 4), v);
    for (let i = 0; i < 40; i++) showAlert(v);
    'survived'
    """
    body = {"evaluations": [{"code": code, "memory_mb": 64, "timeout_ms": 10000}] * 20}
    started = time.monotonic()
    with RssSampler(lambda: []) as rss, live.client() as client:
        response = client.post("/v1/evaluate/batch", json=body, timeout=120)
    assert response.status_code == 200, response.text[:200]
    results = response.json()["results"]
    assert len(response.content) <= 20 * CAP
    for result in results:
        assert_well_formed(result)
        assert result["ok"] and result["result"] == "survived", result["error"]  # unchanged
        assert result["output_truncated"] is True and size(result) <= CAP
        assert result["logs"] == [] and len(result["store"]) == 4
    # 20 answers of 2 MiB: the API held about three copies (measured: 100 such answers, 194
    # MiB, grew it by 603 MiB), well under the red team's cap.
    assert rss.api_peak_mb - baseline_mb < API_GROWTH_CAP_MB
    assert time.monotonic() - started < 60
    del response, results
    give_back_memory()  # this process also hosts the red team, whose checks measure its RSS


def test_log_arguments_are_bounded_by_the_answer_cap(attack: Attack) -> None:
    code = "for (let i = 0; i < 100; i++) console.log('%c.', 'x'.repeat(1e5)); 'ok'"
    result = attack(code, memory_mb=64, timeout_ms=3000)
    assert result["ok"] and result["logs_truncated"] is True
    assert size(result) <= CAP
    assert 0 < len(result["logs"]) < 100 and all(e["text"] == "." for e in result["logs"])
