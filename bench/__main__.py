"""`python -m bench`: jseval over HTTP against a naive baseline, on this machine, now.

Both servers run as subprocesses with their defaults: (a) `bench/naive_server.py` (Starlette, a
`MiniRacer()` per request, no shims) and (b) `python -m api` (jseval: FastAPI, the worker pool).
The load generator is a raw asyncio HTTP/1.1 client with keep-alive in this process (cheaper per
request than httpx, so it takes less CPU from the servers on a small machine). Each cell runs
for a fixed time; the table gives requests/s, p50 and p99 latency, the server's CPU time per
request (all its processes, from /proc), and the ratio of jseval's requests/s to the baseline's.

Options: `--duration S` per cell (default 3), `--workloads a,b`, `--concurrency 1,8`,
`--only jseval|naive`. Wall-clock numbers belong here, never in test asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MIB = 1024 * 1024


# -- processes -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for child in _children(pid):
        pids += _tree(child)
    return pids


def _cpu_s(pids: list[int]) -> float:
    """utime + stime of these processes (live ones), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / _TICKS


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class Server:
    """A server subprocess on a free port; `pids` are it and its children (workers)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, *argv, "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pids(self) -> list[int]:
        return _tree(self.proc.pid)

    def workers(self) -> list[int]:
        return _children(self.proc.pid)

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.proc.returncode}")
            try:
                status, _ = await _get(self.port, "/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} server not ready after {timeout_s} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the load generator ----------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        return await _read_response(reader)
    finally:
        writer.close()


def _post_bytes(body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    return (
        b"POST /v1/evaluate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(data)
    ) + data


@dataclass
class Cell:
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s / self.requests * 1000 if self.requests else float("nan")


def _ok(body: bytes, expect: Any) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if data.get("ok") is not True:
        return False
    return expect is None or data.get("result") == expect


async def _client(
    port: int, request: bytes, expect: Any, record_from: float, stop_at: float, cell: Cell
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    checked = False
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            writer.write(request)
            status, body = await _read_response(reader)
            elapsed = time.perf_counter() - started
            good = status == 200 and (checked or _ok(body, expect))
            checked = checked or good
            if started >= record_from:
                cell.requests += 1
                cell.latencies.append(elapsed)
                if not good:
                    cell.failures += 1
    finally:
        writer.close()


async def run_cell(
    server: Server, body: dict[str, Any], expect: Any, concurrency: int, duration_s: float,
    peak_rss: dict[int, int],
) -> Cell:
    cell = Cell()
    request = _post_bytes(body)
    warmup_s = min(0.5, duration_s / 4)
    now = time.perf_counter()
    record_from, stop_at = now + warmup_s, now + warmup_s + duration_s
    pids = server.pids
    sampling = True

    async def sample() -> None:
        while sampling:
            for pid in server.workers() or [server.proc.pid]:
                peak_rss[pid] = max(peak_rss.get(pid, 0), _rss(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    await asyncio.sleep(max(0.0, record_from - time.perf_counter()))
    cpu_before = _cpu_s(pids)
    clients = [
        asyncio.create_task(_client(server.port, request, expect, record_from, stop_at, cell))
        for _ in range(concurrency)
    ]
    await asyncio.gather(*clients)
    cell.cpu_s = _cpu_s(pids) - cpu_before
    cell.seconds = time.perf_counter() - record_from
    sampling = False
    await sampler
    return cell


# -- the report ------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PHYS_PAGES") * _PAGE / 2**30
    from evaluator import v8_version

    return (
        f"{os.cpu_count()} cores ({model}), {mem_gib:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, V8 {v8_version()}"
    )


def isolate_rss_mib() -> float:
    """Resident memory of one prepared sandbox, measured in a fresh interpreter."""
    probe = (
        "import os\n"
        "from evaluator._sandbox import Sandbox\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
        "Sandbox().close()\n"
        "before = rss()\n"
        "kept = [Sandbox() for _ in range(20)]\n"
        "print((rss() - before) / 20 / 1048576)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def _fmt(cell: Cell | None) -> str:
    if cell is None:
        return "| - | - | - | - "
    fail = f" ({cell.failures} failed)" if cell.failures else ""
    return (
        f"| {cell.rps:7.0f}{fail} | {cell.pct(0.5):6.2f} | {cell.pct(0.99):7.2f} "
        f"| {cell.cpu_ms_per_request:5.2f} "
    )


async def main_async(args: argparse.Namespace) -> int:
    workloads = [w for w in WORKLOADS if not args.workloads or w.name in args.workloads]
    levels = [int(c) for c in args.concurrency.split(",")]
    results: dict[tuple[str, str, int], Cell] = {}
    rss: dict[str, Any] = {}
    servers = [
        ("naive", ["-m", "bench.naive_server"]),
        ("jseval", ["-m", "api"]),
    ]
    for name, argv in servers:
        if args.only and name != args.only:
            continue
        server = Server(name, argv)
        try:
            await server.wait_ready()
            await asyncio.sleep(1.0)  # let the pools settle before the idle reading
            idle = {pid: _rss(pid) for pid in (server.workers() or [server.proc.pid])}
            peak: dict[int, int] = {}
            for workload in workloads:
                body = workload.naive if name == "naive" else workload.jseval
                for level in levels:
                    cell = await run_cell(
                        server, body, workload.expect, level, args.duration, peak
                    )
                    results[(name, workload.name, level)] = cell
                    print(f"  {name:6s} {workload.name:9s} c={level}: {cell.rps:6.0f} rps "
                          f"p50 {cell.pct(0.5):.2f} ms", file=sys.stderr)
            rss[name] = (idle, peak)
        finally:
            server.stop()

    print(f"Machine: {machine()}\n")
    print("| workload | conc | naive rps | p50 ms | p99 ms | cpu ms/req "
          "| jseval rps | p50 ms | p99 ms | cpu ms/req | jseval/naive |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workload in workloads:
        for level in levels:
            naive = results.get(("naive", workload.name, level))
            ours = results.get(("jseval", workload.name, level))
            ratio = f"{ours.rps / naive.rps:.2f}x" if naive and ours and naive.rps else "-"
            print(f"| {workload.name} | {level} {_fmt(naive)}{_fmt(ours)}| {ratio} |")
    print()
    for name, (idle, peak) in rss.items():
        label = "per worker" if name == "jseval" else "server process"
        idle_text = ", ".join(f"{v / _MIB:.0f}" for v in idle.values())
        peak_text = ", ".join(f"{peak.get(p, 0) / _MIB:.0f}" for p in idle)
        print(f"- {name} RSS {label}: idle {idle_text} MiB; peak during the run {peak_text} MiB")
    if not args.only or args.only == "jseval":
        print(f"- one warm sandbox (isolate + runtime): {isolate_rss_mib():.1f} MiB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per cell")
    parser.add_argument("--workloads", type=lambda s: s.split(","), default=None)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--only", choices=("naive", "jseval"), default=None)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
