"""The database behind the data store: an SQLAlchemy engine for SQLite or PostgreSQL.

Two shapes, one code path (SQLAlchemy Core):
- by default an SQLite file, `<JSEVAL_DATA_DIR>/jseval.db`: the directory is made 0700 and the
  file 0600 before SQLite opens it, because the file holds the salt and the ciphertexts;
- `JSEVAL_DATABASE_URL` for anything else SQLAlchemy speaks, PostgreSQL when several replicas
  share one store (`postgresql://...` is read as psycopg 3, the driver jseval declares).

Writers are serialised across processes and replicas, so migrations, the first key and a key
rotation never race: SQLite's write transactions start with `BEGIN IMMEDIATE` (the database's
write lock, waited for up to `_BUSY_TIMEOUT_MS`), PostgreSQL's take a transaction-scoped advisory
lock. Reads are plain transactions.

SQLite runs with `secure_delete` on: a rotated-away ciphertext or a removed datasource is
overwritten with zeros in the file, not left in a free page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from evaluator.errors import DataStoreError
from evaluator.settings import Settings

__all__ = ["SQLITE_FILE_NAME", "StoreEngine"]

SQLITE_FILE_NAME = "jseval.db"
_BUSY_TIMEOUT_MS = 10_000
# pg_advisory_xact_lock key: "jseval" in ASCII, any constant other applications will not use.
_PG_LOCK_KEY = 0x6A7365766116
_WRITE = "jseval_write"


def _sqlite_path(settings: Settings) -> Path:
    directory = Path(settings.data_dir).expanduser()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / SQLITE_FILE_NAME
        if not path.exists():  # created by us with owner-only permissions, then by SQLite
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise DataStoreError(
            f"cannot create the data store in JSEVAL_DATA_DIR ({exc.strerror})"
        ) from None
    return path


def _url_text(settings: Settings) -> str:
    if settings.database_url is None:
        return f"sqlite:///{_sqlite_path(settings)}"
    url = settings.database_url.get_secret_value()
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):  # SQLAlchemy's default would be psycopg2, which we do not ship
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


class StoreEngine:
    """The engine and its two kinds of transaction: `read()` and `write()` (serialised)."""

    def __init__(self, settings: Settings) -> None:
        url_text = _url_text(settings)
        try:
            url = make_url(url_text)
        except ArgumentError:
            raise DataStoreError("JSEVAL_DATABASE_URL is not a database URL") from None
        self.dialect = url.get_backend_name()
        # What logs and the CLI may show: never the password.
        self.description = (
            f"sqlite file {url.database}"
            if self.dialect == "sqlite"
            else url.render_as_string(hide_password=True)
        )
        options: dict[str, Any] = {}
        if self.dialect != "sqlite":  # SQLite: SQLAlchemy's default pool for a file (QueuePool)
            options.update(pool_pre_ping=True, pool_size=2, max_overflow=4, pool_recycle=1800)
        try:
            self.engine: Engine = create_engine(url, **options)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            hint = " (pip install 'jseval[postgresql]')" if "postgres" in self.dialect else ""
            raise DataStoreError(
                f"cannot use the database of JSEVAL_DATABASE_URL: {type(exc).__name__}{hint}"
            ) from None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction that no other writer (process, replica) runs beside."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<StoreEngine {self.dialect}>"


def _configure_sqlite(engine: Engine) -> None:
    """pysqlite's own transaction handling is replaced by explicit BEGINs (SQLAlchemy's
    documented recipe), so a write transaction can take the write lock first."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
