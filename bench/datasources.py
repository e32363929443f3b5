"""`python -m bench.datasources`: what the datasource store costs, on this machine, now.

Figures for the API process's side of SPEC section 8, on a real SQLite file in a temporary
directory: opening the store (migrations; with a master key, scrypt once per process), reading
a datasource (`get`: no decryption) against decrypting it (`resolve`: the cost a query will pay
per run), building the outbound request, and the store's share of `/v1/info`. The baseline
of each ratio is measured in the same run: `get` for `resolve` (so the ratio is the price of
AES-GCM on top of a database read), a read of an empty table for `names()`.

Options: `--iterations N` (default 2000). Wall-clock numbers belong here, never in tests.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

from evaluator import Settings
from evaluator.datasources import Datasource, DatasourceStore, QuerySpec, build_outbound_request
from evaluator.datastore import DataStore

CONFIG = {
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": "k" * 40}, "Accept": "application/json"},
    "query": {"key": {"secret": "q" * 24}},
    "auth": {"type": "bearer", "token": {"secret": "t" * 64}},
}


def _per_op_us(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    """(median, p90) microseconds per call over `iterations` calls, after a warm-up."""
    for _ in range(min(50, iterations)):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.datasources")
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    n = args.iterations

    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        DataStore.open(Settings(data_dir=data_dir)).close()
        open_plain_ms = (time.perf_counter() - started) * 1000
        settings = Settings(data_dir=data_dir, master_key="bench-master-key-0123456789")
        started = time.perf_counter()
        store = DatasourceStore.open(settings)
        open_key_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        empty_names = _per_op_us(store.names, n)
        store.put("payments", Datasource.model_validate(CONFIG))
        put = _per_op_us(lambda: store.put("payments", Datasource.model_validate(CONFIG)), n // 4)
        get = _per_op_us(lambda: store.get("payments"), n)
        resolve = _per_op_us(lambda: store.resolve("payments"), n)
        names = _per_op_us(store.names, n)
        resolved = store.resolve("payments")
        query = QuerySpec(method="POST", path="/users/{{this.params.id}}",
                          query={"q": "{{this.params.q}}"}, headers={"X-Trace": "1"},
                          body={"id": "{{this.params.id}}"})
        build = _per_op_us(
            lambda: build_outbound_request(resolved, query, {"id": "42", "q": "a b"}), n
        )
        store.close()

    print(f"store open, no master key (first start: schema)  {open_plain_ms:8.1f} ms")
    print(f"store open, master key (scrypt N=2^15, once)     {open_key_ms:8.1f} ms")
    print(f"{'operation':38} {'median us':>10} {'p90 us':>10} {'ratio':>8}")
    rows = [
        ("names() on an empty table (baseline)", empty_names, None),
        ("names() with one datasource", names, empty_names),
        ("get() (no decryption, baseline)", get, None),
        ("resolve() (get + 3 AES-GCM opens)", resolve, get),
        ("put() with 3 secrets (write txn)", put, get),
        ("build_outbound_request()", build, None),
    ]
    for label, (median, p90), base in rows:
        ratio = f"{median / base[0]:7.2f}x" if base else ""
        print(f"{label:38} {median:10.1f} {p90:10.1f} {ratio:>8}")


if __name__ == "__main__":
    main()
