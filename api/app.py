"""The FastAPI application: `create_app(settings=None, service=None)`.

The middleware list below is the HTTP policy, outermost first; its order is the documented
order of checks (docs/API.md: 413, then 401, then 422 in the routes, then 429/503 from the
service):

    LastResortMiddleware   anything unexpected -> 500, no internals in the answer or the log
    AccessLogMiddleware    request id, one content-free log line, HTTP status metrics
    CORSMiddleware         only with JSEVAL_CORS_ORIGINS; answers preflights before auth
    BodyLimitMiddleware    413 over JSEVAL_MAX_REQUEST_BYTES, before the body is read whole
    AdminKeyMiddleware     /v1/admin/* only: 403 without JSEVAL_ADMIN_KEYS, 401 without one
    ApiKeyMiddleware       only with JSEVAL_API_KEYS; 401 on /v1/* (not /v1/admin/*), /metrics
    BackpressureMiddleware ServiceBusy -> 429 + Retry-After, ServiceUnavailable -> 503

The lifespan starts the service in the background (so /healthz answers while it warms and
/readyz reports it) and drains it on shutdown: in-flight evaluations finish, new ones get 503.

The datasource store (SPEC section 8) is opened when the app is built, not in the lifespan: a
wrong master key or an unreachable database is then an error of `create_app` (and of
`jseval serve`, before it listens), never a server that runs and fails later. The installed
libraries (SPEC section 9) are read from the same database then too and handed to the service
before it starts; the lifespan watches for changes made elsewhere (api/library_sync.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

import evaluator
from api.library_sync import LibrarySync
from api.lifecycle import ServiceLifecycle
from api.metrics import ApiMetrics
from api.middleware.access_log import AccessLogMiddleware
from api.middleware.admin_auth import ADMIN_PREFIX, AdminKeyMiddleware
from api.middleware.auth import ApiKeyMiddleware
from api.middleware.backpressure import BackpressureMiddleware
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.last_resort import LastResortMiddleware
from api.openapi import install_openapi
from api.routes import admin, docs, evaluate, health, libraries, meta
from api.static_files import RevalidatedStaticFiles
from evaluator import (
    DataStoreError,
    EvaluationService,
    NotFound,
    RequestRejected,
    Settings,
    WorkerPool,
)
from evaluator.datasources import DatasourceStore
from evaluator.libraries import SqlLibraryStore

__all__ = ["OPEN_PATHS", "OPEN_PREFIXES", "create_app", "default_service"]

# Reachable without an API key: probes, the docs (and their assets), the playground, the icon.
OPEN_PATHS = frozenset({"/", "/healthz", "/readyz", "/docs", "/openapi.json", "/favicon.ico"})
OPEN_PREFIXES = ("/static/", f"{docs.DOCS_ASSETS}/")
ROUTERS = (
    evaluate.router, health.router, meta.router, admin.router, libraries.router, docs.router
)


def default_service(settings: Settings) -> WorkerPool:
    """Worker processes: nothing a sandbox does can take the API process down. (`jseval serve
    --workers 0` passes a `LocalService` instead.)"""
    return WorkerPool(settings)


def _validation_errors(errors: object) -> list[dict[str, object]]:
    """FastAPI's 422 shape without `input`: never echo (possibly large) request data back."""
    shaped: list[dict[str, object]] = []
    for error in errors if isinstance(errors, list | tuple) else ():
        if isinstance(error, dict):
            shaped.append({key: error.get(key) for key in ("type", "loc", "msg")})
    return shaped


_DESCRIPTION = """\
Runs untrusted JavaScript in a fresh V8 isolate per evaluation, with Appsmith's framework
functions, a virtual clock and a cookie-less `fetch`. Every evaluation that was carried out is
a 200, whether the JavaScript succeeded (`ok: true`) or not (`ok: false` with `error.kind`).

When the server has `JSEVAL_API_KEYS`, `/v1/*` and `/metrics` need `Authorization: Bearer
<key>` (the Authorize button); the probes, these docs and the playground stay open.
Each example under "Try it out" runs as given.
"""

_NOT_JSON = "Body must be JSON sent with Content-Type: application/json"


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc.errors())
    # FastAPI reads a body as JSON only when it is declared so (which keeps a browser's plain
    # form posts out); say that, rather than "Input should be a valid dictionary".
    if "json" not in request.headers.get("content-type", ""):
        for error in errors:
            if error["loc"] in (["body"], ("body",)):
                error["msg"] = _NOT_JSON
    return JSONResponse({"detail": errors}, status_code=422)


async def _request_rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestRejected)
    return JSONResponse({"detail": exc.errors}, status_code=exc.status_code)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _data_store_failed(request: Request, exc: Exception) -> JSONResponse:
    # The message names settings and key ids only (evaluator.errors.DataStoreError).
    return JSONResponse({"detail": str(exc)}, status_code=503)


def create_app(
    settings: Settings | None = None,
    service: EvaluationService | None = None,
    datasources: DatasourceStore | None = None,
    library_store: SqlLibraryStore | None = None,
) -> FastAPI:
    """Build the jseval HTTP app.

    Args:
        settings: limits, keys, CORS, queue; `Settings()` (the environment) by default.
        service: what runs evaluations; `default_service(settings)` by default. The app starts
            it in its lifespan and closes it on shutdown, so pass one not yet started.
        datasources: the datasource store; `DatasourceStore.open(settings)` by default (which
            raises DataStoreError / MasterKeyError: a wrong master key stops the app here).
            The app closes it on shutdown.
        library_store: the installed libraries; by default in the datasource store's
            database. Read now (DataStoreError if it cannot be) and handed to the service.
    """
    settings = settings or Settings()
    datasources = datasources or DatasourceStore.open(settings)
    library_store = library_store or SqlLibraryStore(datasources.store)
    service = service or default_service(settings)
    library_sync = LibrarySync(library_store, service, settings.library_refresh_ms / 1000)
    library_sync.prime()
    lifecycle = ServiceLifecycle(service, grace_s=settings.shutdown_grace_ms / 1000)
    metrics = ApiMetrics(service.stats)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lifecycle.start()
        watch = asyncio.get_running_loop().create_task(
            library_sync.watch(), name="jseval-libraries"
        )
        try:
            yield
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await lifecycle.shutdown()
            datasources.close()

    middleware = [  # outermost first: this order is the policy
        Middleware(LastResortMiddleware),
        Middleware(
            AccessLogMiddleware,
            known_paths=_known_paths(),
            on_status=metrics.observe_status,
        ),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["Retry-After", "X-Request-ID"],
                max_age=600,
            )
        )
    middleware.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes))
    middleware.append(Middleware(AdminKeyMiddleware, keys=settings.admin_keys))
    if settings.api_keys:
        middleware.append(
            Middleware(
                ApiKeyMiddleware,
                keys=settings.api_keys,
                # The admin API is AdminKeyMiddleware's alone: an evaluation key opens nothing
                # there, and an admin key need not also be an evaluation key.
                open_paths=OPEN_PATHS | {ADMIN_PREFIX},
                open_prefixes=(*OPEN_PREFIXES, ADMIN_PREFIX + "/"),
            )
        )
    middleware.append(Middleware(BackpressureMiddleware))

    app = FastAPI(
        title="jseval",
        version=evaluator.__version__,
        summary="Sandboxed JavaScript evaluation: fresh V8 isolates, Appsmith framework functions.",
        description=_DESCRIPTION,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,  # api/routes/docs.py serves /docs from vendored assets
        redoc_url=None,
        exception_handlers={
            RequestValidationError: _request_invalid,
            RequestRejected: _request_rejected,
            NotFound: _not_found,
            DataStoreError: _data_store_failed,
        },
    )
    app.state.settings = settings
    app.state.service = service
    app.state.lifecycle = lifecycle
    app.state.metrics = metrics
    app.state.datasources = datasources
    app.state.libraries = library_sync
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", RevalidatedStaticFiles(packages=[("api", "static")]), name="static")
    app.mount(
        docs.DOCS_ASSETS, RevalidatedStaticFiles(packages=[("api", "docs_ui")]), name="docs-ui"
    )
    install_openapi(
        app,
        protected=bool(settings.api_keys),
        open_paths=OPEN_PATHS,
        open_prefixes=OPEN_PREFIXES,
        admin_prefix=ADMIN_PREFIX,
        admin_protected=bool(settings.admin_keys),
    )
    return app


def _known_paths() -> set[str]:
    """Every path the app serves: the access log writes any other path as `other`."""
    paths = {getattr(route, "path", "") for router in ROUTERS for route in router.routes}
    return paths | OPEN_PATHS
