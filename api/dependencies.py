"""What routes take from the app: settings, service, lifecycle, metrics, datasources, installed
libraries (FastAPI dependencies).

They read `request.app.state`, which `create_app()` fills once, so a test can build an app with
its own `Settings` and service and every route sees them. They are `async def` on purpose: a
plain `def` dependency is run in a thread pool, which costs more than the lookup itself.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from api.library_sync import LibrarySync
from api.lifecycle import ServiceLifecycle
from api.metrics import ApiMetrics
from evaluator import EvaluationService, Settings
from evaluator.datasources import DatasourceStore

__all__ = [
    "DatasourcesDep",
    "LibrarySyncDep",
    "LifecycleDep",
    "MetricsDep",
    "ServiceDep",
    "SettingsDep",
    "get_datasources",
    "get_library_sync",
    "get_lifecycle",
    "get_metrics",
    "get_service",
    "get_settings",
]


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_service(request: Request) -> EvaluationService:
    return cast(EvaluationService, request.app.state.service)


async def get_lifecycle(request: Request) -> ServiceLifecycle:
    return cast(ServiceLifecycle, request.app.state.lifecycle)


async def get_metrics(request: Request) -> ApiMetrics:
    return cast(ApiMetrics, request.app.state.metrics)


async def get_datasources(request: Request) -> DatasourceStore:
    return cast(DatasourceStore, request.app.state.datasources)


async def get_library_sync(request: Request) -> LibrarySync:
    return cast(LibrarySync, request.app.state.libraries)


# FastAPI's Annotated style: a route declares `settings: SettingsDep` and FastAPI injects it.
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[EvaluationService, Depends(get_service)]
LifecycleDep = Annotated[ServiceLifecycle, Depends(get_lifecycle)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
DatasourcesDep = Annotated[DatasourceStore, Depends(get_datasources)]
LibrarySyncDep = Annotated[LibrarySync, Depends(get_library_sync)]
