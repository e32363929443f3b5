"""`python -m bench.fetch_decoding`: what a decompression bomb costs, and costs its neighbours.

Issue #10: `Content-Encoding: gzip, gzip` around 1 GB of empty deflate blocks made each fetch
burn 2.6 s of CPU on the fetch loop every evaluation of a process shares, and another
evaluation's trivial fetch went from 21 ms to 2.5 s. This runs, in one process and one run:

- the baseline: inflating that bomb the way the old decoder did (every stage unbounded), timed
  with the process's CPU clock;
- a trivial fetch, alone, then while another thread keeps fetching bombs (the same Evaluator,
  so the same fetch loop and decoding threads), and the ratio of the two medians;
- a bomb fetch now (refused), and a 1 MB gzipped JSON against the same JSON uncompressed (what
  decoding on the thread pool costs an honest response).

The origin is a threaded `http.server` on 127.0.0.1. Wall-clock numbers belong here, never in
test asserts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from evaluator import Evaluator, Settings

_UNIT = b"\x00\x00\x00\xff\xff" * 13107  # 65535 bytes of empty stored deflate blocks
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_TAIL = b"\x03\x00" + b"\x00" * 8  # a final empty block; CRC-32 and size of nothing


def bomb(inner_bytes: int) -> Iterator[bytes]:
    """gzip(gzip-stream of `inner_bytes` of empty blocks), made lazily: after a full flush the
    compressor repeats itself, so one compressed unit serves them all (~119 bytes per 64 KiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(_HEADER) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(_UNIT) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(_TAIL) + compressor.flush(zlib.Z_FINISH)
    units = (inner_bytes - len(_HEADER) - len(_TAIL)) // len(_UNIT)
    yield _HEADER + head
    crc = zlib.crc32(_HEADER)
    for _ in range(units):
        crc = zlib.crc32(_UNIT, crc)
        yield unit
    crc = zlib.crc32(_TAIL, crc)
    size = len(_HEADER) + units * len(_UNIT) + len(_TAIL)
    yield tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


_JSON = json.dumps([{"id": i, "name": f"item {i}", "tags": ["a"]} for i in range(20000)]).encode()
_JSON_GZ = gzip.compress(_JSON)


class _Origin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return None

    def _send(self, body: bytes, coding: str | None = None) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        if coding:
            self.send_header("content-encoding", coding)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/echo":
            self._send(b'{"ok": true}')
        elif self.path == "/json":
            self._send(_JSON)
        elif self.path == "/json.gz":
            self._send(_JSON_GZ, "gzip")
        elif self.path == "/bomb":
            self.send_response(200)
            self.send_header("content-encoding", "gzip, gzip")
            self.send_header("connection", "close")
            self.end_headers()
            try:
                for piece in bomb(1 << 30):
                    self.wfile.write(piece)
            except OSError:  # the client gave up: what the bounded decoder does
                pass
            self.close_connection = True
        else:
            self.send_error(404)


def old_decoder_cpu_s() -> float:
    """CPU seconds the old decoder spent on the bomb: every stage inflated without a bound."""
    started = time.process_time()
    outer, inner = zlib.decompressobj(31), zlib.decompressobj(31)
    for piece in bomb(1 << 30):
        data = piece
        while data:
            middle = outer.decompress(data, 65536)
            data = outer.unconsumed_tail
            inner.decompress(middle)
    return time.process_time() - started


def _timed(evaluator: Evaluator, url: str) -> tuple[float, object]:
    code = (
        f"return await fetch({url!r})"
        ".then(r => r.arrayBuffer().then(b => b.byteLength), e => e.message)"
    )
    started = time.perf_counter()
    result = evaluator.evaluate({"code": code, "mode": "function", "timeout_ms": 20_000})
    return (time.perf_counter() - started) * 1000, result.result


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fetch_decoding", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=30, help="trivial fetches per cell")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings(fetch_allow=(f"127.0.0.1:{server.server_address[1]}",), pool_size=2)

    print("baseline: the old decoder on the 1 GB gzip,gzip bomb")
    print(f"  CPU per bomb: {old_decoder_cpu_s():.2f} s (all of it on the shared fetch loop)")

    with Evaluator(settings) as evaluator:
        for _ in range(5):
            _timed(evaluator, base + "/echo")
        alone = [_timed(evaluator, base + "/echo")[0] for _ in range(args.runs)]

        stop = threading.Event()
        bombs: list[float] = []
        outcomes: set[object] = set()

        def keep_bombing() -> None:
            while not stop.is_set():
                elapsed, outcome = _timed(evaluator, base + "/bomb")
                bombs.append(elapsed)
                outcomes.add(outcome)

        bomber = threading.Thread(target=keep_bombing)
        bomber.start()
        time.sleep(0.2)
        during = [_timed(evaluator, base + "/echo")[0] for _ in range(args.runs)]
        stop.set()
        bomber.join()

        plain = [_timed(evaluator, base + "/json")[0] for _ in range(args.runs)]
        packed = [_timed(evaluator, base + "/json.gz")[0] for _ in range(args.runs)]
    server.shutdown()

    def cell(values: list[float]) -> str:
        ordered = sorted(values)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        return f"median {statistics.median(values):7.1f} ms  p90 {p90:7.1f} ms"

    print("now (this branch), one Evaluator, one fetch loop:")
    print(f"  trivial fetch alone:         {cell(alone)}")
    print(f"  trivial fetch during bombs:  {cell(during)}")
    ratio = statistics.median(during) / statistics.median(alone)
    print(f"  ratio during/alone (median): {ratio:.2f}x")
    print(f"  bomb fetches while measured: {len(bombs)}, each {cell(bombs)}; outcome {outcomes}")
    print(f"  1 MB JSON uncompressed:      {cell(plain)}")
    print(f"  same JSON gzipped ({len(_JSON_GZ) // 1024} KB):  {cell(packed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
