"""Settings come from JSEVAL_* variables (and .env) with the documented defaults."""

from __future__ import annotations

import json

import pytest

from evaluator import Settings
from evaluator.settings import HOST_ONLY_SETTINGS


def test_defaults_are_the_specs() -> None:
    settings = Settings(_env_file=None)
    assert settings.max_code_bytes == 262144
    assert (settings.default_timeout_ms, settings.max_timeout_ms) == (1000, 30000)
    assert (settings.default_memory_mb, settings.max_memory_mb) == (64, 512)
    assert settings.max_request_bytes == 32 * 1024 * 1024
    assert (settings.max_batch, settings.max_result_bytes) == (100, 1024 * 1024)
    assert (settings.max_log_entries, settings.max_log_bytes) == (1000, 1024 * 1024)
    assert settings.max_timers == 1000
    assert (settings.fetch_timeout_ms, settings.fetch_max_bytes) == (10000, 10 * 1024 * 1024)
    assert (settings.fetch_max_requests, settings.fetch_max_in_flight) == (50, 6)
    assert settings.api_keys == () and settings.allow_wasm is False


def test_environment_and_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSEVAL_MAX_TIMEOUT_MS", "5000")
    monkeypatch.setenv("JSEVAL_API_KEYS", "key-one, key-two ,")
    monkeypatch.setenv("JSEVAL_ADMIN_KEYS", "admin-one,admin-two")
    monkeypatch.setenv("JSEVAL_MASTER_KEY", "the-master-key-123")
    monkeypatch.setenv("JSEVAL_DATABASE_URL", "postgresql://u:db-password@h/db")
    monkeypatch.setenv("JSEVAL_FETCH_ALLOW", "example.com,10.0.0.0/8")
    monkeypatch.setenv("JSEVAL_ALLOW_WASM", "1")
    settings = Settings(_env_file=None)
    assert settings.max_timeout_ms == 5000
    assert settings.api_key_values == (b"key-one", b"key-two")
    assert settings.admin_key_values == (b"admin-one", b"admin-two")
    assert settings.fetch_allow == ("example.com", "10.0.0.0/8")
    assert settings.allow_wasm is True
    for secret in ("key-one", "admin-one", "the-master-key", "db-password"):
        assert secret not in repr(settings) and secret not in str(settings.model_dump())


def test_an_empty_master_key_or_database_url_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSEVAL_MASTER_KEY", "  ")
    monkeypatch.setenv("JSEVAL_DATABASE_URL", "")
    monkeypatch.delenv("JSEVAL_DATA_DIR", raising=False)  # tests/conftest.py sets a temp dir
    settings = Settings(_env_file=None)
    assert settings.master_key is None and settings.database_url is None
    assert settings.data_dir == ".jseval" and settings.admin_keys == ()


def test_workers_get_every_setting_but_the_host_only_ones(tmp_path, monkeypatch) -> None:
    settings = Settings(_env_file=None, max_batch=7, api_keys="k-1", admin_keys="a-1",
                        master_key="the-master-key-123", database_url="sqlite:///x.db",
                        data_dir="/srv/jseval")
    frame = settings.for_workers()
    assert HOST_ONLY_SETTINGS.isdisjoint(json.loads(frame))
    for secret in (b"k-1", b"a-1", b"the-master-key", b"x.db", b"/srv/jseval"):
        assert secret not in frame
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("JSEVAL_MASTER_KEY=from-dotenv-file-1\nJSEVAL_MAX_BATCH=9\n")
    received = Settings.from_worker_json(frame)
    assert received.max_batch == 7 and received.master_key is None


def test_env_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("JSEVAL_MAX_BATCH=7\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().max_batch == 7
