"""`python -m bench.offheap`: what one kept Intl object costs outside V8's heap, and what jseval
counts for it (shims/memory/58_offheap.js).

For each kind, a fresh process keeps N objects in a bare isolate (V8, no jseval runtime) and
reports the RSS growth per object (ICU state plus the small JS wrapper); then a jseval evaluation
keeps such objects until its 64 MiB budget ends it, which gives what the runtime charges per
object (`-`: not charged, the heap limit alone applies). A ratio charged/RSS near or above 1
means memory_mb sees at least what the process really holds. Also: how long one synchronous loop
of garbage formatters takes with and without the runtime. Figures vary by +-20% between runs;
never asserted in tests.
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


_CHARGED = """
import json, sys
from evaluator import Evaluator
expr = sys.argv[1]
# Kept until the 64 MiB budget ends the evaluation; the count logged last is how many fit.
code = ("const SEG = new Intl.Segmenter('en', {granularity: 'word'}); const keep = []; "
        "for (let i = 1; i < 1e6; i++) { keep.push(%s); if (i %% 100 === 0) console.log(i) }"
        % expr)
with Evaluator(pool_size=0) as ev:
    r = ev.evaluate({"code": code, "memory_mb": 64, "timeout_ms": 30000})
    kept = int(r.logs[-1].text) if r.logs and not r.ok else 0
    print(json.dumps({"kept_in_64_mib": kept}))
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
    print(f"{'kind':20s} {'RSS/object, plain V8':>21s} {'kept in 64 MiB':>15s} "
          f"{'charged/object':>15s} {'charged/RSS':>12s}")
    for kind in args.kinds.split(","):
        expr = KINDS[kind]
        rss = _run(_PLAIN, str(args.objects), expr)["rss_per_object"]
        kept = _run(_CHARGED, expr)["kept_in_64_mib"]
        charged = 64 * 1024 * 1024 / kept if kept else 0.0
        print(f"{kind:20s} {rss / 1024:17.1f} KiB {kept or '-':>15} "
              f"{charged / 1024:11.1f} KiB {charged / rss if rss > 0 else 0.0:11.2f}x")
    plain = _run(_LOOP_PLAIN, "2000")["ms"]
    ours = _run(_LOOP, "2000")
    print(f"\n2000 garbage DateTimeFormats in one synchronous loop: plain V8 {plain:.0f} ms, "
          f"jseval {ours['ms']:.0f} ms ({ours['ms'] / plain:.2f}x), outcome "
          f"{'ok' if ours['ok'] else ours['kind']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
