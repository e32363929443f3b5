"""`python -m bench.libraries`: what the built-in libraries cost, in this process, now.

Every evaluation gets a fresh isolate with the runtime loaded, so whatever the runtime carries
for the libraries is paid by every evaluation, including those that never name one. This bench
builds the runtime four ways and times a trivial evaluation on each (a sandbox prepared and
closed per evaluation, as the pool does off the request path, so the figure is the whole CPU an
evaluation costs):

- `jseval`: the runtime as shipped: library globals published, sources read from the host on
  first use (shims/core/05_host.js `readText`);
- `no libraries`: the same runtime with no library published (the floor);
- `in the bundle`: the sources as string literals of the runtime bundle (what the lazy shims
  do for their own source), so every isolate parses 600 KB more;
- `handed over`: the sources handed to each isolate as V8 strings when it is prepared.

Then the first use of each library on the shipped runtime (its load: read, compile, run), against
the trivial evaluation. CPU time is `time.process_time()` (all threads of this process: the
isolate's work included), so other load on the machine matters less than for wall time; the
variants run round robin in 20 rounds and the table gives the median and the minimum round
(the minimum is the least disturbed by other work on a shared machine). Figures belong here and
in bench/RESULTS.md, never in test asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import shims
from evaluator import Settings, v8_version
from evaluator._engine import Engine
from evaluator._sandbox import Sandbox
from evaluator.capabilities.libraries import BUILTIN_LIBRARIES, LibraryCatalog
from evaluator.capabilities.libraries._catalog import _BUILTINS, _vendored_text
from evaluator.models import EvaluationRequest

TRIVIAL = {"code": "1 + 1"}
FIRST_USES = {
    "lodash": "_.chunk([1, 2, 3], 2).length",
    "moment": "moment.utc(0).year()",
    "forge": "forge.md.sha256.create().update('a').digest().toHex().length",
    "all three": "[_.VERSION, moment.version, typeof forge.md].length",
}


def _all_sources() -> list[str]:
    return [_vendored_text(name).data.decode("latin-1") for b in _BUILTINS for name in b.files]


@contextmanager
def _variant(name: str) -> Iterator[None]:
    """Patch the runtime into one of the variants for the `with` block."""
    original_bundle = shims.bundle
    original_specs = LibraryCatalog.builtin_specs
    original_prepare = Sandbox._prepare
    original_handlers = Sandbox._signal_handlers
    try:
        if name == "no libraries":
            # No library global and no read signal (the runtime still makes its 64 KiB buffer).
            LibraryCatalog.builtin_specs = staticmethod(lambda: ())  # type: ignore[method-assign]
            handlers = Sandbox._signal_handlers

            def without_read(self: Sandbox) -> dict[str, Any]:
                found = handlers(self)
                found.pop("read")
                return found

            Sandbox._signal_handlers = without_read  # type: ignore[method-assign]
        elif name == "in the bundle":
            literal = json.dumps("\n".join(_all_sources()))
            text = original_bundle().replace(
                "const lazy = {", "const librarySources = " + literal + ";\nconst lazy = {", 1
            )
            import evaluator._sandbox as sandbox_module

            sandbox_module.bundle = lambda: text  # type: ignore[assignment]
        elif name == "handed over":
            sources = _all_sources()

            def prepare(self: Sandbox) -> None:
                original_prepare(self)
                isolate = self._isolate
                holder = isolate.eval("[]").wait(10)
                assert holder is not None and holder.handle is not None
                for source in sources:
                    isolate.push(holder.handle, isolate._string(source))

            Sandbox._prepare = prepare  # type: ignore[method-assign]
        yield None
    finally:
        import evaluator._sandbox as sandbox_module

        sandbox_module.bundle = original_bundle
        LibraryCatalog.builtin_specs = original_specs  # type: ignore[method-assign]
        Sandbox._prepare = original_prepare  # type: ignore[method-assign]
        Sandbox._signal_handlers = original_handlers  # type: ignore[method-assign]


def _measure(engine: Engine, body: dict[str, Any], repeat: int) -> tuple[float, float]:
    """Median wall ms and mean CPU ms of one evaluation (sandbox prepared and closed inline)."""
    request = EvaluationRequest.model_validate(body)
    walls: list[float] = []
    cpu_start = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        result = engine.run(request)
        walls.append((time.perf_counter() - started) * 1000)
        if not result.ok:
            raise SystemExit(f"the bench evaluation failed: {result.error}")
    cpu_ms = (time.process_time() - cpu_start) * 1000 / repeat
    return statistics.median(walls), cpu_ms


def _engine() -> Engine:
    # pool_size 0: acquire() prepares a sandbox inline and discard() closes it inline, so each
    # evaluation's figure includes its isolate and runtime, as every evaluation pays them.
    return Engine(Settings(), pool_size=0)


def _row(label: str, wall: float, cpu: float, cpu_min: float, base_cpu: float | None) -> str:
    ratio = "" if base_cpu is None else f"{cpu / base_cpu:8.2f}x"
    return f"| {label:<28} | {wall:8.2f} | {cpu:8.2f} | {cpu_min:8.2f} | {ratio:>9} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="evaluations per figure")
    args = parser.parse_args(argv)
    repeat: int = args.repeat
    print(f"V8 {v8_version()}; libraries: "
          + ", ".join(f"{lib.name} {lib.version}" for lib in BUILTIN_LIBRARIES))
    print(f"{repeat} evaluations per figure; CPU = process time per evaluation\n")
    print("Trivial evaluation (`1 + 1`), each on a freshly prepared sandbox:\n")
    print("| runtime                      |  wall ms |   CPU ms |  CPU min | CPU ratio |")
    print("|---|---:|---:|---:|---:|")
    names = ("no libraries", "jseval", "in the bundle", "handed over")
    rounds = 20
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):  # round robin: load on the machine hits every variant alike
        for name in names:
            with _variant(name):
                engine = _engine()
                try:
                    _measure(engine, TRIVIAL, 3)  # warm up
                    wall, cpu = _measure(engine, TRIVIAL, max(1, repeat // rounds))
                finally:
                    engine.close()
            walls[name].append(wall)
            cpus[name].append(cpu)
    base_cpu = statistics.median(cpus["no libraries"])
    for name in names:
        cpu = statistics.median(cpus[name])
        base = None if name == "no libraries" else base_cpu
        print(_row(name, statistics.median(walls[name]), cpu, min(cpus[name]), base))
    print("\nFirst use of each library (shipped runtime), against the trivial evaluation:\n")
    print("| evaluation                   |  wall ms |   CPU ms |  load CPU |")
    print("|---|---:|---:|---:|")
    engine = _engine()
    try:
        runs = max(10, repeat // 10)
        trivial = _measure(engine, TRIVIAL, runs)
        print(f"| {'1 + 1':<28} | {trivial[0]:8.2f} | {trivial[1]:8.2f} | {'':>9} |")
        for name, code in FIRST_USES.items():
            wall, cpu = _measure(engine, {"code": code}, runs)
            print(f"| {name:<28} | {wall:8.2f} | {cpu:8.2f} | {cpu - trivial[1]:8.2f}  |")
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
