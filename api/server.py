"""`jseval serve` / `python -m api`: the app under uvicorn, with a graceful drain on SIGTERM.

uvicorn's own shutdown stops accepting connections first and drains afterwards, so a load
balancer sees refused connections rather than a clear answer. `DrainingServer` drains first:
on the first SIGTERM or SIGINT the service stops admitting evaluations (new ones get 503,
`/readyz` says 503 "draining") while in-flight ones finish, for at most
`JSEVAL_SHUTDOWN_GRACE_MS`; then uvicorn shuts down as usual. A second signal hands over to
uvicorn's own shutdown at once (stop accepting, then finish the drain); one more Ctrl+C
force-quits, as in plain uvicorn.

The signal handler only sets a flag; the drain starts on uvicorn's next tick (every 0.1 s) in
the event loop, which is where asyncio work may be started from.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import sys
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG

from api.app import create_app
from api.lifecycle import ServiceLifecycle
from api.process_guard import protect_process_memory
from evaluator import DataStoreError, EvaluationService, LocalService, Settings
from evaluator.datasources import DatasourceStore

__all__ = ["DrainingServer", "log_config", "serve"]

logger = logging.getLogger("jseval.api")


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first exit signal drains the jseval service before stopping."""

    def __init__(self, config: uvicorn.Config, lifecycle: ServiceLifecycle) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.drain_requested = False
        self._drain: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """First signal: drain, then exit. Any further one: uvicorn's own handling (exit now)."""
        if self.drain_requested or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self.drain_requested = True

    def request_drain(self) -> None:
        """What the first SIGTERM does; callable from any thread (tests call it directly)."""
        self.drain_requested = True

    async def on_tick(self, counter: int) -> bool:
        if self.drain_requested and self._drain is None:
            logger.info("exit signal received: draining before shutdown")
            self._drain = self.lifecycle.begin_drain()
        if self._drain is not None and self._drain.done():
            self.should_exit = True
        return await super().on_tick(counter)


def log_config() -> dict[str, Any]:
    """uvicorn's logging setup plus the `jseval` loggers at INFO on stderr, with time and name.

    The access lines are logfmt (`key=value ...`), so they can be shipped as they are; the same
    fields are in `record.access` for a JSON formatter.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["jseval"] = {
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "datefmt": "%Y-%m-%dT%H:%M:%S%z",
    }
    config["handlers"]["jseval"] = {
        "formatter": "jseval",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["jseval"] = {"handlers": ["jseval"], "level": "INFO", "propagate": False}
    return config


def build_server(
    app: FastAPI, host: str, port: int, grace_s: float, **options: Any
) -> DrainingServer:
    """The server for `app` (made by `create_app`); options go to `uvicorn.Config`."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # jseval.access logs each request, without query strings
        server_header=False,
        timeout_graceful_shutdown=max(1, round(grace_s)),
        **options,
    )
    lifecycle = app.state.lifecycle
    assert isinstance(lifecycle, ServiceLifecycle)
    return DrainingServer(config, lifecycle)


def serve(host: str | None = None, port: int | None = None, workers: int | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the exit status. None means the setting (`JSEVAL_*`).

    `workers=0` evaluates in the server process (`LocalService`); otherwise the service has
    that many worker processes once the evaluator offers them.
    """
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if workers:
        overrides["workers"] = workers
    settings = Settings(**overrides)
    try:  # a wrong master key or an unreachable store: one clear line, before listening
        datasources = DatasourceStore.open(settings)
    except DataStoreError as exc:
        print(f"jseval: {exc}", file=sys.stderr)
        return 2
    protect_process_memory()  # before any worker exists (api/process_guard.py)
    service: EvaluationService | None = LocalService(settings) if workers == 0 else None
    app = create_app(settings, service, datasources)
    server = build_server(
        app,
        settings.host,
        settings.port,
        settings.shutdown_grace_ms / 1000,
        log_config=log_config(),
    )
    server.run()
    return 0
