"""Service settings: every `JSEVAL_*` environment variable, read once.

Values come from the environment or a `.env` file in the working directory (pydantic-settings,
`env_prefix="JSEVAL_"`): a field is its variable's name without the prefix, lower-cased. The
defaults are the contract's (README), so an unconfigured service is a correct one. Lists
(`api_keys`, `fetch_allow`, ...) are comma-separated strings, because that is what people write
in env files.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["HOST_ONLY_SETTINGS", "Settings"]

_MIB = 1024 * 1024
# The smallest answer cap: room for an error's cut message and stack (16 + 64 KiB, up to six
# bytes each once JSON-escaped) besides the fixed fields, so a failure always fits.
MIN_OUTPUT_BYTES = 512 * 1024
# What an answer holds besides its result (the fixed fields, `stats`, the flags).
_OUTPUT_OVERHEAD = 4096

CommaList = Annotated[tuple[str, ...], NoDecode]
SecretList = Annotated[tuple[SecretStr, ...], NoDecode]

# Settings that exist only in the API process: keys, the master key, where the data store is.
# Worker processes run untrusted code; they get every other setting over their socket
# (`Settings.for_workers()`), and a worker that escaped V8 finds none of these in its memory.
HOST_ONLY_SETTINGS = frozenset({"api_keys", "admin_keys", "master_key", "database_url", "data_dir"})


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Server configuration. Build with `Settings()` to read the environment.

    Request fields are bounded by the `max_*` values here; a request past one is rejected
    (HTTP 422), never clamped.
    """

    model_config = SettingsConfigDict(
        env_prefix="JSEVAL_", env_file=".env", extra="ignore", frozen=True
    )

    # Request limits: what one request may ask for.
    max_code_bytes: int = Field(262_144, ge=1)
    default_timeout_ms: int = Field(1000, ge=1)
    max_timeout_ms: int = Field(30_000, ge=1)
    default_memory_mb: int = Field(64, ge=8)
    max_memory_mb: int = Field(512, ge=8)
    max_request_bytes: int = Field(32 * _MIB, ge=1024)
    max_batch: int = Field(100, ge=1)

    # Output limits: how much one result may carry.
    max_result_bytes: int = Field(_MIB, ge=64)
    max_output_bytes: int = Field(2 * _MIB, ge=MIN_OUTPUT_BYTES)
    max_log_entries: int = Field(1000, ge=0)
    max_log_bytes: int = Field(_MIB, ge=0)
    max_timers: int = Field(1000, ge=1)

    # Sandbox: what the isolate may do.
    allow_wasm: bool = False

    # fetch: its network policy and caps (docs/FETCH.md).
    fetch_allow: CommaList = ()
    fetch_deny: CommaList = ()
    fetch_timeout_ms: int = Field(10_000, ge=1)
    fetch_max_bytes: int = Field(10 * _MIB, ge=0)
    fetch_max_requests: int = Field(50, ge=0)
    fetch_max_in_flight: int = Field(6, ge=1)
    fetch_max_redirects: int = Field(5, ge=0)
    # `http://host:port`: every outbound connection is a CONNECT tunnel through this proxy, to
    # the address the policy checked (SPEC section 8; evaluator/capabilities/fetch/_proxy.py).
    egress_proxy: str | None = None

    # Service: processes, queue, HTTP.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_keys: SecretList = ()
    cors_origins: CommaList = ()
    max_queue: int = Field(64, ge=0)
    workers: int = Field(default_factory=_default_workers, ge=1)
    worker_concurrency: int = Field(4, ge=1)
    pool_size: int = Field(2, ge=0)
    worker_max_rss_mb: int = Field(1536, ge=64)
    # An idle worker whose RSS stays past this once its evaluations ended is replaced; unset:
    # half of worker_max_rss_mb.
    worker_idle_rss_mb: int | None = Field(None, ge=64)
    hard_deadline_grace_ms: int = Field(2000, ge=100)
    shutdown_grace_ms: int = Field(10_000, ge=0)

    # Datasources and secrets (SPEC section 8); never sent to a worker (HOST_ONLY_SETTINGS).
    data_dir: str = ".jseval"
    database_url: SecretStr | None = None  # may carry the database's password
    master_key: SecretStr | None = None
    admin_keys: SecretList = ()

    # Installed libraries: how often the API process looks for an install or
    # removal made elsewhere (another replica, `jseval library`); its own are applied at once.
    library_refresh_ms: int = Field(2000, ge=100, le=3_600_000)

    @model_validator(mode="after")
    def _result_fits_the_answer(self) -> Settings:
        # A result within its own cap must fit in the answer (only a result past
        # max_result_bytes fails as `limit`; the answer's cap only trims lists).
        if self.max_output_bytes < self.max_result_bytes + _OUTPUT_OVERHEAD:
            raise ValueError(
                f"max_output_bytes must be at least max_result_bytes + {_OUTPUT_OVERHEAD}"
            )
        return self

    @field_validator(
        "fetch_allow", "fetch_deny", "cors_origins", "api_keys", "admin_keys", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("egress_proxy")
    @classmethod
    def _check_egress_proxy(cls, value: str | None) -> str | None:
        """A malformed proxy stops the service at startup, not at its first fetch."""
        from evaluator.capabilities.fetch._proxy import parse_proxy

        parse_proxy(value)
        return value.strip() or None if value is not None else None

    @field_validator("database_url", "master_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`JSEVAL_MASTER_KEY=` in an env file means "not set", not "the empty key"."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @classmethod
    def from_worker_json(cls, payload: bytes) -> Settings:
        """The settings a worker received (`for_workers()`), read from nothing else.

        Not `model_validate_json`: pydantic-settings would also read the `.env` file of the
        working directory, which may hold the master key, into the worker's memory.
        """
        values = json.loads(payload)
        if not isinstance(values, dict):
            raise ValueError("worker settings must be a JSON object")
        for name in HOST_ONLY_SETTINGS:
            values.pop(name, None)
        return cls(_env_file=None, **values)

    @property
    def idle_rss_limit_mb(self) -> int:
        """The RSS past which an idle worker is replaced (`worker_idle_rss_mb` or its default)."""
        if self.worker_idle_rss_mb is not None:
            return self.worker_idle_rss_mb
        return self.worker_max_rss_mb // 2

    @cached_property
    def api_key_values(self) -> tuple[bytes, ...]:
        """The API keys as bytes, for constant-time comparison."""
        return tuple(key.get_secret_value().encode() for key in self.api_keys)

    @cached_property
    def admin_key_values(self) -> tuple[bytes, ...]:
        """The admin keys as bytes, for constant-time comparison."""
        return tuple(key.get_secret_value().encode() for key in self.admin_keys)

    def for_workers(self) -> bytes:
        """The settings a worker process gets (JSON): all but HOST_ONLY_SETTINGS."""
        return self.model_dump_json(exclude=set(HOST_ONLY_SETTINGS)).encode()

    def limits(self) -> dict[str, int]:
        """The limits in force, as `GET /v1/info` reports them."""
        return {
            "max_code_bytes": self.max_code_bytes,
            "default_timeout_ms": self.default_timeout_ms,
            "max_timeout_ms": self.max_timeout_ms,
            "default_memory_mb": self.default_memory_mb,
            "max_memory_mb": self.max_memory_mb,
            "max_request_bytes": self.max_request_bytes,
            "max_batch": self.max_batch,
            "max_result_bytes": self.max_result_bytes,
            "max_output_bytes": self.max_output_bytes,
            "max_log_entries": self.max_log_entries,
            "max_log_bytes": self.max_log_bytes,
            "max_timers": self.max_timers,
            "fetch_timeout_ms": self.fetch_timeout_ms,
            "fetch_max_bytes": self.fetch_max_bytes,
            "fetch_max_requests": self.fetch_max_requests,
            "fetch_max_in_flight": self.fetch_max_in_flight,
        }
