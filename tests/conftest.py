"""Shared fixtures: a real in-process Evaluator and real live API servers (no mocks of our own
code)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from api.app import create_app
from api.server import DrainingServer, build_server
from evaluator import EvaluationResult, EvaluationService, Evaluator, LocalService, Settings


@pytest.fixture(scope="session")
def evaluator() -> Iterator[Evaluator]:
    with Evaluator(pool_size=2) as instance:
        yield instance


@pytest.fixture
def run(evaluator: Evaluator):
    """run(code, **request_fields) -> EvaluationResult."""

    def _run(code: str, **fields: object) -> EvaluationResult:
        return evaluator.evaluate({"code": code, **fields})

    return _run


# --- Live HTTP servers (tests/api, the conformance runner over HTTP) -------------------------
# As in httpx's tests/conftest.py: a real uvicorn server in a thread on 127.0.0.1, signal
# handlers off (uvicorn installs none outside the main thread), the fixture waiting until the
# server is started and the service's sandboxes are warm.


@dataclass
class LiveServer:
    """A running jseval API: its base URL, the uvicorn server, the thread it runs on."""

    url: str
    server: DrainingServer
    thread: threading.Thread

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)  # type: ignore[arg-type]


def wait_ready(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise TimeoutError("the live API did not become ready")


@contextmanager
def serve_live(
    settings: Settings, service: EvaluationService | None = None, *, ready: bool = True
) -> Iterator[LiveServer]:
    """Serve `create_app(settings, service)` (a LocalService by default) on a free port."""
    app = create_app(settings, service or LocalService(settings))
    # proto=IPPROTO_TCP, as uvicorn's own sockets: asyncio sets TCP_NODELAY on accepted
    # connections only then; without it each keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = build_server(
        app, "127.0.0.1", port, settings.shutdown_grace_ms / 1000, log_config=None
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-api", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live API did not start")
            time.sleep(0.01)
        live = LiveServer(f"http://127.0.0.1:{port}", server, thread)
        if ready:
            wait_ready(live.url)
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="session")
def live_api() -> Iterator[LiveServer]:
    """`create_app()` with the default limits (a LocalService), served on 127.0.0.1."""
    with serve_live(Settings(pool_size=2)) as live:
        yield live


@pytest.fixture(scope="session")
def api_client(live_api: LiveServer) -> Iterator[httpx.Client]:
    with live_api.client() as client:
        yield client


@pytest.fixture
def serve_api() -> Iterator[Callable[..., LiveServer]]:
    """serve_api(settings, service=None, ready=True): a dedicated live API for one test."""
    with contextlib.ExitStack() as stack:

        def _serve(
            settings: Settings, service: EvaluationService | None = None, ready: bool = True
        ) -> LiveServer:
            return stack.enter_context(serve_live(settings, service, ready=ready))

        yield _serve


@pytest.fixture(scope="session")
def live_server_cm() -> Callable[..., contextlib.AbstractContextManager[LiveServer]]:
    """`serve_live` itself, for module-scoped servers with their own settings."""
    return serve_live
