"""`python -m bench.framework_calls`: what one framework call costs inside an evaluation.

In-process (`Evaluator`, no HTTP), each workload calls a function N times in one evaluation and
times itself with `Date.now()`: the loop, then a `setTimeout(0)` that lets every microtask run
and the runtime report unhandled rejections (at the start of the next host task), so watchers
and reports are counted. The figure is that time divided by N, in microseconds: minimum and
median of R runs (the minimum is the steadier on a shared machine). The baseline is an inline
`async` stand-in that records a payload into an array, run the same way in the same process; the
ratio (of minimums) says what the runtime adds per call: JSON copy, record, owned Promise, and
for failures the error, its stack and the logged report. Run it from two checkouts to compare
revisions (on an older one the workloads that expect a rejection fail, and are shown as such).
Timings belong here, never in test asserts.

Options: `--calls N` (default 5000, under the 10000-actions cap), `--runs R` (default 11).
"""

from __future__ import annotations

import argparse
import statistics

from evaluator import Evaluator

_STAND_IN = (
    "const sink = [];\n"
    "const standIn = async (message) => { sink.push({ type: 'SHOW_ALERT', payload: { message } }); "
    "return []; };\n"
)

WORKLOADS: dict[str, str] = {
    "baseline: async stand-in": _STAND_IN + "for (let i = 0; i < N; i++) standIn('x');",
    "showAlert, promise dropped": "for (let i = 0; i < N; i++) showAlert('x');",
    "showAlert, awaited": "for (let i = 0; i < N; i++) await showAlert('x');",
    "showAlert(1), rejection caught": (
        "for (let i = 0; i < N; i++) await showAlert(1).catch(() => {});"
    ),
    "showAlert(1), unhandled (logged)": "for (let i = 0; i < N; i++) showAlert(1);",
    "storeValue, promise dropped": "for (let i = 0; i < N; i++) storeValue('k' + (i % 50), i);",
    "then chain on a framework promise": (
        "for (let i = 0; i < N; i++) showAlert('x').then(() => i);"
    ),
    # What owned promises cost the user's own promises: their own properties turn off V8's
    # promise fast paths for the whole isolate once the first one exists.
    "20 plain awaits, no framework call": (
        "for (let i = 0; i < N * 20; i++) await Promise.resolve(i);"
    ),
    "20 plain awaits, after one showAlert": (
        "await showAlert('x');\nfor (let i = 0; i < N * 20; i++) await Promise.resolve(i);"
    ),
}

_TIMED = """const started = Date.now();
LOOP
await new Promise((resolve) => setTimeout(resolve, 0));
return Date.now() - started;"""


def measure(evaluator: Evaluator, loop: str, calls: int, runs: int) -> tuple[float, float] | None:
    """(minimum, median) microseconds per call; None if the workload fails."""
    code = _TIMED.replace("LOOP", loop.replace("N", str(calls)))
    samples: list[float] = []
    for _ in range(runs):
        result = evaluator.evaluate({"code": code, "mode": "function", "timeout_ms": 30000})
        if not result.ok or not isinstance(result.result, (int, float)):
            return None
        samples.append(result.result * 1000.0 / calls)
    return min(samples), statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()
    evaluator = Evaluator()
    measure(evaluator, WORKLOADS["showAlert, awaited"], 100, 3)  # warm the pool and V8
    baseline = None
    print(f"| workload ({options.calls} calls, {options.runs} runs) | us/call min | median "
          "| x baseline |")
    print("|---|---:|---:|---:|")
    for name, loop in WORKLOADS.items():
        figures = measure(evaluator, loop, options.calls, options.runs)
        if figures is None:
            print(f"| {name} | failed | | |")
            continue
        low, mid = figures
        baseline = baseline if baseline is not None else low
        print(f"| {name} | {low:.2f} | {mid:.2f} | {low / baseline:.1f}x |")


if __name__ == "__main__":
    main()
