"""Running `jseval` as a person does: a real subprocess, piped or on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

# A generous default budget: what these tests check is the CLI, not how fast a loaded machine
# starts a cold isolate (a test that is about the budget passes --timeout-ms itself).
BASE_ENV = {"JSEVAL_DEFAULT_TIMEOUT_MS": "20000"}


def jseval(
    *args: str,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m api.cli ARGS` with stdout piped (so not a terminal)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        input=data, capture_output=True, timeout=timeout, check=False,
        env={**os.environ, **BASE_ENV, **(env or {})},
        cwd=cwd or Path(__file__).resolve().parents[3],
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def jseval_on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`python -m api.cli ARGS` with stdout on a pseudo-terminal: (exit status, screen text)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", *args],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE,
        env={**os.environ, **BASE_ENV, "TERM": "xterm-256color", **(env or {})},
        cwd=Path(__file__).resolve().parents[3],
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    status = process.wait(timeout=120)
    os.close(leader)
    assert process.stderr is not None
    process.stderr.close()
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
