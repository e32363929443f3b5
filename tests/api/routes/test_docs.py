"""GET /docs: Swagger UI served entirely by the service, open with API keys,
rendered by a real headless Chromium that cannot reach any other host."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.routes.docs import DOCS_CSP
from evaluator import Settings

SWAGGER_UI = resources.files("api").joinpath("docs_ui/swagger-ui")


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_page_links_only_its_own_assets(api_client: httpx.Client) -> None:
    page = api_client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DOCS_CSP
    assert "script-src 'self';" in DOCS_CSP and "unsafe-eval" not in DOCS_CSP
    assets = _assets(page.text)
    assert "docs/ui/swagger-ui/swagger-ui-bundle.js" in assets
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//", "/")), asset  # relative
        response = api_client.get(f"/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset
    init = api_client.get("/docs/ui/docs.js").text
    assert "validatorUrl: null" in init and "http" not in init


def test_vendored_swagger_ui_matches_its_manifest() -> None:
    manifest = json.loads(SWAGGER_UI.joinpath("manifest.json").read_text())
    [package] = manifest["packages"]
    assert package["name"] == "swagger-ui-dist" and package["integrity"].startswith("sha512-")
    assert int(package["version"].split(".")[0]) >= 5  # 4.x cannot render OpenAPI 3.1
    for entry in package["files"]:
        digest = hashlib.sha256(SWAGGER_UI.joinpath(entry["to"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["to"]


def test_docs_stay_open_with_api_keys(serve_api: Callable[..., Any]) -> None:
    live = serve_api(Settings(workers=1, pool_size=1, api_keys=(SecretStr("k-9"),)))
    with live.client() as client:
        for path in ("/docs", "/openapi.json", "/favicon.ico", "/docs/ui/docs.js",
                     "/docs/ui/swagger-ui/swagger-ui.css"):
            assert client.get(path).status_code == 200, path
        assert client.get("/docs/ui/../v1/info").status_code in (401, 404)
        assert client.get("/v1/info").status_code == 401


def _chromium() -> str:
    """Debian's Chromium, as for the playground (tests/api/static/conftest.py): missing, the
    test fails, unless JSEVAL_SKIP_BROWSER_TESTS=1 outside CI."""
    path = os.environ.get("JSEVAL_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(path):
        if os.environ.get("JSEVAL_SKIP_BROWSER_TESTS") == "1" and not os.environ.get("CI"):
            pytest.skip("no Chromium (JSEVAL_SKIP_BROWSER_TESTS=1)")
        pytest.fail(f"no Chromium at {path}: apt-get install -y chromium", pytrace=False)
    return path


def test_docs_render_in_chromium_without_internet(api_client: httpx.Client, tmp_path: Path):
    """Every host but 127.0.0.1 fails to resolve: a CDN asset would leave the page blank."""
    browser = _chromium()
    done = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={tmp_path}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000", "--dump-dom", f"{api_client.base_url}/docs",
        ],
        capture_output=True, text=True, timeout=90, check=False,
    )
    dom = done.stdout
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert {"/v1/evaluate", "/v1/evaluate/batch", "/healthz", "/metrics"} <= rendered, (
        done.stderr[-2000:]
    )
    assert "Failed to load API definition" not in dom
