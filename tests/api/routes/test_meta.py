"""GET /v1/info, /metrics, / (the playground) and /docs."""

from __future__ import annotations

import re

import httpx

from api.routes.meta import FRAMEWORK_FUNCTIONS
from evaluator import Settings, __version__, v8_version


def test_info(api_client: httpx.Client) -> None:
    info = api_client.get("/v1/info").json()
    assert info["version"] == __version__
    assert info["v8_version"] == v8_version()
    assert info["limits"] == Settings(pool_size=2).limits()
    assert info["framework_functions"] == list(FRAMEWORK_FUNCTIONS)
    assert info["libraries"] == []


def test_info_lists_only_functions_the_sandbox_has(api_client: httpx.Client) -> None:
    names = api_client.get("/v1/info").json()["framework_functions"]
    code = f"{names!r}.filter(n => typeof globalThis[n] !== 'function')"
    body = api_client.post("/v1/evaluate", json={"code": code}).json()
    assert body["ok"] is True and body["result"] == []


def test_metrics(api_client: httpx.Client) -> None:
    api_client.post("/v1/evaluate", json={"code": "1"})
    api_client.post("/v1/evaluate", json={"code": "throw 1"})
    api_client.post("/v1/evaluate", json={"code": 1})
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for pattern in (
        r'jseval_evaluations_total\{kind="ok"\} [1-9]',
        r'jseval_evaluations_total\{kind="runtime"\} [1-9]',
        r"jseval_evaluation_duration_seconds_bucket\{le=\"0.005\"\} \d",
        r"jseval_evaluation_duration_seconds_count [1-9]",
        r"jseval_queue_depth \d",
        r"jseval_sandboxes_warm \d",
        r'jseval_fetches_total\{outcome="ok"\} \d',
        r'jseval_fetches_total\{outcome="error"\} \d',
        r'jseval_http_responses_total\{status="200"\} [1-9]',
        r'jseval_http_responses_total\{status="422"\} [1-9]',
    ):
        assert re.search(pattern, text), pattern


def test_playground_page(api_client: httpx.Client) -> None:
    page = api_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    for element in ('id="code"', 'id="mode"', 'id="timeout"', 'id="run"', 'id="result"',
                    'id="logs"', 'id="actions"', 'id="store-out"'):
        assert element in html, element
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "static/playground.js" in assets and "static/playground.css" in assets
    for asset in ("/static/playground.js", "/static/playground.css"):
        response = api_client.get(asset)
        assert response.status_code == 200, asset
        assert "http://" not in response.text and "https://" not in response.text  # no CDN
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    js = api_client.get("/static/playground.js").text
    assert "innerHTML" not in js and "v1/evaluate" in js


def test_docs_and_openapi(api_client: httpx.Client) -> None:
    assert api_client.get("/docs").status_code == 200
    schema = api_client.get("/openapi.json").json()
    evaluate = schema["paths"]["/v1/evaluate"]["post"]
    assert {"200", "401", "413", "422", "429", "503"} <= set(evaluate["responses"])
    assert "EvaluationRequest" in schema["components"]["schemas"]
    assert "/v1/evaluate/batch" in schema["paths"]
