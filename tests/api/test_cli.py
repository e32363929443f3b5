"""`jseval run`: JSON on stdout; exit 0 when ok, 1 when the JavaScript failed, 2 on bad usage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def jseval(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], input=stdin, capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_run_file(tmp_path: Path) -> None:
    script = tmp_path / "snippet.js"
    script.write_text("console.log('hi'); [1, 2].map(x => x * 2)")
    done = jseval("run", str(script))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["result"] == [2, 4]
    assert result["logs"][0]["text"] == "hi"


def test_run_stdin_failure_exits_1() -> None:
    done = jseval("run", "-", "--mode", "function", stdin="\nthrow new TypeError('x')")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "runtime" and error["name"] == "TypeError" and error["line"] == 2


def test_run_flags() -> None:
    done = jseval(
        "run", "-", "--clock", "virtual", "--now-ms", "0", "--mode", "function",
        "--timeout-ms", "500", "--arg", "5", "--compact",
        stdin="await new Promise(r => setTimeout(r, 1000)); return [Date.now(), args[0]]",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == [1000, 5]


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert jseval("run", str(tmp_path / "missing.js")).returncode == 2
    assert jseval("run", "-", "--timeout-ms", "999999", stdin="1").returncode == 2
    assert jseval("run", "-", "--arg", "{not json", stdin="1").returncode == 2
    assert jseval("nonsense").returncode == 2
