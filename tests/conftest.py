"""Shared fixtures: a real in-process Evaluator and real live API servers (no mocks of our own
code)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import tempfile
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

# Every app the tests build opens the data store (SPEC section 8) of `JSEVAL_DATA_DIR`: a
# temporary directory for this run, never the working directory's ./.jseval, and none of the
# developer's own datasource settings.
for _name in ("JSEVAL_DATABASE_URL", "JSEVAL_MASTER_KEY", "JSEVAL_ADMIN_KEYS"):
    os.environ.pop(_name, None)
os.environ["JSEVAL_DATA_DIR"] = tempfile.mkdtemp(prefix="jseval-tests-")
atexit.register(shutil.rmtree, os.environ["JSEVAL_DATA_DIR"], ignore_errors=True)


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


# --- Servers for fetch (tests/evaluator/capabilities/fetch/, tests/shims/fetch/) ---
# `origin_server`: a real uvicorn server on 127.0.0.1 that fetch is allowed to reach (echo,
# redirects, status codes, big/slow/gzip bodies, Set-Cookie). `forbidden_server`: a bare TCP
# listener that counts accepted connections; every refusal test asserts it saw none.


class _OriginApp:
    """A raw ASGI app, so every header (Set-Cookie, Content-Encoding, Location) is ours."""

    def __init__(self) -> None:
        self.hits = 0
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        self.gzipped: dict[int, bytes] = {}
        self.heavy: dict[int, tuple[bytes, bytes]] = {}
        self.bodies_sent = 0  # of /bomb and /heavy, counted once the last byte left
        self.bomb_bytes_sent = 0

    async def _stream(
        self, send: Callable, receive: Callable, pieces: Iterator[bytes], coding: bytes
    ) -> None:
        """Send `pieces` in ~64 KiB writes until done or the client goes away."""
        import asyncio

        headers = [(b"content-type", b"application/json"), (b"content-encoding", coding)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        gone = asyncio.ensure_future(receive())  # the body was read: the next is a disconnect
        batch: list[bytes] = []
        size = 0
        try:
            for piece in pieces:
                batch.append(piece)
                size += len(piece)
                if size >= 65536:
                    await asyncio.sleep(0)  # a send to a closed connection does not yield
                    if gone.done():
                        return
                    await send({"type": "http.response.body", "body": b"".join(batch), "more_body": True})
                    self.bomb_bytes_sent += size
                    batch, size = [], 0
            await send({"type": "http.response.body", "body": b"".join(batch)})
            self.bomb_bytes_sent += size
            self.bodies_sent += 1
        finally:
            gone.cancel()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        import asyncio
        import gzip
        import json
        import zlib
        from urllib.parse import parse_qs

        if scope["type"] != "http":
            return
        with self.lock:
            self.hits += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            path = scope["path"]
            query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
            status, headers, content = 200, [(b"content-type", b"text/plain")], b""
            if path == "/echo":
                content = json.dumps({
                    "method": scope["method"],
                    "target": scope["raw_path"].decode("latin-1")
                    + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""),
                    "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
                    "body": body.decode("latin-1"),
                }).encode()
                headers = [(b"content-type", b"application/json"), (b"set-cookie", b"session=secret"),
                           (b"Set-Cookie2", b"old=1"), (b"x-custom", b"Value One")]
            elif path == "/status":
                status = int(query.get("code", "200"))
                content = b"" if status in (204, 304) else f"status {status}".encode()
            elif path == "/redirect":
                status = int(query.get("status", "302"))
                headers = [(b"location", query["to"].encode())]
            elif path == "/bytes":
                content = b"a" * int(query["n"])
            elif path == "/binary":
                content = bytes(range(256))
                headers = [(b"content-type", b"application/octet-stream")]
            elif path == "/gzip":
                size = int(query["n"])
                if size not in self.gzipped:  # compressing a bomb takes a while: once
                    self.gzipped[size] = gzip.compress(b"\0" * size, compresslevel=9)
                content = self.gzipped[size]
                headers = [(b"content-encoding", b"gzip")]
            elif path == "/slow":
                await asyncio.sleep(int(query.get("ms", "200")) / 1000)
                content = b"slow"
            elif path == "/bomb":
                # gzip, gzip around `mb` MiB of empty deflate blocks, made as it is sent.
                from tests.support import gzip_gzip_bomb

                await self._stream(
                    send, receive, gzip_gzip_bomb(int(query["mb"]) << 20), b"gzip, gzip"
                )
                return
            elif path == "/heavy":
                # An honest double coding whose inner stage costs real CPU to inflate.
                from tests.support import heavy_double_gzip

                size = int(query["mb"]) << 20
                if size not in self.heavy:
                    self.heavy[size] = heavy_double_gzip(size)
                content, headers = self.heavy[size][0], [(b"content-encoding", b"gzip, gzip")]
                self.bodies_sent += 1
            elif path == "/encoded":
                # `text` under the codings listed in `codings` (applied in order).
                content = query.get("text", "hello").encode()
                for coding in query["codings"].split(","):
                    content = gzip.compress(content) if coding == "gzip" else zlib.compress(content)
                headers = [(b"content-encoding", query["codings"].replace(",", ", ").encode())]
            elif path == "/stream":
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                for _ in range(int(query["chunks"])):
                    await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                return
            else:
                status, content = 404, b"not found"
            headers = [*headers, (b"content-length", str(len(content)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
        finally:
            with self.lock:
                self.active -= 1


@dataclass
class OriginServer:
    """The allowed fetch target: `url(path)` builds its URLs; `app` counts hits."""

    host: str
    port: int
    app: _OriginApp

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


@pytest.fixture(scope="session")
def origin_server() -> Iterator[OriginServer]:
    import uvicorn

    app = _OriginApp()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the origin server did not start")
        time.sleep(0.01)
    yield OriginServer("127.0.0.1", sock.getsockname()[1], app)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@dataclass
class ForbiddenServer:
    """A TCP listener fetch must never reach: `connections` counts every accept."""

    host: str
    port: int
    connections: int = 0


@contextmanager
def forbidden_listener(host: str = "127.0.0.1", port: int = 0) -> Iterator[ForbiddenServer]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(64)
    listener.settimeout(0.05)
    state = ForbiddenServer(host, listener.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            state.connections += 1
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nforbidden")
                conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture(scope="session")
def listen_forbidden() -> Callable[..., contextlib.AbstractContextManager[ForbiddenServer]]:
    """listen_forbidden(host, port): another counting listener, for one test."""
    return forbidden_listener


@pytest.fixture(scope="session")
def forbidden_server() -> Iterator[ForbiddenServer]:
    with forbidden_listener() as server:
        yield server


@pytest.fixture(scope="session")
def fetch_evaluator(origin_server: OriginServer) -> Iterator[Evaluator]:
    """An Evaluator whose fetch may reach `origin_server` only (JSEVAL_FETCH_ALLOW)."""
    settings = Settings(fetch_allow=(f"127.0.0.1:{origin_server.port}",), pool_size=2)
    with Evaluator(settings) as instance:
        yield instance
