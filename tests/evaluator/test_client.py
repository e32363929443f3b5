"""evaluator.client against real live servers: the same models as in-process, batch, every
HTTP answer as its exception, a real 429 retried after Retry-After, and no answer at all."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from evaluator import (
    AuthenticationFailed,
    EvaluationRequest,
    EvaluationResult,
    Evaluator,
    JsevalError,
    RequestRejected,
    ServiceBusy,
    ServiceUnavailable,
    ServiceUnreachable,
    Settings,
    UnexpectedResponse,
)
from evaluator.client import AsyncClient, Client, _retry_after_s

DETERMINISTIC = {
    "code": "await new Promise(r => setTimeout(r, 5000));\n"
    "console.log('at', Date.now()); storeValue('k', Math.random());\n"
    "return { when: new Date().toISOString(), n: 10n ** 20n, s: new Set([1, 2]) };",
    "mode": "function",
    "clock": "virtual",
    "now_ms": 0,
    "random_seed": 7,
}


def _comparable(result: EvaluationResult) -> dict[str, Any]:
    dumped = result.model_dump(mode="json", exclude={"stats"})
    for entry in dumped["logs"]:
        entry.pop("at_ms")
    return dumped


def test_same_models_and_results_as_in_process(live_api: Any, evaluator: Evaluator) -> None:
    with Client(live_api.url) as client:
        over_http = client.evaluate(EvaluationRequest.model_validate(DETERMINISTIC))
        from_dict = client.evaluate(DETERMINISTIC)
    in_process = evaluator.evaluate(DETERMINISTIC)
    assert isinstance(over_http, EvaluationResult)
    assert over_http.ok and over_http.result == {
        "when": "1970-01-01T00:00:05.000Z", "n": "100000000000000000000", "s": [1, 2],
    }
    assert _comparable(over_http) == _comparable(in_process) == _comparable(from_dict)


def test_a_javascript_failure_is_a_result(live_api: Any) -> None:
    with Client(live_api.url) as client:
        result = client.evaluate({"code": "\n  null.x"})
    assert result.ok is False and result.error is not None
    assert (result.error.kind, result.error.name, result.error.line) == ("runtime", "TypeError", 2)


def test_invalid_request_is_rejected_with_the_servers_reasons(live_api: Any) -> None:
    with Client(live_api.url) as client, pytest.raises(RequestRejected) as caught:
        client.evaluate({"code": "1", "timeout_ms": 10**9, "now_ms": 5})
    assert caught.value.status_code == 422
    assert not isinstance(caught.value, AuthenticationFailed)
    locations = [error["loc"] for error in caught.value.errors]
    assert ["body", "timeout_ms"] in locations or ["body"] in locations
    with Client(live_api.url) as client, pytest.raises(RequestRejected) as unknown:
        client.evaluate({"code": "1", "no_such_field": True})  # sent as given: the server judges
    assert unknown.value.errors[0]["loc"] == ["body", "no_such_field"]
    with Client(live_api.url) as client, pytest.raises(RequestRejected):
        client.evaluate({"code": object()})  # not JSON: refused before sending


def test_batch_keeps_order(live_api: Any) -> None:
    requests = [{"code": f"{i} * 2"} for i in range(5)] + [{"code": "throw new Error('x')"}]
    with Client(live_api.url) as client:
        results = client.evaluate_batch(requests)
        assert client.evaluate_batch([]) == []
        info = client.info()
        assert client.ready() is True
    assert [r.result for r in results[:5]] == [0, 2, 4, 6, 8]
    assert results[5].error is not None and results[5].error.message == "x"
    assert info["limits"]["max_batch"] >= 1


def test_api_key(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, pool_size=1, api_keys=(SecretStr("sekrit-1"),)))
    with Client(live.url) as anonymous, pytest.raises(AuthenticationFailed) as caught:
        anonymous.evaluate({"code": "1"})
    assert caught.value.status_code == 401 and isinstance(caught.value, RequestRejected)
    with Client(live.url, api_key="wrong") as wrong, pytest.raises(AuthenticationFailed):
        wrong.info()
    with Client(live.url, api_key="sekrit-1") as client:
        assert client.evaluate({"code": "40 + 2"}).result == 42
        assert "sekrit" not in repr(client) and "[secure]" in repr(client)


def test_body_too_large_is_413(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, pool_size=1, max_request_bytes=2048))
    with Client(live.url) as client, pytest.raises(RequestRejected) as caught:
        client.evaluate({"code": "'" + "x" * 4000 + "'"})
    assert caught.value.status_code == 413


def _gauge(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in /metrics")


def _wait_for(url: str, name: str, value: float) -> None:
    deadline = time.monotonic() + 20
    while _gauge(url, name) != value:
        assert time.monotonic() < deadline, f"{name} never reached {value}"
        time.sleep(0.01)


@contextmanager
def _queue_filled(url: str) -> Iterator[list[int]]:
    """One evaluation running and one queued (capacity 1, queue 1), until both time out:
    the service's own gauges say when, so a loaded machine cannot reorder them."""
    statuses: list[int] = []
    spin = {"code": "while (true) {}", "timeout_ms": 3000}

    def post() -> None:
        statuses.append(httpx.post(f"{url}/v1/evaluate", json=spin, timeout=60).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    threads[0].start()
    _wait_for(url, "jseval_evaluations_running", 1)
    threads[1].start()
    _wait_for(url, "jseval_queue_depth", 1)
    try:
        yield statuses
    finally:
        for thread in threads:
            thread.join(timeout=60)


def _count_429(url: str) -> float:
    try:
        return _gauge(url, 'jseval_http_responses_total{status="429"}')
    except AssertionError:  # none yet
        return 0.0


def test_a_real_429_is_retried_after_retry_after(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, worker_concurrency=1, max_queue=1, pool_size=1))
    with _queue_filled(live.url) as blockers:
        with Client(live.url, max_retries=0) as impatient, pytest.raises(ServiceBusy) as busy:
            impatient.evaluate({"code": "1"})
        assert busy.value.retry_after_s >= 1
        with Client(live.url, max_retry_wait_s=0.5) as short, pytest.raises(ServiceBusy):
            short.evaluate({"code": "1"})  # Retry-After (>= 1 s) is past what it may wait
        refused_before = _count_429(live.url)
        with Client(live.url, max_retries=10) as patient:
            result = patient.evaluate({"code": "'finally'"})
        assert result.ok and result.result == "finally"
        assert _count_429(live.url) > refused_before  # it was refused, waited, and got in
    assert sorted(blockers) == [200, 200]


def test_503_while_draining_then_unreachable(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, worker_concurrency=1, pool_size=1))
    holder = threading.Thread(
        target=httpx.post,
        args=(f"{live.url}/v1/evaluate",),
        kwargs={"json": {"code": "while (true) {}", "timeout_ms": 3000}, "timeout": 60},
    )
    holder.start()
    _wait_for(live.url, "jseval_evaluations_running", 1)  # the drain will wait for it
    live.server.request_drain()
    deadline = time.monotonic() + 20
    while httpx.get(f"{live.url}/readyz").status_code != 503:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with Client(live.url, max_retries=0) as client, pytest.raises(ServiceUnavailable) as caught:
        client.evaluate({"code": "1"})
    assert not isinstance(caught.value, ServiceUnreachable)
    holder.join(timeout=60)
    live.thread.join(timeout=30)  # the drain ended: the server stopped
    with Client(live.url) as client, pytest.raises(ServiceUnreachable):
        client.evaluate({"code": "1"})


def test_no_server_is_unreachable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with Client(f"http://127.0.0.1:{port}") as client, pytest.raises(ServiceUnreachable) as caught:
        client.evaluate({"code": "1"})
    assert isinstance(caught.value, ServiceUnavailable) and f"{port}" in str(caught.value)


def test_a_server_that_is_not_jseval(origin_server: Any) -> None:
    with Client(origin_server.url("/")) as client, pytest.raises(UnexpectedResponse) as caught:
        client.evaluate({"code": "1"})
    assert caught.value.status_code == 404 and isinstance(caught.value, JsevalError)


def test_async_client(live_api: Any) -> None:
    async def main() -> tuple[list[EvaluationResult], list[EvaluationResult], bool]:
        async with AsyncClient(live_api.url) as client:
            singles = await asyncio.gather(*(client.evaluate({"code": f"{i} + 1"}) for i in range(4)))
            batch = await client.evaluate_batch([{"code": "'a'"}, {"code": "'b'"}])
            with pytest.raises(RequestRejected):
                await client.evaluate({"code": "1", "mode": "nope"})
            return list(singles), batch, await client.ready()

    singles, batch, ready = asyncio.run(main())
    assert [r.result for r in singles] == [1, 2, 3, 4]
    assert [r.result for r in batch] == ["a", "b"] and ready


def test_async_client_retries_a_real_429(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, worker_concurrency=1, max_queue=1, pool_size=1))

    async def main() -> EvaluationResult:
        async with AsyncClient(live.url, max_retries=0) as impatient:
            with pytest.raises(ServiceBusy):
                await impatient.evaluate({"code": "1"})
        async with AsyncClient(live.url, max_retries=10) as patient:
            return await patient.evaluate({"code": "2"})

    with _queue_filled(live.url):
        assert asyncio.run(main()).result == 2


def test_retry_after_forms() -> None:
    assert _retry_after_s("3") == 3.0
    assert _retry_after_s(None) is None and _retry_after_s("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    delay = _retry_after_s(later)
    assert delay is not None and 25 <= delay <= 30
    assert _retry_after_s(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
