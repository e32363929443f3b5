"""`python -m bench.offheap`: what one kept Intl object costs outside V8's heap, and what jseval
counts for it (shims/memory/58_offheap.js).

For each kind, a fresh process keeps N objects in a bare isolate (V8, no jseval runtime) and
reports the RSS growth per object (ICU state plus the small JS wrapper), then keeps N objects in
a jseval sandbox and reports V8's heap growth per object once the evaluation is over: what the
heap limit counts (the wrapper plus the ballast the runtime ties to it). A ratio heap/RSS near or
above 1 means the heap limit (memory_mb) sees at least what the process really holds. Also: how
long one synchronous loop of garbage formatters takes with and without the runtime. Figures vary
by +-20% between runs; never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

KINDS: dict[str, str] = {
    "DateTimeFormat": "new Intl.DateTimeFormat('en', { dateStyle: 'full' })",
    "RelativeTimeFormat": "new Intl.RelativeTimeFormat('en')",
    "Segmenter": "new Intl.Segmenter('en', { granularity: 'word' })",
    "v8BreakIterator": "new Intl.v8BreakIterator('en')",
    "segment()": "SEG.segment('hello world')",
    "segment iterator": "SEG.segment('hello world')[Symbol.iterator]()",
    "PluralRules": "new Intl.PluralRules('en')",
    "Collator": "new Intl.Collator('de')",
    "DisplayNames": "new Intl.DisplayNames('en', { type: 'region' })",
    "DurationFormat": "new Intl.DurationFormat('en')",
    "NumberFormat": "new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' })",
    "ListFormat": "new Intl.ListFormat('en')",
    "Locale": "new Intl.Locale('en')",
    "Locale.maximize()": "new Intl.Locale('en').maximize()",
    "Temporal.PlainDate": "Temporal.PlainDate.from('2024-01-01')",
    "plain object": "({ a: 1, b: [1] })",
}

_PLAIN = """
import json, sys
from evaluator._bridge import Isolate
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
n, expr = int(sys.argv[1]), sys.argv[2]
isolate = Isolate()  # a bare isolate: V8 as mini-racer gives it, no jseval runtime
isolate.eval("var SEG = new Intl.Segmenter('en', {granularity: 'word'}); var keep = []").wait(60)
before = rss()
isolate.eval("for (let i = 0; i < %d; i++) keep.push(%s); 1" % (n, expr)).wait(600)
print(json.dumps({"rss_per_object": (rss() - before) / n}))
isolate.close()
"""


def _run(script: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


_HEAP = """
import json, sys, time
from evaluator import Settings
from evaluator._engine import start_message
from evaluator.models import EvaluationRequest
from evaluator._sandbox import Sandbox
n, expr = int(sys.argv[1]), sys.argv[2]
setup = "globalThis.SEG = new Intl.Segmenter('en', {granularity: 'word'}); globalThis.keep = []; "
def used(count):
    # One sandbox, as an evaluation gets it; its heap read once the evaluation is over.
    sandbox = Sandbox()
    code = setup + "for (let i = 0; i < %d; i++) keep.push(%s); keep.length" % (count, expr)
    request = EvaluationRequest(code=code, memory_mb=512, timeout_ms=60000)
    outcome = sandbox.run(start_message(request, Settings(), 512 << 20), time.monotonic() + 60,
                          512 << 20)
    assert outcome.ok, outcome.failure
    heap = sandbox._isolate.heap_used_bytes()
    sandbox.close()
    return heap
base = used(0)
print(json.dumps({"heap_per_object": (used(n) - base) / n}))
"""

_LOOP = """
import json, sys, time
from evaluator import Evaluator
n = int(sys.argv[1])
code = ("let s = 0; for (let i = 0; i < %d; i++) s += new Intl.DateTimeFormat('en', "
        "{ dateStyle: 'full' }).format(new Date(0)).length; s" % n)
with Evaluator(pool_size=0) as ev:
    ev.evaluate({"code": "1"})
    started = time.monotonic()
    r = ev.evaluate({"code": code, "memory_mb": 64, "timeout_ms": 30000})
    print(json.dumps({"ms": (time.monotonic() - started) * 1000, "ok": r.ok,
                      "kind": None if r.ok else r.error.kind}))
"""

_LOOP_PLAIN = """
import json, sys, time
from evaluator._bridge import Isolate
n = int(sys.argv[1])
isolate = Isolate()
isolate.eval("1").wait(60)
started = time.monotonic()
isolate.eval("let s = 0; for (let i = 0; i < %d; i++) s += new Intl.DateTimeFormat('en', "
             "{ dateStyle: 'full' }).format(new Date(0)).length; s" % n).wait(600)
print(json.dumps({"ms": (time.monotonic() - started) * 1000}))
isolate.close()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.offheap")
    parser.add_argument("--objects", type=int, default=5000, help="objects kept per kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    args = parser.parse_args(argv)
    print(f"{'kind':20s} {'RSS/object, plain V8':>21s} {'heap/object, jseval':>20s} "
          f"{'heap/RSS':>9s}")
    for kind in args.kinds.split(","):
        expr = KINDS[kind]
        rss = _run(_PLAIN, str(args.objects), expr)["rss_per_object"]
        heap = _run(_HEAP, str(args.objects), expr)["heap_per_object"]
        print(f"{kind:20s} {rss / 1024:17.1f} KiB {heap / 1024:16.1f} KiB "
              f"{heap / rss if rss > 0 else float('inf'):8.2f}x")
    plain = _run(_LOOP_PLAIN, "2000")["ms"]
    ours = _run(_LOOP, "2000")
    print(f"\n2000 garbage DateTimeFormats in one synchronous loop: plain V8 {plain:.0f} ms, "
          f"jseval {ours['ms']:.0f} ms ({ours['ms'] / plain:.2f}x), outcome "
          f"{'ok' if ours['ok'] else ours['kind']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
