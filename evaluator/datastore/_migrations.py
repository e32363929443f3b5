"""Schema migrations: numbered, each a small function, applied in one serialised transaction.

`migrate(engine)` takes the write lock (so replicas starting together apply each migration
once), reads the highest applied version from `jseval_schema_version`, applies every newer
migration in order and records each. DDL is transactional on SQLite and PostgreSQL, so a
migration that fails leaves the database as it was. A database written by a newer jseval (a
version this code does not know) is refused rather than guessed at.

Each migration spells out its own DDL with its own `MetaData`, frozen as it was written: the
tables of `_schema.py` may gain columns later, and migration 1 must still create version 1.
To add one: write `_vN(conn)` and append `Migration(N, "what it adds", _vN)` to MIGRATIONS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
)

from evaluator.datastore._engine import StoreEngine
from evaluator.datastore._schema import schema_versions
from evaluator.errors import DataStoreError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "migrate"]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1(conn: Connection) -> None:
    """Encryption keys and datasources (SPEC section 8)."""
    metadata = MetaData()
    keys = Table(
        "jseval_keys",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("salt", LargeBinary(64), nullable=False),
        Column("kdf", String(200), nullable=False),
        Column("check_value", LargeBinary(128), nullable=False),
        Column("state", String(16), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    # At most one active key, enforced by the database itself (both dialects know partial
    # indexes): two replicas making "the first key" at once cannot both succeed.
    Index(
        "jseval_keys_one_active",
        keys.c.state,
        unique=True,
        sqlite_where=keys.c.state == "active",
        postgresql_where=keys.c.state == "active",
    )
    Table(
        "jseval_datasources",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("config", Text, nullable=False),
        Column("key_id", String(32), nullable=True, index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    metadata.create_all(conn)


def _v2(conn: Connection) -> None:
    """Installed libraries (SPEC section 9): a checked bundle and what the check recorded."""
    metadata = MetaData()
    Table(
        "jseval_libraries",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("version", String(64), nullable=False),
        Column("globals", Text, nullable=False),
        Column("source", LargeBinary, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("size_bytes", Integer, nullable=False),
        Column("installed_at", DateTime(timezone=True), nullable=False),
    )
    metadata.create_all(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "encryption keys and datasources", _v1),
    Migration(2, "installed libraries", _v2),
)
LATEST_VERSION = MIGRATIONS[-1].version

# The version table itself never changes shape: the code's own definition serves here.
_versions = schema_versions


def migrate(store: StoreEngine) -> int:
    """Bring the schema to LATEST_VERSION; the number of migrations applied."""
    with store.write() as conn:
        if not inspect(conn).has_table(_versions.name):
            _versions.create(conn)
        current = conn.execute(select(func.max(_versions.c.version))).scalar() or 0
        if current > LATEST_VERSION:
            raise DataStoreError(
                f"the database has schema version {current}, newer than this jseval knows "
                f"({LATEST_VERSION}): upgrade jseval"
            )
        applied = 0
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            migration.apply(conn)
            conn.execute(
                insert(_versions).values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=datetime.now(UTC),
                )
            )
            applied += 1
        return applied
