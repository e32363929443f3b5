"""`jseval`: --version, and every usage or configuration error is one line on stderr with exit
2 (never a traceback, never exit 1, which means "the JavaScript failed")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluator import __version__, v8_version
from tests.api.cli.support import jseval


def test_version() -> None:
    done = jseval("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"jseval {__version__} (V8 {v8_version()})"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "ok.js").write_text("1 + 1")
    (tmp_path / "latin1.js").write_bytes("'caf\xe9'".encode("latin-1"))
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "latin1.json").write_bytes(b'{"k": "\xe9"}')
    (tmp_path / "dir.js").mkdir()
    return tmp_path


USAGE_ERRORS = [
    # (argv with {d} for the files folder, environment, what the one line must say)
    (["run", "{d}/latin1.js"], {}, r"latin1\.js is not UTF-8 text \(byte 0xe9 at offset 4\)"),
    (["run", "{d}/missing.js"], {}, r"cannot read file .*missing\.js: No such file"),
    (["run", "{d}/dir.js"], {}, r"cannot read file .*dir\.js: Is a directory"),
    (["run", "{d}/ok.js", "--store", "{x"], {}, r"--store: invalid JSON: .*column 2"),
    (["run", "{d}/ok.js", "--globals", "@{d}/bad.json"], {}, r"--globals file .*: invalid JSON"),
    (["run", "{d}/ok.js", "--appsmith", "@{d}/nope.json"], {}, r"cannot read --appsmith file"),
    (["run", "{d}/ok.js", "--store", "@{d}/latin1.json"], {}, r"--store file .* is not UTF-8"),
    (["run", "{d}/ok.js", "--seed", "1"], {}, r"unrecognized arguments: --seed 1"),
    (["run", "{d}/ok.js", "--random"], {}, r"unrecognized arguments: --random"),  # no prefixes
    (["run", "{d}/ok.js", "--timeout-ms", "soon"], {}, r"--timeout-ms: invalid int value"),
    (["run", "{d}/ok.js", "--mode", "module"], {}, r"--mode: invalid choice"),
    (["run", "{d}/ok.js", "--timeout-ms", "999999"], {}, r"invalid request: --timeout-ms: .*30000"),
    (["run", "{d}/ok.js", "--now-ms", "0"], {}, r"invalid request: now_ms is only allowed with"),
    (["run", "{d}/ok.js", "--args", "{}"], {}, r"--args: expected a JSON array"),
    (["run", "{d}/ok.js", "--json", "--report"], {}, r"not allowed with argument"),
    (["run", "{d}/ok.js"], {"JSEVAL_WORKERS": "abc"}, r"invalid setting JSEVAL_WORKERS: .*integer"),
    (["run", "{d}/ok.js"], {"JSEVAL_MAX_TIMEOUT_MS": "-1"}, r"JSEVAL_MAX_TIMEOUT_MS: .*greater"),
    (["serve"], {"JSEVAL_WORKERS": "abc"}, r"invalid setting JSEVAL_WORKERS"),
    (["serve", "--port", "70000"], {}, r"invalid setting --port: .*65535"),
    (["serve", "--workers", "-1"], {}, r"invalid setting --workers"),
    (["conformance"], {}, r"required: --url"),
    (["conformance", "--url", "http://127.0.0.1:1", "--cases", "{d}/nope"], {}, r"not a directory"),
    (["nonsense"], {}, r"invalid choice: 'nonsense'"),
    ([], {}, r"a command is required"),
]


@pytest.mark.parametrize(("argv", "env", "says"), USAGE_ERRORS, ids=[" ".join(a) or "(none)" for a, _, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_and_exit_2(
    files: Path, argv: list[str], env: dict[str, str], says: str
) -> None:
    done = jseval(*(arg.replace("{d}", str(files)) for arg in argv), env=env)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert re.search(says, lines[0]), lines[0]
    assert lines[0].startswith("jseval")
    assert done.stdout == ""


def test_settings_errors_never_show_the_value(files: Path) -> None:
    done = jseval("run", f"{files}/ok.js", env={"JSEVAL_MAX_BATCH": "s3cr3t-value"})
    assert done.returncode == 2 and "s3cr3t" not in done.stderr


def test_a_non_utf8_env_file_is_a_usage_error(files: Path) -> None:
    (files / ".env").write_bytes(b"JSEVAL_PORT=\xff\n")
    done = jseval("run", f"{files}/ok.js", cwd=files)
    assert done.returncode == 2
    assert done.stderr.strip() == "jseval run: cannot read the .env file: UnicodeDecodeError"


def test_help_is_not_an_error() -> None:
    done = jseval("run", "--help")
    assert done.returncode == 0
    for flag in ("--random-seed", "--now-ms", "--timeout-ms", "--memory-mb", "--wait-for-timers",
                 "--store", "--globals", "--appsmith", "--queries", "--js-objects", "--json"):
        assert flag in done.stdout, flag
