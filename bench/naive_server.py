"""The naive baseline: a bare Starlette app that builds a `MiniRacer()` per request, no shims.

This is the server people write first, and what jseval has to beat on throughput while doing
more (a hardened runtime, limits, framework functions, process isolation). It takes the same
JSON body as `POST /v1/evaluate` (only `code`, `mode` and `timeout_ms` matter) and answers
`{"ok": ..., "result": ...}`. Run: `python -m bench.naive_server --port 8001`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import py_mini_racer
import uvicorn
from py_mini_racer import JSPromise, MiniRacer
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from evaluator._bridge import V8_FLAGS


def _run(code: str, mode: str, timeout_ms: int) -> dict[str, Any]:
    racer = MiniRacer()
    try:
        if mode == "function":
            code = f"(async function () {{\n{code}\n}})()"
        value = racer.eval(code, timeout=timeout_ms)
        if isinstance(value, JSPromise):
            value = value.get(timeout=timeout_ms / 1000)
        if not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        return {"ok": True, "result": value}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        racer.close()


async def evaluate(request: Request) -> Response:
    body = json.loads(await request.body())
    result = await run_in_threadpool(
        _run, body["code"], body.get("mode", "script"), int(body.get("timeout_ms") or 1000)
    )
    return Response(json.dumps(result), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response("ok")


app = Starlette(
    routes=[
        Route("/v1/evaluate", evaluate, methods=["POST"]),
        Route("/readyz", healthz),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive_server")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    # The same V8 flags as jseval: without `--no-memory-protection-keys`, MiniRacer() on several
    # threads segfaults on CPUs with memory protection keys (evaluator/_bridge.py says why).
    py_mini_racer.init_mini_racer(flags=V8_FLAGS)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
