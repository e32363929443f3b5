"""POST /v1/evaluate and /v1/evaluate/batch against a live server: 200 for every evaluation
carried out, 422 for invalid requests, batch order and isolation."""

from __future__ import annotations

import time

import httpx

from evaluator import EvaluationResult


def evaluate(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post("/v1/evaluate", json=body)


def test_one_plus_one(api_client: httpx.Client) -> None:
    response = evaluate(api_client, code="1 + 1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result = EvaluationResult.model_validate_json(response.content)  # the evaluator's own model
    assert result.ok is True and result.result == 2 and result.result_type == "number"


def test_full_result_shape(api_client: httpx.Client) -> None:
    code = (
        "console.log('line', 1); storeValue('k', 1); showAlert('hi', 'success');"
        "setInterval(() => {}, 100, 'poll'); 2"
    )
    body = evaluate(api_client, code=code).json()
    assert set(body) == {
        "ok", "result", "result_type", "error", "logs", "logs_truncated", "actions", "store",
        "store_ops", "timers", "fetches", "output_truncated", "stats",
    }
    assert body["output_truncated"] is False
    assert body["logs"][0]["text"] == "line 1"
    assert body["actions"][-1] == {
        "type": "SHOW_ALERT", "payload": {"message": "hi", "style": "success"}
    }
    assert body["store"] == {"k": 1}
    assert body["timers"]["pending"] == [{"id": "poll", "kind": "interval", "delay_ms": 100}]


def test_failures_are_200_with_ok_false(api_client: httpx.Client) -> None:
    cases = {
        "runtime": {"code": "null.x"},
        "syntax": {"code": "let let"},
        "timeout": {"code": "while (true) {}", "timeout_ms": 100},
        "memory": {
            "code": "const a = []; while (true) a.push(new Array(1e6).fill(1.5))",
            "memory_mb": 16,
        },
    }
    for kind, request in cases.items():
        response = api_client.post("/v1/evaluate", json=request)
        assert response.status_code == 200, kind
        body = response.json()
        assert body["ok"] is False and body["error"]["kind"] == kind, body["error"]


def test_pydantic_validation_is_422_in_fastapi_shape(api_client: httpx.Client) -> None:
    response = api_client.post("/v1/evaluate", json={"mode": "script", "surprise": 1})
    assert response.status_code == 422
    detail = response.json()["detail"]
    locations = [tuple(error["loc"]) for error in detail]
    assert ("body", "code") in locations and ("body", "surprise") in locations
    for error in detail:  # the request is never echoed back
        assert set(error) == {"type", "loc", "msg"}


def test_settings_bounds_are_422_in_the_same_shape(api_client: httpx.Client) -> None:
    response = evaluate(api_client, code="1", timeout_ms=30_001, memory_mb=513)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [error["loc"] for error in detail] == [["body", "timeout_ms"], ["body", "memory_mb"]]
    assert detail[0]["msg"] == "Input should be less than or equal to 30000"


def test_mode_rules_and_bad_json_are_422(api_client: httpx.Client) -> None:
    assert evaluate(api_client, code="1", args=[1]).status_code == 422
    assert evaluate(api_client, code="1", now_ms=5).status_code == 422
    response = api_client.post(
        "/v1/evaluate", content=b'{"code": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_code_too_long_is_422(api_client: httpx.Client) -> None:
    response = evaluate(api_client, code="1;" * 131_073)  # 262146 bytes > 262144
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "code"]


def test_batch_results_in_request_order(api_client: httpx.Client) -> None:
    # The first item finishes last: results still come back in request order.
    evaluations = [
        {"code": f"new Promise(r => setTimeout(() => r({i}), {(4 - i) * 60}))"} for i in range(5)
    ]
    response = api_client.post("/v1/evaluate/batch", json={"evaluations": evaluations})
    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == [0, 1, 2, 3, 4]


def test_batch_items_are_isolated(api_client: httpx.Client) -> None:
    evaluations = [
        {"code": "globalThis.leak = 1; Array.prototype.evil = 1; storeValue('k', 'a'); 'set'"},
        {"code": "[typeof leak, typeof [].evil, appsmith.store.k === undefined]"},
        {"code": "throw new TypeError('only me')"},
        {"code": "'still fine'"},
    ]
    results = api_client.post("/v1/evaluate/batch", json={"evaluations": evaluations}).json()[
        "results"
    ]
    assert results[0]["result"] == "set" and results[0]["store"] == {"k": "a"}
    assert results[1]["result"] == ["undefined", "undefined", True]
    assert results[1]["store"] == {}
    assert results[2]["ok"] is False and results[2]["error"]["name"] == "TypeError"
    assert results[3]["result"] == "still fine"


def test_batch_runs_concurrently(api_client: httpx.Client) -> None:
    # Four evaluations of 400 ms each; one after the other they would take 1.6 s.
    evaluations = [{"code": "new Promise(r => setTimeout(r, 400))"}] * 4
    started = time.monotonic()
    response = api_client.post("/v1/evaluate/batch", json={"evaluations": evaluations})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert all(r["ok"] for r in response.json()["results"])
    assert elapsed < 1.4


def test_batch_validation(api_client: httpx.Client) -> None:
    too_many = {"evaluations": [{"code": "1"}] * 101}
    response = api_client.post("/v1/evaluate/batch", json=too_many)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "evaluations"]

    bad_item = {"evaluations": [{"code": "1"}, {"code": "1", "timeout_ms": 99_999}]}
    response = api_client.post("/v1/evaluate/batch", json=bad_item)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "evaluations", 1, "timeout_ms"]

    response = api_client.post("/v1/evaluate/batch", json={"evaluations": [{"nope": 1}]})
    assert response.status_code == 422

    response = api_client.post("/v1/evaluate/batch", json={"evaluations": []})
    assert response.status_code == 200 and response.json() == {"results": []}


def test_fetch_over_http_is_the_in_process_fetch(api_client: httpx.Client) -> None:
    # A refused address: the same TypeError and fetch record as in-process, counted in metrics.
    code = "try { await fetch('http://127.0.0.1:9/x') } catch (e) { return String(e) }"
    body = evaluate(api_client, code=code, mode="function").json()
    assert body["result"].startswith("TypeError: fetch failed: ")
    (record,) = body["fetches"]
    assert record["url"] == "http://127.0.0.1:9/x" and record["error"]
    metrics = api_client.get("/metrics").text
    assert 'jseval_fetches_total{outcome="error"} 0.0' not in metrics


def test_body_must_be_declared_json(api_client: httpx.Client) -> None:
    # FastAPI's strict content type: a form post (what a foreign page can send) is refused.
    for headers in ({}, {"content-type": "text/plain"}):
        response = api_client.post("/v1/evaluate", content=b'{"code": "1"}', headers=headers)
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"].startswith("Body must be JSON")
    response = api_client.post(
        "/v1/evaluate", content=b'{"code": "1"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
