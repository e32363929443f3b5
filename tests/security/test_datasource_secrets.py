"""Nothing leaks a datasource secret (SPEC section 8), tried for real.

A unique secret is planted through the admin API (and the CLI) into a production-shaped
service (worker processes, evaluation keys, admin keys, a master key), then searched for in
every place jseval could put it: admin API answers (reads, lists, every kind of 4xx), CLI
output, `/v1/info`, `/metrics`, the OpenAPI document and `/docs`, evaluation results, the
service's own log output (every logger, every level), and the raw bytes of every file of the
SQLite store. The worker processes are searched too, their environment and their whole
readable memory, for the secret, the master key, the admin key and the database URL: the
SETTINGS frame carries none of them, and a worker never reads the `.env` file of its working
directory (where an operator may keep the master key).

Not covered here, because it does not exist yet: queries run against a datasource (SPEC
section 7), whose results, `fetches` and failure messages will need the same search.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import default_service
from evaluator import Settings

SECRET = "ds-secret-" + uuid.uuid4().hex
MASTER_KEY = "master-" + uuid.uuid4().hex
ADMIN_KEY = "admin-" + uuid.uuid4().hex
API_KEY = "eval-" + uuid.uuid4().hex
DOTENV_CANARY = "dotenv-master-" + uuid.uuid4().hex
NEEDLES = {"secret": SECRET, "master key": MASTER_KEY, "admin key": ADMIN_KEY}

PAYMENTS = {
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": SECRET}, "Accept": "application/json"},
    "query": {"key": {"secret": SECRET + "-q"}},
    "auth": {"type": "basic", "username": "bob", "password": {"secret": SECRET + "-pw"}},
}


class _Capture(logging.Handler):
    """Every log record of this process, formatted with its traceback if any."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):  # the test's own HTTP client
            return
        self.lines.append(self.format(record) + repr(record.__dict__.get("access", "")))


def assert_clean(text: str, where: str) -> None:
    for what, needle in NEEDLES.items():
        assert needle not in text, f"{where} shows the {what}"


@pytest.fixture(scope="module")
def service(
    live_server_cm: Callable[..., AbstractContextManager[Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("store")
    workdir = tmp_path_factory.mktemp("cwd")
    # A .env in the workers' working directory holds a master key: they must not read it.
    (workdir / ".env").write_text(f"JSEVAL_MASTER_KEY={DOTENV_CANARY}\n")
    settings = Settings(
        data_dir=str(data_dir),
        master_key=MASTER_KEY,
        admin_keys=ADMIN_KEY,
        api_keys=API_KEY,
        workers=1,
        worker_concurrency=2,
        pool_size=1,
        shutdown_grace_ms=2000,
    )
    capture = _Capture()
    root = logging.getLogger()
    touched = [root] + [logging.getLogger(n) for n in ("jseval", "uvicorn", "uvicorn.error")]
    old_levels = [logger.level for logger in touched]
    root.addHandler(capture)
    for logger in touched:
        logger.setLevel(logging.DEBUG)
    cwd = os.getcwd()
    os.chdir(workdir)  # the workers start here
    try:
        with live_server_cm(settings, default_service(settings)) as live:
            os.chdir(cwd)
            yield {"live": live, "settings": settings, "data_dir": data_dir, "logs": capture}
    finally:
        os.chdir(cwd)
        root.removeHandler(capture)
        for logger, level in zip(touched, old_levels, strict=True):
            logger.setLevel(level)


def test_nothing_the_service_answers_or_logs_holds_the_secret(service: dict[str, Any]) -> None:
    live = service["live"]
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    evaluation = {"Authorization": f"Bearer {API_KEY}"}
    answers: list[tuple[str, httpx.Response]] = []
    with live.client() as client:

        def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = client.request(method, path, **kwargs)
            answers.append((f"{method} {path} -> {response.status_code}", response))
            return response

        assert call("PUT", "/v1/admin/datasources/payments", json=PAYMENTS, headers=admin).status_code == 201
        shown = call("GET", "/v1/admin/datasources/payments", headers=admin).json()
        call("GET", "/v1/admin/datasources", headers=admin)
        assert call("PUT", "/v1/admin/datasources/payments", json=shown, headers=admin).status_code == 200
        # Every kind of refusal, each with the secret in the request.
        bad = [
            {**PAYMENTS, "base_url": "gopher://" + SECRET},
            {**PAYMENTS, "headers": {"X-A": {"secret": SECRET + "\r\n"}}},
            {**PAYMENTS, "headers": {SECRET + " bad": "x"}},
            {**PAYMENTS, "headers": {"X-A": {"secret": SECRET, "extra": SECRET}}},
            {**PAYMENTS, "auth": {"type": "basic", "username": SECRET + ":x", "password": "p"}},
            {**PAYMENTS, "name": SECRET},
            {**PAYMENTS, "query": {"k": {"secret": SECRET * 300}}},
        ]
        for body in bad:
            assert call("PUT", "/v1/admin/datasources/payments", json=body, headers=admin).status_code == 422
        call("PUT", "/v1/admin/datasources/payments", content=b'{"x": "' + SECRET.encode() + b'"',
             headers={**admin, "Content-Type": "application/json"})
        call("PUT", "/v1/admin/datasources/bad-name", json=PAYMENTS, headers=admin)
        call("GET", "/v1/admin/datasources/payments", headers={"Authorization": f"Bearer {SECRET}"})
        call("GET", "/v1/admin/datasources/payments", headers=evaluation)
        call("GET", "/v1/admin/datasources/missing", headers=admin)
        call("GET", "/v1/info", headers=evaluation)
        call("GET", "/metrics", headers=evaluation)
        call("GET", "/openapi.json")
        call("GET", "/docs")
        # Code that goes looking: globals, the environment, the datasource's name.
        result = call("POST", "/v1/evaluate", headers=evaluation, json={
            "code": "const seen = Object.getOwnPropertyNames(globalThis).join(','); "
                    "[seen, typeof payments, typeof process, JSON.stringify(appsmith)]",
        })
        assert result.json()["ok"] is True
    assert [a for a, _ in answers if "-> 5" in a] == []  # no 500 or 503 on the way
    for where, response in answers:
        assert_clean(response.text, where)
        assert_clean(repr(dict(response.headers)), where + " headers")
    logs = "\n".join(service["logs"].lines)
    assert "datasource created name=payments" in logs  # the audit line is there, and is all
    assert_clean(logs, "the service's log output")


def test_the_cli_never_prints_the_secret(
    service: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    monkeypatch.setenv("JSEVAL_DATA_DIR", str(service["data_dir"]))
    monkeypatch.setenv("JSEVAL_MASTER_KEY", MASTER_KEY)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({**PAYMENTS, "base_url": "https://o.example"})))
    outputs = []
    for argv in (["datasource", "add", "orders", "-"], ["datasource", "list"],
                 ["datasource", "list", "--json"], ["datasource", "show", "payments"],
                 ["datasource", "show", "nope"], ["datasource", "add", "orders", "-"],
                 ["datasource", "add", "bad", json.dumps({"base_url": SECRET})]):
        main(argv)
        out, err = capsys.readouterr()
        outputs.append(out + err)
    assert "orders" in outputs[1] and '"secret": true' in outputs[3]
    for text in outputs:
        assert_clean(text, "CLI output")
    monkeypatch.setenv("JSEVAL_MASTER_KEY", "a-wrong-master-key-0000")
    main(["datasource", "list"])
    out, err = capsys.readouterr()
    assert "does not match" in err
    assert_clean(out + err, "CLI output with a wrong key")


def test_the_database_files_hold_no_secret_in_any_form(service: dict[str, Any]) -> None:
    files = [p for p in Path(service["data_dir"]).rglob("*") if p.is_file()]
    assert files
    raw = b"".join(p.read_bytes() for p in files)
    assert b"jseval_datasources" in raw and b"payments" in raw  # the store is really there
    for needle in (SECRET, MASTER_KEY, ADMIN_KEY):
        for form in (needle.encode(), needle.encode("utf-16-le"), needle[::-1].encode()):
            assert form not in raw
    import base64

    for needle in (SECRET, "bob:" + SECRET + "-pw"):
        assert base64.b64encode(needle.encode())[:20] not in raw


def _readable_memory(pid: int) -> Iterator[bytes]:
    """Every readable mapping of `pid` (its parent may read /proc/<pid>/mem)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                yield mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue


def test_the_workers_hold_no_key_no_secret_and_no_database_setting(service: dict[str, Any]) -> None:
    pool = service["live"].server.config.app.state.service
    pids = list(pool.worker_pids())
    assert pids
    needles = [n.encode() for n in (SECRET, MASTER_KEY, ADMIN_KEY, API_KEY, DOTENV_CANARY)]
    needles.append(str(service["data_dir"]).encode())
    for pid in pids:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
        assert all(n not in environ for n in needles)
        assert os.readlink(f"/proc/{pid}/cwd") != os.getcwd()  # it did start in the .env dir
        with open(f"/proc/{pid}/maps") as handle:
            maps = handle.read()
        # Neither the data store nor the cipher library is ever loaded in a worker.
        assert "/sqlalchemy/" not in maps and "/cryptography/" not in maps
        scanned = 0
        for chunk in _readable_memory(pid):
            scanned += len(chunk)
            for needle in needles:
                assert needle not in chunk, "a worker's memory holds a host-only value"
        assert scanned > 10 * 2**20  # the scan really read the worker


def test_the_worker_settings_frame_leaves_out_every_host_only_setting(tmp_path, monkeypatch) -> None:
    settings = Settings(master_key=MASTER_KEY, admin_keys=ADMIN_KEY, api_keys=API_KEY,
                        database_url="postgresql://u:pw-" + SECRET + "@h/db", data_dir="/x/y")
    frame = settings.for_workers().decode()
    for needle in (MASTER_KEY, ADMIN_KEY, API_KEY, SECRET, "/x/y"):
        assert needle not in frame
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"JSEVAL_MASTER_KEY={DOTENV_CANARY}\nJSEVAL_ADMIN_KEYS=a\n")
    assert Settings().master_key is not None  # the API process does read its .env
    received = Settings.from_worker_json(settings.for_workers())
    assert received.master_key is None and received.admin_keys == ()
    assert received.max_timeout_ms == settings.max_timeout_ms


_GUARD_CHILD = r"""
import ctypes, os, subprocess, sys
from api.process_guard import protect_process_memory
if os.geteuid() == 0:                       # run as an ordinary user, as a service would
    os.setgid(65534); os.setuid(65534)
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # setuid cleared "dumpable": set it as it starts
probe = ["/usr/bin/env", "cat", f"/proc/{os.getpid()}/environ"]
def worker_reads():
    return subprocess.run(probe, capture_output=True).stdout
before = worker_reads()
assert protect_process_memory()
after = worker_reads()
print(int(b"GUARD_CANARY" in before), int(b"GUARD_CANARY" in after))
"""


def test_a_same_user_process_cannot_read_the_api_process_environment(tmp_path) -> None:
    """`jseval serve` marks itself not dumpable: a worker (same user) that escaped V8 and reads
    /proc/<api pid>/environ gets nothing."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GUARD": "GUARD_CANARY",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", _GUARD_CHILD], capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)
    if done.returncode != 0 and "Permission denied" in done.stderr:
        pytest.skip("the interpreter is not usable by an unprivileged user here")
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["1", "0"]
