"""`jseval library ...` as an operator runs it (SPEC section 9): a real store, the install check
in a real worker process, exit codes 0 / 1 / 2 with one line on stderr for each failure, and
`jseval run` offering what was installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GREETER = "var Greeter = { VERSION: '1.0.0', hello: function (n) { return 'hello ' + n; } };\n"


class Done:
    """What one `jseval` command gave: exit status, stdout, stderr."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def jseval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """jseval(*args, stdin=None, **env) runs `api.cli.main` in this process, on a store of its
    own (the `add` check still runs in a worker process, as it does for every operator)."""
    from api.cli import main

    for name in list(os.environ):
        if name.startswith("JSEVAL_"):
            monkeypatch.delenv(name)
    base_env = {"JSEVAL_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str, stdin: bytes | None = None, **extra_env: str) -> Done:
        with monkeypatch.context() as patch:
            for name, value in {**base_env, **extra_env}.items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin or b"")))
            patch.chdir(tmp_path)
            status = main(list(args))
        out, err = capsys.readouterr()
        return Done(status, out, err)

    return run


@pytest.fixture
def greeter(tmp_path: Path) -> Path:
    path = tmp_path / "greeter.js"
    path.write_text(GREETER)
    return path


def test_add_list_show_remove(jseval, greeter: Path) -> None:
    digest = hashlib.sha256(GREETER.encode()).hexdigest()
    added = jseval("library", "add", "greeter", str(greeter))
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"installed library 'greeter' 1.0.0: globals Greeter (sha256 {digest})"
    from_stdin = jseval("library", "add", "tiny", "-", "--version", "0.1.0",
                        stdin=b"var Tiny = { add: function (a, b) { return a + b; } };")
    assert from_stdin.returncode == 0, from_stdin.stderr
    rows = [line.split("\t")[:4] for line in jseval("library", "list").stdout.splitlines()]
    assert rows == [["greeter", "1.0.0", "Greeter", f"{len(GREETER)} bytes"],
                    ["tiny", "0.1.0", "Tiny", "54 bytes"]]
    listed = json.loads(jseval("library", "list", "--json").stdout)
    assert [item["name"] for item in listed] == ["greeter", "tiny"]
    shown = json.loads(jseval("library", "show", "greeter").stdout)
    assert shown["sha256"] == digest and shown["globals"] == ["Greeter"]
    assert jseval("library", "remove", "tiny").stdout.strip() == "removed library 'tiny'"
    gone = jseval("library", "show", "tiny")
    assert gone.returncode == 1 and gone.stderr.strip() == "jseval: no library named 'tiny'"
    assert jseval("library", "remove", "tiny").returncode == 1


def test_add_refuses_to_overwrite_without_replace(jseval, greeter: Path, tmp_path: Path) -> None:
    assert jseval("library", "add", "greeter", str(greeter)).returncode == 0
    again = jseval("library", "add", "greeter", str(greeter))
    assert again.returncode == 1 and "--replace" in again.stderr
    newer = tmp_path / "newer.js"
    newer.write_text("var Greeter = { hello: function () { return 'hi'; } };")
    replaced = jseval("library", "add", "greeter", str(newer), "--replace", "--version", "2.0.0")
    assert replaced.returncode == 0 and replaced.stdout.startswith("replaced library 'greeter' 2.0.0")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # (every reason is tested over the admin API: tests/api/routes/test_libraries.py)
        (b"throw new Error('nope')", "library refused: the bundle threw when it ran: Error: nope"),
        (b"var X = 1; storeValue = null;", "library refused: the bundle replaces or deletes 'storeValue'"),
        (b"var X = '\xff';", "is not UTF-8 text"),
    ],
)
def test_a_refused_bundle_is_exit_2_with_the_reason(jseval, tmp_path: Path, source: bytes, expected: str) -> None:
    bundle = tmp_path / "bundle.js"
    bundle.write_bytes(source)
    done = jseval("library", "add", "bad", str(bundle))
    assert done.returncode == 2, done.stdout
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert jseval("library", "list").stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add", "Bad", "x.js"), "invalid library name"),
        (("add", "lodash", "greeter.js"), "'lodash' is a built-in library"),
        (("add", "ok", "/nonexistent/file.js"), "cannot read /nonexistent/file.js"),
        (("add", "ok", "greeter.js", "--version", "has space"), "a version is 1 to 64"),
        (("show", "../x"), "invalid library name"),
    ],
)
def test_bad_usage_is_exit_2_with_one_clear_line(jseval, greeter: Path, args, expected) -> None:
    done = jseval("library", *args)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_jseval_run_offers_the_installed_libraries(jseval, greeter: Path, tmp_path: Path) -> None:
    code = tmp_path / "use.js"
    code.write_text("typeof Greeter === 'undefined' ? 'none' : Greeter.hello('run')")
    # No store yet: built-ins only, and no store is created by running code.
    before = jseval("run", str(code), "--compact")
    assert json.loads(before.stdout)["result"] == "none"
    assert not (tmp_path / "data").exists()
    assert jseval("library", "add", "greeter", str(greeter)).returncode == 0
    after = jseval("run", str(code), "--compact")
    assert json.loads(after.stdout)["result"] == "hello run"


def test_the_cli_knows_the_store_file_name_without_importing_the_store() -> None:
    from api.cli import library as cli_library
    from evaluator.datastore import SQLITE_FILE_NAME

    assert cli_library._SQLITE_FILE_NAME == SQLITE_FILE_NAME


def test_a_real_process_installs_and_a_real_process_runs(tmp_path: Path, greeter: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSEVAL_")}
    env["JSEVAL_DATA_DIR"] = str(tmp_path / "data")
    code = tmp_path / "use.js"
    code.write_text("Greeter.hello('proc')")

    def real(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True,
                              text=True, env=env, timeout=120, cwd=tmp_path)

    added = real("library", "add", "greeter", str(greeter))
    assert added.returncode == 0, added.stderr
    ran = real("run", str(code), "--compact")
    assert ran.returncode == 0 and json.loads(ran.stdout)["result"] == "hello proc"
