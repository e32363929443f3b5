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
    assert info["libraries"] == [
        {"name": "lodash", "version": "4.17.21", "globals": ["_"], "builtin": True,
         "docs_url": "https://lodash.com/docs/4.17.21"},
        {"name": "moment", "version": "2.29.4", "globals": ["moment"], "builtin": True,
         "docs_url": "https://momentjs.com/docs/"},
        {"name": "forge", "version": "1.3.0", "globals": ["forge"], "builtin": True,
         "docs_url": "https://github.com/digitalbazaar/forge"},
    ]


def test_info_lists_only_libraries_the_sandbox_has(api_client: httpx.Client) -> None:
    libraries = api_client.get("/v1/info").json()["libraries"]
    checks = {
        "_": "_.VERSION", "moment": "moment.version", "forge": "typeof forge.md.sha256.create",
    }
    for library in libraries:
        for name in library["globals"]:
            body = api_client.post("/v1/evaluate", json={"code": checks[name]}).json()
            assert body["ok"] is True, body["error"]
            expected = "function" if name == "forge" else library["version"]
            assert body["result"] == expected, name


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


PLAYGROUND_MODULES = ("editors.js", "main.js", "render.js", "request.js", "state.js")


def test_playground_page(api_client: httpx.Client) -> None:
    page = api_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = page.text
    for element in ('id="code"', 'id="mode"', 'id="timeout_ms"', 'id="run"', 'id="result"',
                    'id="logs"', 'id="actions"', 'id="store-out"', 'id="random_seed"',
                    'id="now_ms"', 'id="queries"', 'id="js-objects"', 'id="js_state"'):
        assert element in html, element
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "static/playground/main.js" in assets and "static/playground.css" in assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    ours = ["/static/playground.css"] + [f"/static/playground/{m}" for m in PLAYGROUND_MODULES]
    for asset in ours:
        response = api_client.get(asset)
        assert response.status_code == 200, asset
        assert "http://" not in response.text and "https://" not in response.text  # no CDN
        assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text
    for module in ours[1:]:
        assert "javascript" in api_client.get(module).headers["content-type"], module
    # Modules import each other by fixed names: revalidate them, never mix two versions.
    first = api_client.get("/static/playground/main.js")
    assert first.headers["cache-control"] == "no-cache"
    again = api_client.get("/static/playground/main.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert "v1/evaluate" in api_client.get("/static/playground/main.js").text


def test_playground_style_nonce_is_fresh_per_load(api_client: httpx.Client) -> None:
    """CodeMirror's <style> element is let in by a nonce, never by 'unsafe-inline'."""
    nonces = []
    for _ in range(2):
        page = api_client.get("/")
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]{20,})'", page.headers["content-security-policy"])
        assert nonce, page.headers["content-security-policy"]
        assert f'<meta name="jseval-style-nonce" content="{nonce[1]}">' in page.text
        assert page.headers["cache-control"] == "no-store"
        nonces.append(nonce[1])
    assert nonces[0] != nonces[1]


def test_favicon(api_client: httpx.Client) -> None:
    icon = api_client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert icon.content[22:30] == b"\x89PNG\r\n\x1a\n"  # the one image, a PNG


def test_docs_and_openapi(api_client: httpx.Client) -> None:
    assert api_client.get("/docs").status_code == 200
    schema = api_client.get("/openapi.json").json()
    evaluate = schema["paths"]["/v1/evaluate"]["post"]
    assert {"200", "401", "413", "422", "429", "503"} <= set(evaluate["responses"])
    assert "EvaluationRequest" in schema["components"]["schemas"]
    assert "/v1/evaluate/batch" in schema["paths"]
