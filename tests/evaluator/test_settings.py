"""Settings come from JSEVAL_* variables (and .env) with the documented defaults."""

from __future__ import annotations

import pytest

from evaluator import Settings


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
    monkeypatch.setenv("JSEVAL_API_KEYS", "one, two ,")
    monkeypatch.setenv("JSEVAL_FETCH_ALLOW", "example.com,10.0.0.0/8")
    monkeypatch.setenv("JSEVAL_ALLOW_WASM", "1")
    settings = Settings(_env_file=None)
    assert settings.max_timeout_ms == 5000
    assert settings.api_key_values == (b"one", b"two")
    assert settings.fetch_allow == ("example.com", "10.0.0.0/8")
    assert settings.allow_wasm is True
    assert "one" not in repr(settings)


def test_env_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("JSEVAL_MAX_BATCH=7\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().max_batch == 7
