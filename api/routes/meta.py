"""GET /v1/info, GET /metrics, GET / (the playground page) and GET /favicon.ico.

`/v1/info` tells a client what this server offers and allows: versions, the limits in force
(`Settings.limits()`), the framework functions, the libraries of SPEC section 9 (name, version,
the globals it defines, whether it is built in: the built-in ones and every installed one the
service offers, refreshed from the data store first) and the datasources a query may name, as
`{"name", "kind"}` only: an evaluation client needs the names, while the configuration (base
URL, headers, which values are secrets) is the admin's and is read on the admin API (`null`
when the data store cannot answer; the rest of the answer does not depend on it).
tests/api/test_meta.py checks that every listed function and library global really is there
inside the sandbox, so the lists cannot drift.

The playground is a static page (api/static/) with no external resources, served with a strict
Content-Security-Policy: its scripts (ES modules under /static/playground/ and the CodeMirror
bundle under /static/vendor/) render results with `textContent` only, and the policy forbids
inline script, so even a bug there could not run what an evaluation returned.

CodeMirror writes its base styles into a `<style>` element at run time; rather than allow every
inline style (`'unsafe-inline'`), each page load gets a fresh nonce that only that element
carries (CodeMirror's `EditorView.cspNonce`, read from a `<meta>` in the page).
"""

from __future__ import annotations

import logging
import secrets
from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.dependencies import DatasourcesDep, LibrarySyncDep, MetricsDep, SettingsDep
from api.metrics import CONTENT_TYPE
from api.openapi import ERROR_RESPONSES
from evaluator import DataStoreError, __version__, v8_version

__all__ = ["FRAMEWORK_FUNCTIONS", "PLAYGROUND_CSP", "router"]

router = APIRouter()
logger = logging.getLogger("jseval.api")

FRAMEWORK_FUNCTIONS: tuple[str, ...] = (
    "storeValue",
    "removeValue",
    "clearStore",
    "showAlert",
    "navigateTo",
    "showModal",
    "closeModal",
    "download",
    "copyToClipboard",
    "resetWidget",
    "postWindowMessage",
    "setInterval",
    "clearInterval",
    "setTimeout",
    "clearTimeout",
)

PLAYGROUND_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_NONCE_SLOT = b"{{style_nonce}}"


@cache
def _static_file(name: str) -> bytes:
    return resources.files("api").joinpath("static", name).read_bytes()


@router.get(
    "/v1/info",
    tags=["meta"],
    summary="Versions, limits and what the sandbox offers",
    responses={
        200: {
            "description": "`version`, `v8_version`, `limits` (the limits in force), "
            "`framework_functions`, `libraries`, `datasources`."
        },
        401: ERROR_RESPONSES[401],
    },
)
async def info(
    settings: SettingsDep, datasources: DatasourcesDep, libraries: LibrarySyncDep
) -> JSONResponse:
    listed: list[dict[str, str]] | None
    try:
        names = await run_in_threadpool(datasources.names)
        listed = [{"name": name, "kind": kind} for name, kind in names]
    except DataStoreError as exc:
        logger.warning("datasources unavailable for /v1/info: %s", type(exc).__name__)
        listed = None
    try:
        await libraries.refresh()  # list what evaluations are offered, as of now
    except DataStoreError as exc:  # then what they were offered last, which still holds
        logger.warning("installed libraries not refreshed for /v1/info: %s", type(exc).__name__)
    return JSONResponse(
        {
            "version": __version__,
            "v8_version": v8_version(),
            "limits": settings.limits(),
            "framework_functions": list(FRAMEWORK_FUNCTIONS),
            "libraries": [library.info() for library in libraries.libraries()],
            "datasources": listed,
        }
    )


@router.get(
    "/metrics",
    tags=["meta"],
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format (docs/API.md lists the metrics).",
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": "# TYPE jseval_evaluations_total counter\n"
                    'jseval_evaluations_total{kind="ok"} 12.0\n',
                }
            },
        },
        401: ERROR_RESPONSES[401],
    },
)
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)


@router.get("/", include_in_schema=False)
async def playground() -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        _static_file("index.html").replace(_NONCE_SLOT, nonce.encode()),
        headers={
            "Content-Security-Policy": PLAYGROUND_CSP.format(nonce=nonce),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",  # a nonce is good for one page load only
        },
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    # Browsers ask for it on every page; an icon beats a 404 in every access log.
    return Response(
        _static_file("favicon.ico"),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
