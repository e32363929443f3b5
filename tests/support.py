"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from evaluator import EvaluationResult, Evaluator


class StubResolver:
    """DNS for tests: names map to lists of answers (one list per call, the last repeats); the
    calls are recorded. No test ever resolves a real name."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, hostname: str, port: int) -> list[str]:
        self.calls.append(hostname)
        if hostname not in self.answers:
            raise OSError("no such name")
        queue = self.answers[hostname]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def call(evaluator: Evaluator, code: str, **fields: Any) -> EvaluationResult:
    """Evaluate `code` in function mode."""
    return evaluator.evaluate({"code": code, "mode": "function", **fields})


def value(evaluator: Evaluator, code: str, **fields: Any) -> Any:
    """The result of `code` in function mode, which must succeed."""
    result = call(evaluator, code, **fields)
    assert result.ok, result.error
    return result.result


# -- compression bombs (fetch's bounded decoding) ------------------------------------------------

_EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored deflate block of 0 bytes
_INNER_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# A final empty fixed-Huffman block, then CRC-32 and size of nothing.
_INNER_TAIL = b"\x03\x00" + b"\x00" * 8
_UNIT = _EMPTY_STORED_BLOCK * 13107  # 65535 bytes that inflate to nothing


def _deflate_units() -> tuple[bytes, bytes, bytes]:
    """(head, unit, tail) of a raw deflate stream: after a full flush the compressor forgets
    everything, so compressing `_UNIT` again gives the same bytes, and any number of units can
    be streamed without compressing them (1 GB of input costs nothing to serve)."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(_INNER_HEADER) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(_UNIT) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(_INNER_TAIL) + compressor.flush(zlib.Z_FINISH)
    return head, unit, tail


def gzip_gzip_bomb(inner_bytes: int) -> Iterator[bytes]:
    """`Content-Encoding: gzip, gzip` around `inner_bytes` of empty deflate blocks (the attack
    of issue #10: 1 GB decoded to nothing after 2.6 s of CPU). A valid stream, produced lazily:
    ~119 bytes on the wire per 64 KiB of inner stream."""
    import struct
    import zlib

    head, unit, tail = _deflate_units()
    units = max(0, (inner_bytes - len(_INNER_HEADER) - len(_INNER_TAIL)) // len(_UNIT))
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + head
    crc = zlib.crc32(_INNER_HEADER)
    for _ in range(units):
        crc = zlib.crc32(_UNIT, crc)
        yield unit
    crc = zlib.crc32(_INNER_TAIL, crc)
    size = len(_INNER_HEADER) + units * len(_UNIT) + len(_INNER_TAIL)
    yield tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


# Four empty fixed-Huffman deflate blocks (10 bits each, byte-aligned after four): the most
# inflating work per byte of stream.
_EMPTY_FIXED_BLOCKS = b"\x02\x08\x20\x80\x00"


def heavy_double_gzip(inner_bytes: int, seed: int = 0) -> tuple[bytes, bytes]:
    """(body, decoded) of an honest `Content-Encoding: gzip, gzip` response whose inner stream
    is mostly empty deflate blocks, so inflating it costs real CPU (~0.45 s for 8 MiB here),
    while its inner stage stays ~27 times the bytes sent: within the decoder's ratio (a random
    byte every 66 keeps the outer layer from compressing better)."""
    import gzip
    import random
    import struct
    import zlib

    units = inner_bytes // 66
    payload = random.Random(seed).randbytes(units)
    run = _EMPTY_FIXED_BLOCKS * 12
    parts = [_INNER_HEADER]
    for i in range(units):  # 48 empty blocks, then a stored block of one byte
        parts += (run, b"\x00\x01\x00\xfe\xff", payload[i : i + 1])
    parts.append(b"\x03\x00" + struct.pack("<II", zlib.crc32(payload), len(payload)))
    return gzip.compress(b"".join(parts), 6), payload


# -- an egress proxy (JSEVAL_EGRESS_PROXY) ---------------------------------------------------------


class ConnectProxy:
    """A small HTTP CONNECT proxy on 127.0.0.1 that records what it was asked.

    `requests` lists each request line received (`CONNECT 127.0.0.1:8080 HTTP/1.1`); `refuse`
    (a status) answers every CONNECT with it instead of tunnelling. Tunnels go to 127.0.0.0/8
    only, whatever it is asked: a broken policy must not make the tests reach anything else.
    """

    def __init__(self, refuse: int | None = None) -> None:
        import socket
        import threading

        self.refuse = refuse
        self.requests: list[str] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> ConnectProxy:
        import threading

        thread = threading.Thread(target=self._accept, name="test-proxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: Any) -> None:
        import contextlib
        import ipaddress
        import socket

        with contextlib.closing(conn):
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            with self._lock:
                self.requests.append(line)
            method, target = [*line.split(" "), "", ""][:2]
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                return
            if self.refuse is not None:
                conn.sendall(f"HTTP/1.1 {self.refuse} No\r\ncontent-length: 0\r\n\r\n".encode())
                return
            host, _, port = target.rpartition(":")
            host = host.strip("[]")
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                address = None
            if address is None or not address.is_loopback:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                return
            try:
                upstream = socket.create_connection((str(address), int(port)), timeout=5)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                return
            with contextlib.closing(upstream):
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(conn, upstream)

    def _pipe(self, a: Any, b: Any) -> None:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.1):
                    try:
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    except OSError:
                        return
                    if not data:
                        return
                    key.data.sendall(data)


# -- an HTTPS server ---------------------------------------------------------------------------


@contextlib.contextmanager
def tls_server(files: dict[str, str]) -> Iterator[dict[str, Any]]:
    """An HTTPS server on 127.0.0.1 that records the SNI name and Host header it was sent."""
    import ssl
    import threading

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["leaf.pem"], files["leaf.key"])
    seen: dict[str, Any] = {"sni": [], "host": [], "port": 0}
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    seen["port"] = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                raw.settimeout(5)
                with context.wrap_socket(raw, server_side=True) as conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    for line in data.split(b"\r\n"):
                        if line.lower().startswith(b"host:"):
                            seen["host"].append(line[5:].strip().decode())
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecure")
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
