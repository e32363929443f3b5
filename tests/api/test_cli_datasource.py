"""`jseval datasource ...` as an operator runs it: a real process on a real store; secrets
never printed; exit codes 0 / 1 / 2 and one line on stderr for each failure."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "cli-S3CRET-needle-4242"
KEY = "cli-master-key-0123456789"
CONFIG = {
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": SECRET}},
    "auth": {"type": "basic", "username": "bob", "password": {"secret": SECRET + "-pw"}},
}


class Done:
    """What one `jseval` command gave: exit status, stdout, stderr."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def jseval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """jseval(*args, stdin=None, **env) runs `api.cli.main` in this process (the real command,
    without paying an interpreter start per call; two tests below run real processes)."""
    from api.cli import main

    for name in list(os.environ):
        if name.startswith("JSEVAL_"):
            monkeypatch.delenv(name)
    base_env = {"JSEVAL_DATA_DIR": str(tmp_path / "data"), "JSEVAL_MASTER_KEY": KEY}
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, **extra_env: str) -> Done:
        with monkeypatch.context() as patch:
            for name, value in {**base_env, **extra_env}.items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
            patch.chdir(tmp_path)
            status = main(list(args))
        out, err = capsys.readouterr()
        outputs.append(out + err)
        return Done(status, out, err)

    run.outputs = outputs  # type: ignore[attr-defined]
    yield run
    for text in outputs:  # whatever a test did, no output ever showed a secret
        assert SECRET not in text and KEY not in text


def real_jseval(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JSEVAL_")}
    clean.update({"JSEVAL_DATA_DIR": str(tmp_path / "data"), "JSEVAL_MASTER_KEY": KEY, **env})
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=clean,
        timeout=120, cwd=tmp_path,
    )


def test_add_list_show_remove(jseval, tmp_path: Path) -> None:
    config = tmp_path / "payments.json"
    config.write_text(json.dumps(CONFIG))
    added = jseval("datasource", "add", "payments", f"@{config}")
    assert added.returncode == 0 and added.stdout.strip() == "added datasource 'payments'"
    from_stdin = jseval("datasource", "add", "orders", "-", stdin=json.dumps(CONFIG))
    assert from_stdin.returncode == 0
    listed = jseval("datasource", "list")
    assert listed.stdout.splitlines() == [
        "orders\trest\thttps://api.example.com/v1\tsecrets=2",
        "payments\trest\thttps://api.example.com/v1\tsecrets=2",
    ]
    assert [d["name"] for d in json.loads(jseval("datasource", "list", "--json").stdout)] == [
        "orders", "payments"]
    shown = json.loads(jseval("datasource", "show", "payments").stdout)
    assert shown["headers"] == {"X-Api-Key": {"secret": True}}
    assert shown["auth"]["password"] == {"secret": True}
    assert jseval("datasource", "remove", "orders").returncode == 0
    gone = jseval("datasource", "show", "orders")
    assert gone.returncode == 1 and gone.stderr.strip() == "jseval: no datasource named 'orders'"


def test_add_refuses_to_overwrite_without_replace(jseval) -> None:
    assert jseval("datasource", "add", "p", json.dumps(CONFIG)).returncode == 0
    again = jseval("datasource", "add", "p", json.dumps(CONFIG))
    assert again.returncode == 1 and "--replace" in again.stderr
    assert jseval("datasource", "add", "p", json.dumps(CONFIG), "--replace").stdout.startswith(
        "replaced")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add", "p", '{"base_url": "ftp://x", "headers": {"A": {"secret": "' + SECRET + '"}}}'),
         "invalid datasource: base_url:"),
        (("add", "p", "{not json"), "invalid datasource"),
        (("add", "p", "@/nonexistent/file.json"), "cannot read"),
        (("add", "bad-name", json.dumps(CONFIG)), "invalid datasource name"),
        (("show", "../x"), "invalid datasource name"),
    ],
)
def test_bad_input_is_exit_2_with_one_clear_line(jseval, args, expected) -> None:
    done = jseval("datasource", *args)
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_a_wrong_master_key_is_exit_2_naming_the_key(jseval) -> None:
    assert jseval("datasource", "add", "p", json.dumps(CONFIG)).returncode == 0
    wrong = jseval("datasource", "list", JSEVAL_MASTER_KEY="some-other-master-key-1")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("jseval: JSEVAL_MASTER_KEY does not match")
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_secrets_without_a_master_key_are_refused(jseval) -> None:
    done = jseval("datasource", "add", "p", json.dumps(CONFIG), JSEVAL_MASTER_KEY="")
    assert done.returncode == 2
    assert "headers.X-Api-Key" in done.stderr and "JSEVAL_MASTER_KEY" in done.stderr


def test_rotate_key_from_the_environment_and_from_stdin(jseval) -> None:
    assert jseval("datasource", "add", "p", json.dumps(CONFIG)).returncode == 0
    new_key = "cli-rotated-master-key-000001"
    done = jseval("datasource", "rotate-key", JSEVAL_NEW_MASTER_KEY=new_key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("re-encrypted 1 datasource(s) under key ")
    old = jseval("datasource", "list")
    assert old.returncode == 2 and "rotated-away key" in old.stderr
    newer = "cli-rotated-master-key-000002"
    done = jseval("datasource", "rotate-key", "--new-key-stdin", stdin=newer + "\n",
                  JSEVAL_MASTER_KEY=new_key)
    assert done.returncode == 0, done.stderr
    assert jseval("datasource", "show", "p", JSEVAL_MASTER_KEY=newer).returncode == 0
    none = jseval("datasource", "rotate-key", JSEVAL_MASTER_KEY=newer)  # no tty, no key
    assert none.returncode == 2 and "JSEVAL_NEW_MASTER_KEY" in none.stderr
    for text in jseval.outputs:
        assert new_key not in text and newer not in text


def test_as_a_real_process_add_and_show_never_print_the_secret(tmp_path: Path) -> None:
    added = real_jseval(tmp_path, "datasource", "add", "payments", json.dumps(CONFIG))
    assert added.returncode == 0, added.stderr
    shown = real_jseval(tmp_path, "datasource", "show", "payments")
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "payments"
    for text in (added.stdout, added.stderr, shown.stdout, shown.stderr):
        assert SECRET not in text and KEY not in text


def test_serve_with_a_wrong_master_key_stops_before_listening(tmp_path: Path) -> None:
    assert real_jseval(tmp_path, "datasource", "add", "p", json.dumps(CONFIG)).returncode == 0
    done = real_jseval(tmp_path, "serve", "--port", "0", JSEVAL_MASTER_KEY="some-other-master-key-1")
    assert done.returncode == 2
    assert done.stderr.startswith("jseval: JSEVAL_MASTER_KEY does not match")
    assert len(done.stderr.strip().splitlines()) == 1
