"""The tables of the data store, as the code uses them now (SQLAlchemy Core).

Every table is prefixed `jseval_`, so the store can share a PostgreSQL database with other
applications. These objects describe the *current* shape; the DDL that creates or changes a
table lives in `_migrations.py`, frozen per version, so an old migration never depends on
today's columns. A new kind of stored item (custom libraries, SPEC section 9) adds its table
here and a migration there.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["datasources", "keys", "libraries", "metadata", "schema_versions"]

metadata = MetaData()

# One row per applied migration: the highest `version` is the schema's version.
schema_versions = Table(
    "jseval_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# Encryption keys (evaluator/datastore/_keyring.py): never the key itself, only what derives
# and checks it. At most one row is `active`; rotated-away keys stay as `retired`, so a replica
# still running with the old master key gets a precise error instead of "wrong key".
keys = Table(
    "jseval_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("salt", LargeBinary(64), nullable=False),
    Column("kdf", String(200), nullable=False),  # JSON: {"name": "scrypt", "n", "r", "p"}
    Column("check_value", LargeBinary(128), nullable=False),
    Column("state", String(16), nullable=False),  # active | retired
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Datasources (SPEC section 8): `config` is JSON whose secret values are sealed tokens
# (`{"sealed": "v1.<key id>.<nonce+ciphertext>"}`); `key_id` is the key of those tokens (NULL
# when the datasource has no secret), so a rotation finds every row it must re-encrypt.
datasources = Table(
    "jseval_datasources",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("config", Text, nullable=False),
    Column("key_id", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Installed libraries (SPEC section 9): the bundle as UTF-8 bytes, exactly as it was checked,
# with its SHA-256 (hex; what `sha256sum` prints for the file) checked again whenever it is
# read, the globals the check recorded (a JSON list) and the version. No secrets: a library is
# code every evaluation may read.
libraries = Table(
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
