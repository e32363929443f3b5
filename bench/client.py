"""`python -m bench.client`: what `evaluator.client` adds over a bare httpx request.

One `python -m api` server (1 worker process) in a subprocess; in this process, the same
evaluation sent N times by (a) a bare `httpx.Client` POST whose JSON body is parsed with
`json.loads` (the baseline) and (b) `evaluator.client.Client.evaluate` (orjson encoding, status
mapping, the result validated into an `EvaluationResult`), interleaved so both see the same
machine. Prints the median and p99 latency of each and the ratio. Also the same for the
asyncio clients, 8 in flight. Wall-clock numbers belong here, never in test asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx

from bench.__main__ import Server
from evaluator.client import AsyncClient, Client

REQUEST = {"code": "const xs = [1, 2, 3]; console.log(xs); storeValue('k', xs); xs.map(x => x * 2)"}


def _summary(name: str, seconds: list[float], baseline: list[float] | None = None) -> str:
    ordered = sorted(seconds)
    median = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
    ratio = ""
    if baseline:
        ratio = f"  x{median / (statistics.median(baseline) * 1000):.3f} of the baseline"
    return f"{name:<34} median {median:7.3f} ms  p99 {p99:7.3f} ms{ratio}"


def sync_run(url: str, count: int) -> tuple[list[float], list[float]]:
    bare: list[float] = []
    ours: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as http, Client(url) as client:
        for _ in range(20):  # warm both connections and the server
            http.post("/v1/evaluate", json=REQUEST)
            client.evaluate(REQUEST)
        for _ in range(count):
            start = time.perf_counter()
            assert json.loads(http.post("/v1/evaluate", json=REQUEST).content)["ok"]
            bare.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert client.evaluate(REQUEST).ok
            ours.append(time.perf_counter() - start)
    return bare, ours


async def async_run(url: str, count: int, in_flight: int) -> tuple[float, float]:
    """Seconds for `count` evaluations, `in_flight` at a time: bare httpx, then ours."""
    gate = asyncio.Semaphore(in_flight)

    async with httpx.AsyncClient(base_url=url, timeout=30) as http, AsyncClient(url) as client:

        async def bare() -> None:
            async with gate:
                assert json.loads((await http.post("/v1/evaluate", json=REQUEST)).content)["ok"]

        async def ours() -> None:
            async with gate:
                assert (await client.evaluate(REQUEST)).ok

        await asyncio.gather(*(bare() for _ in range(in_flight)), *(ours() for _ in range(8)))
        start = time.perf_counter()
        await asyncio.gather(*(bare() for _ in range(count)))
        bare_s = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(ours() for _ in range(count)))
        return bare_s, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=500, help="evaluations per client")
    args = parser.parse_args()
    server = Server("jseval", ["-m", "api", "--workers", "1"])
    try:
        asyncio.run(server.wait_ready())
        url = f"http://127.0.0.1:{server.port}"
        bare, ours = sync_run(url, args.count)
        print(f"{args.count} sequential evaluations, one worker process:")
        print(_summary("bare httpx + json.loads", bare))
        print(_summary("evaluator.client.Client", ours, bare))
        bare_s, ours_s = asyncio.run(async_run(url, args.count, 8))
        print(f"{args.count} evaluations, 8 in flight:")
        print(f"{'bare httpx.AsyncClient':<34} {args.count / bare_s:8.1f} evaluations/s")
        print(
            f"{'evaluator.client.AsyncClient':<34} {args.count / ours_s:8.1f} evaluations/s"
            f"  x{bare_s / ours_s:.3f} of the baseline's rate"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
