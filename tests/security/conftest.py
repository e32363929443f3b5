"""The red team's harness: every attack goes through `attack()`, over HTTP, to a production-shaped
service (worker processes, API keys, a secret in the environment, fetch allowed to one origin).

`attack(code, **fields)` posts the attack to `POST /v1/evaluate` and checks what every attack
must leave true, whatever it tried:

- the answer is HTTP 200 and a valid `EvaluationResult`, a clean error of a known kind when not ok;
- it came within the budget plus one second;
- it holds no secret (the API key, the canary in the service's environment) and nothing of the
  host (paths, Python tracebacks, runtime source names);
- the next ordinary evaluation succeeds;
- no worker's RSS stayed past `worker_max_rss_mb`, and the API process did not grow past
  `API_GROWTH_CAP_MB` (sampled every few milliseconds while the attack ran).

It returns the result as a dict, so each test asserts what its technique specifically needs.
`attack_inprocess` is the same contract on the in-process `Evaluator`, for the few tests where
HTTP adds nothing (stdout of this process, stack probes that need thousands of calls).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import default_service
from evaluator import EvaluationResult, Evaluator, Settings

# Secrets the sandbox must never reach: set before the service (and its workers) start.
CANARY_ENV = "JSEVAL_SECURITY_CANARY"
CANARY = "canary-" + uuid.uuid4().hex
API_KEY = "sk-redteam-" + uuid.uuid4().hex

WORKER_RSS_CAP_MB = 640
API_GROWTH_CAP_MB = 256
KINDS = {"syntax", "runtime", "timeout", "memory", "limit", "unserializable", "internal"}

_REPO = str(Path(__file__).resolve().parents[2])
# Host details that must never appear in an answer.
HOST_MARKERS = [
    API_KEY, CANARY, _REPO, sys.prefix, sys.base_prefix, "Traceback (most recent call last)",
    "site-packages", "py_mini_racer", 'File "/',
]
# (Runtime frames, `jseval:<shim>`, may appear in an `error.stack` the code itself reads and
# returns, as V8 writes it; the answer's own `error.stack` must hold user frames only:
# assert_well_formed checks that.)

FOLLOW_UP = {"code": "[1, 2, 3].map((x) => x * 2)"}
_JSON = {"Content-Type": "application/json"}


def give_back_memory() -> None:
    """Return what this process freed to the OS (glibc keeps it otherwise): a test that served
    big answers from a service of its own must not leave the red team's API process, which is
    this same process, looking grown."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


class RssSampler:
    """Peak RSS of this process and of the workers while a `with` block runs."""

    def __init__(self, worker_pids: Callable[[], list[int]]) -> None:
        self._worker_pids = worker_pids
        self.api_peak_mb = 0.0
        self.worker_peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        self.api_peak_mb = max(self.api_peak_mb, rss_mb(os.getpid()))
        for pid in self._worker_pids():
            self.worker_peak_mb = max(self.worker_peak_mb, rss_mb(pid))

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self._sample()


def assert_clean(text: str) -> None:
    """No secret and no host detail in `text` (an answer, a log line, an error message)."""
    for marker in HOST_MARKERS:
        assert marker not in text, f"the answer leaks a host detail ({marker[:12]}...)"


def assert_well_formed(body: dict[str, Any]) -> EvaluationResult:
    """A valid result; when not ok, a clean error of a known kind."""
    result = EvaluationResult.model_validate(body)
    if not result.ok:
        error = result.error
        assert error is not None and error.kind in KINDS, error
        assert isinstance(error.name, str) and error.name
        if error.kind in ("timeout", "memory", "limit"):
            assert error.line is None and error.column is None
        if error.stack is not None:
            for frame in error.stack.split("\n")[1:]:
                assert "<code>:" in frame, "a runtime frame reached the stack"
    return result


@dataclass
class RedTeamService:
    """The live API under attack and what the checks need to know about it."""

    url: str
    client: httpx.Client
    service: Any
    settings: Settings
    api_baseline_mb: float
    api_key: str = API_KEY
    canary: str = CANARY
    canary_env: str = CANARY_ENV
    attacks: int = 0
    worst_api_growth_mb: float = 0.0

    def worker_pids(self) -> list[int]:
        pids = getattr(self.service, "worker_pids", None)
        return list(pids()) if pids is not None else []

    def post(self, body: dict[str, Any], path: str = "/v1/evaluate") -> httpx.Response:
        # ASCII-escaped JSON, as a browser's JSON.stringify would send a lone surrogate (httpx's
        # own `json=` writes raw UTF-8, which cannot hold one).
        content = json.dumps(body).encode()
        return self.client.post(path, content=content, headers=_JSON)


def _red_team_settings(origin_port: int) -> Settings:
    return Settings(
        workers=2,
        worker_concurrency=4,
        pool_size=2,
        max_queue=64,
        api_keys=(API_KEY,),  # type: ignore[arg-type]
        worker_max_rss_mb=WORKER_RSS_CAP_MB,
        hard_deadline_grace_ms=1000,
        fetch_allow=(f"127.0.0.1:{origin_port}",),
        fetch_timeout_ms=2000,
        shutdown_grace_ms=2000,
    )


@pytest.fixture(scope="session")
def red_team(
    live_server_cm: Callable[..., AbstractContextManager[Any]], origin_server: Any
) -> Iterator[RedTeamService]:
    """The service in its production shape (`default_service`: worker processes), with an API
    key and a canary secret in its environment, served by a real uvicorn on 127.0.0.1."""
    previous = os.environ.get(CANARY_ENV)
    os.environ[CANARY_ENV] = CANARY  # the API process and every worker inherit it
    try:
        settings = _red_team_settings(origin_server.port)
        service = default_service(settings)
        with live_server_cm(settings, service) as live:
            headers = {"Authorization": f"Bearer {API_KEY}"}
            with httpx.Client(base_url=live.url, headers=headers, timeout=60) as client:
                assert client.post("/v1/evaluate", json=FOLLOW_UP).json()["ok"] is True
                yield RedTeamService(
                    live.url, client, service, settings, rss_mb(os.getpid())
                )
    finally:
        if previous is None:
            os.environ.pop(CANARY_ENV, None)
        else:
            os.environ[CANARY_ENV] = previous


@pytest.fixture(scope="session")
def attack(red_team: RedTeamService) -> Callable[..., dict[str, Any]]:
    """attack(code, timeout_ms=300, memory_mb=16, **fields) -> the result, as a dict."""

    def _attack(code: str, *, timeout_ms: int = 300, memory_mb: int = 16, **fields: Any) -> dict[str, Any]:
        body = {"code": code, "timeout_ms": timeout_ms, "memory_mb": memory_mb, **fields}
        with RssSampler(red_team.worker_pids) as rss:
            started = time.monotonic()
            response = red_team.post(body)
            wall_s = time.monotonic() - started
        red_team.attacks += 1
        assert response.status_code == 200, response.text[:300]
        assert_clean(response.text)
        result = response.json()
        assert_well_formed(result)
        assert wall_s <= timeout_ms / 1000 + 1.0, f"answered after {wall_s:.2f} s"
        follow_up = red_team.post(FOLLOW_UP)
        assert follow_up.status_code == 200 and follow_up.json()["result"] == [2, 4, 6]
        growth = rss.api_peak_mb - red_team.api_baseline_mb
        red_team.worst_api_growth_mb = max(red_team.worst_api_growth_mb, growth)
        assert growth < API_GROWTH_CAP_MB, f"the API process grew by {growth:.0f} MiB"
        for pid in red_team.worker_pids():
            assert rss_mb(pid) < WORKER_RSS_CAP_MB, "a worker stayed past its RSS cap"
        return result

    return _attack


@pytest.fixture(scope="session")
def attack_inprocess(evaluator: Evaluator) -> Callable[..., dict[str, Any]]:
    """The same contract on the in-process Evaluator (tests/conftest.py's `evaluator`)."""

    def _attack(code: str, *, timeout_ms: int = 300, memory_mb: int = 16, **fields: Any) -> dict[str, Any]:
        started = time.monotonic()
        result = evaluator.evaluate(
            {"code": code, "timeout_ms": timeout_ms, "memory_mb": memory_mb, **fields}
        )
        wall_s = time.monotonic() - started
        text = result.model_dump_json()
        assert_clean(text)
        assert_well_formed(result.model_dump(mode="json"))
        assert wall_s <= timeout_ms / 1000 + 1.0, f"answered after {wall_s:.2f} s"
        follow_up = evaluator.evaluate(FOLLOW_UP)
        assert follow_up.ok and follow_up.result == [2, 4, 6]
        return result.model_dump(mode="json")

    return _attack
