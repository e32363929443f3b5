"""`python -m bench.lazy_loads`: what the first use of each capability costs a fresh sandbox.

Lazy shims are compiled on first use (shims/__init__.py), so an evaluation pays for the
capabilities it touches. This drives `Sandbox.run` directly (no engine, no HTTP) on a fresh
sandbox per run, interleaving the snippets, and prints each snippet's median wall time and its
cost over the `1 + 1` baseline measured in the same run. Wall-clock numbers belong here, never
in test asserts.
"""

from __future__ import annotations

import argparse
import statistics
import time

from evaluator._engine import start_message
from evaluator._sandbox import Sandbox
from evaluator.models import EvaluationRequest
from evaluator.settings import Settings

SNIPPETS = {
    "baseline (1 + 1)": "1 + 1",
    "console.log": "console.log('x'); 1",
    "atob": "atob('aGk=')",
    "TextDecoder": "new TextDecoder().decode(new Uint8Array([104]))",
    "structuredClone": "structuredClone({ a: 1 }).a",
    "crypto.randomUUID": "crypto.randomUUID().length",
    "AbortController": "new AbortController().signal.aborted",
    "Headers": "new Headers({ a: '1' }).get('a')",
    "Request": "new Request('http://a.example/').url",
    "Response.text": "new Response('x').text()",
    "fetch (no host)": "fetch().catch(() => 1)",
    "performance.now": "performance.now() >= 0",
    "URL": "new URL('https://api.example.com/v1/users?page=2').searchParams.get('page')",
    "URLSearchParams": "new URLSearchParams({ q: 'x y' }).toString()",
    "URL, host outside ASCII": "new URL('https://b\u00fccher.example/').host",
    "1000 URLs (ASCII)": (
        "let n = 0; for (let i = 0; i < 1000; i++) "
        "n += new URL('/p/' + i + '?q=' + i, 'https://api.example.com/v1/').href.length; n"
    ),
}
_MEMORY = 64 << 20


def measure(runs: int) -> dict[str, list[float]]:
    settings = Settings()
    times: dict[str, list[float]] = {name: [] for name in SNIPPETS}
    for _ in range(runs):
        for name, code in SNIPPETS.items():
            sandbox = Sandbox()
            message = start_message(EvaluationRequest(code=code), settings, _MEMORY)
            started = time.perf_counter()
            outcome = sandbox.run(message, time.monotonic() + 5, _MEMORY)
            times[name].append((time.perf_counter() - started) * 1000)
            sandbox.close()
            if not outcome.ok:
                raise SystemExit(f"{name} failed: {outcome.failure}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lazy_loads", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=100, help="runs per snippet")
    args = parser.parse_args()
    times = measure(args.runs)
    base = statistics.median(times["baseline (1 + 1)"])
    print(f"{'first use of':22} {'median ms':>10} {'over baseline':>14}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:22} {median:10.3f} {median - base:+14.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
