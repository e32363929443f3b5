"""GET /v1/info, GET /metrics and GET / (the playground page).

`/v1/info` tells a client what this server offers and allows: versions, the limits in force
(`Settings.limits()`), the framework functions of SPEC section 4 and bundled libraries (none
yet: unlike Appsmith, no lodash or moment). tests/api/test_meta.py checks that every listed
function really is a function inside the sandbox, so the list cannot drift.

The playground is a static page (api/static/) with no external resources, served with a strict
Content-Security-Policy: its script renders results with `textContent` only, and the policy
forbids inline script, so even a bug there could not run what an evaluation returned.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.dependencies import MetricsDep, SettingsDep
from api.metrics import CONTENT_TYPE
from evaluator import __version__, v8_version

__all__ = ["FRAMEWORK_FUNCTIONS", "LIBRARIES", "PLAYGROUND_CSP", "router"]

router = APIRouter()

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
LIBRARIES: tuple[str, ...] = ()

PLAYGROUND_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@cache
def _playground_html() -> bytes:
    return resources.files("api").joinpath("static/index.html").read_bytes()


@router.get("/v1/info", tags=["meta"], summary="Versions, limits and what the sandbox offers")
async def info(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(
        {
            "version": __version__,
            "v8_version": v8_version(),
            "limits": settings.limits(),
            "framework_functions": list(FRAMEWORK_FUNCTIONS),
            "libraries": list(LIBRARIES),
        }
    )


@router.get("/metrics", tags=["meta"], summary="Prometheus metrics")
async def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)


@router.get("/", include_in_schema=False)
async def playground() -> HTMLResponse:
    return HTMLResponse(
        _playground_html(),
        headers={
            "Content-Security-Policy": PLAYGROUND_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
