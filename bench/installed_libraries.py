"""`python -m bench.installed_libraries`: what installed libraries (SPEC section 9) cost.

Four questions, each answered against a baseline measured in the same run:

1. Does an installed library that code never reads cost every evaluation something? A trivial
   evaluation (`1 + 1`, each on a freshly prepared sandbox, as bench/libraries.py measures it)
   with no installed library, and with 10 installed bundles of 100 KB each (their globals are
   published per evaluation; their sources are never read). Round robin in rounds.
2. What does the first read of an installed library cost, for a 100 KB and a 1 MB bundle,
   against the trivial evaluation?
3. What does installing cost: `check_library` (two evaluations in fresh sandboxes) for a tiny
   and a 1 MB bundle, in this process; and through a `WorkerPool` (a CHECK frame to a worker
   and back), for the tiny one.
4. What does a change cost the supervisor and a worker: encoding the LIBRARIES frame, and the
   worker decoding it and taking the set (`LibraryCatalog.set_installed`), for 10 x 100 KB and
   one 8 MiB bundle.
5. What does the API process's poll cost (`SqlLibraryStore.version()`, every
   JSEVAL_LIBRARY_REFRESH_MS), against reading the sources (`installed()`, only on a change),
   with 10 x 100 KB installed in an SQLite file?

CPU is `time.process_time()` of this process (the isolates' threads included). Figures belong
here and in bench/RESULTS.md, never in test asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from evaluator import InstalledLibrary, Settings, WorkerPool, check_library, v8_version
from evaluator._engine import Engine
from evaluator._wire import decode_libraries, encode_libraries
from evaluator.capabilities.libraries import MAX_LIBRARY_BYTES, LibraryCatalog
from evaluator.models import EvaluationRequest

TRIVIAL = EvaluationRequest(code="1 + 1")


def bundle(global_name: str, size: int) -> str:
    """A bundle of about `size` bytes: an IIFE defining `global_name`, with code to compile."""
    head = f"var {global_name} = (function () {{\n  var table = [];\n"
    line = "  table.push(function (x) { return x * 2 + 1; });\n"
    body = line * max(1, (size - len(head)) // len(line))
    tail = "  return { size: table.length, run: function (i) { return table[i](i); } };\n})();\n"
    return head + body + tail


def library(global_name: str, size: int) -> InstalledLibrary:
    return InstalledLibrary(global_name.lower(), "1.0.0", (global_name,), bundle(global_name, size))


def _evaluate(engine: Engine, request: EvaluationRequest, repeat: int) -> tuple[float, float]:
    """Median wall ms and mean CPU ms of one evaluation."""
    walls: list[float] = []
    cpu_start = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        result = engine.run(request)
        walls.append((time.perf_counter() - started) * 1000)
        if not result.ok:
            raise SystemExit(f"the bench evaluation failed: {result.error}")
    return statistics.median(walls), (time.process_time() - cpu_start) * 1000 / repeat


def _timed(action: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall ms and mean CPU ms of `action`."""
    walls: list[float] = []
    cpu_start = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        walls.append((time.perf_counter() - started) * 1000)
    return statistics.median(walls), (time.process_time() - cpu_start) * 1000 / repeat


def _row(label: str, wall: float, cpu: float, base: float | None) -> str:
    ratio = "" if base is None else f"{cpu / base:.2f}x"
    return f"| {label:<36} | {wall:9.2f} | {cpu:9.2f} | {ratio:>9} |"


def per_evaluation(repeat: int) -> None:
    print("1. A trivial evaluation (`1 + 1`), each on a freshly prepared sandbox:\n")
    print(f"| {'installed libraries':<36} |   wall ms |    CPU ms | CPU ratio |")
    print("|---|---:|---:|---:|")
    sets = {"none": (), "10 x 100 KB, never read": tuple(
        library(f"Unused{i}", 100_000) for i in range(10))}
    rounds = 10
    walls: dict[str, list[float]] = {name: [] for name in sets}
    cpus: dict[str, list[float]] = {name: [] for name in sets}
    engines = {name: Engine(Settings(), pool_size=0, libraries=LibraryCatalog(libs))
               for name, libs in sets.items()}
    try:
        for engine in engines.values():
            _evaluate(engine, TRIVIAL, 3)
        for _ in range(rounds):
            for name, engine in engines.items():
                wall, cpu = _evaluate(engine, TRIVIAL, max(1, repeat // rounds))
                walls[name].append(wall)
                cpus[name].append(cpu)
    finally:
        for engine in engines.values():
            engine.close()
    base = statistics.median(cpus["none"])
    for name in sets:
        print(_row(name, statistics.median(walls[name]), statistics.median(cpus[name]),
                   None if name == "none" else base))


def first_use(repeat: int) -> None:
    print("\n2. The first read of an installed library, against `1 + 1` (same engine):\n")
    print(f"| {'evaluation':<36} |   wall ms |    CPU ms |  ratio   |")
    print("|---|---:|---:|---:|")
    small, large = library("Small", 100_000), library("Large", 1_000_000)
    engine = Engine(Settings(), pool_size=0, libraries=LibraryCatalog([small, large]))
    try:
        base_wall, base_cpu = _evaluate(engine, TRIVIAL, repeat)
        print(_row("1 + 1", base_wall, base_cpu, None))
        for label, code in (("Small.size (100 KB bundle)", "Small.size"),
                            ("Large.size (1 MB bundle)", "Large.size")):
            wall, cpu = _evaluate(engine, EvaluationRequest(code=code), max(5, repeat // 4))
            print(_row(label, wall, cpu, base_cpu))
    finally:
        engine.close()


def install(repeat: int) -> None:
    print("\n3. Installing: the check (two evaluations in fresh sandboxes):\n")
    print(f"| {'check':<36} |   wall ms |    CPU ms |           |")
    print("|---|---:|---:|---:|")
    settings = Settings()
    tiny = "var Tiny = { add: function (a, b) { return a + b; } };"
    mega = bundle("Mega", 1_000_000)
    cases = (("tiny bundle, this process", tiny), ("1 MB bundle, this process", mega))
    for label, source in cases:
        wall, cpu = _timed(
            lambda s=source: check_library("bench", s, settings), max(3, repeat // 20)
        )
        print(_row(label, wall, cpu, None))

    async def through_a_worker() -> float:
        pool = WorkerPool(Settings(workers=1, pool_size=1))
        await pool.start()
        try:
            await pool.check_library("bench", tiny)
            walls = []
            for _ in range(max(3, repeat // 20)):
                started = time.perf_counter()
                await pool.check_library("bench", tiny)
                walls.append((time.perf_counter() - started) * 1000)
            return statistics.median(walls)
        finally:
            await pool.aclose(0)

    wall = asyncio.run(through_a_worker())
    label = "tiny bundle, in a worker (CHECK)"
    print(f"| {label:<36} | {wall:9.2f} | {'(worker)':>9} |           |")


def push(repeat: int) -> None:
    print("\n4. A change of the installed set: the supervisor encodes, a worker decodes and "
          "takes it:\n")
    print(f"| {'set':<36} | encode ms | take ms   |           |")
    print("|---|---:|---:|---:|")
    sets = {
        "10 x 100 KB": tuple(library(f"Lib{i}", 100_000) for i in range(10)),
        "1 x 8 MiB": (library("Huge", MAX_LIBRARY_BYTES - 1000),),
    }
    for label, libs in sets.items():
        encode_wall, _ = _timed(lambda libs=libs: encode_libraries(libs), repeat // 10 or 1)
        payload = encode_libraries(libs)

        def take(payload: bytes = payload) -> None:
            LibraryCatalog().set_installed(decode_libraries(payload))

        take_wall, _ = _timed(take, repeat // 10 or 1)
        print(f"| {label:<36} | {encode_wall:9.2f} | {take_wall:9.2f} |           |")


def poll(repeat: int) -> None:
    import tempfile

    from evaluator.libraries import SqlLibraryStore

    print("\n5. The API process's poll of the store (SQLite, 10 x 100 KB installed):\n")
    print(f"| {'call':<36} |   wall ms |    CPU ms |  ratio    |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as data_dir:
        store = SqlLibraryStore.open(Settings(data_dir=data_dir))
        try:
            for i in range(10):
                store.save(library(f"Lib{i}", 100_000))
            base_wall, base_cpu = _timed(store.version, repeat)
            print(_row("version() (every poll)", base_wall, base_cpu, None))
            wall, cpu = _timed(store.installed, max(5, repeat // 10))
            print(_row("installed() (on a change only)", wall, cpu, base_cpu))
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="evaluations per figure")
    args = parser.parse_args(argv)
    print(f"V8 {v8_version()}; {args.repeat} evaluations per figure in 1. and 2.\n")
    per_evaluation(args.repeat)
    first_use(args.repeat)
    install(args.repeat)
    push(args.repeat)
    poll(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
