"""`DatasourceStore`: datasources in the data store (put, get, list, remove, resolve, rotate).

Blocking calls (SQLAlchemy Core, sync): the API calls them from its thread pool. Reads never
decrypt; only `resolve()` does, for one outbound request, in the process that sends it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select, update

from evaluator.datasources._records import (
    ResolvedDatasource,
    StoredDatasource,
    check_key,
    from_stored,
    reseal,
    resolve,
    seal,
)
from evaluator.datasources.models import NAME_PATTERN, Datasource
from evaluator.datastore import DataStore, Keyring
from evaluator.datastore._keyring import active_key_id
from evaluator.datastore._schema import datasources as table
from evaluator.errors import MasterKeyError, NotFound, RequestRejected
from evaluator.settings import Settings

__all__ = ["DatasourceStore"]

_WHAT = "datasource"


def _row_to_stored(row: object) -> StoredDatasource:
    return StoredDatasource(row.name, row.config, row.key_id)  # type: ignore[attr-defined]


class DatasourceStore:
    """Datasources kept in a `DataStore` (SQLite by default, PostgreSQL for replicas)."""

    def __init__(self, store: DataStore) -> None:
        self.store = store

    @classmethod
    def open(cls, settings: Settings) -> DatasourceStore:
        """Open the data store `settings` point at (DataStore.open: schema, master key)."""
        return cls(DataStore.open(settings))

    def close(self) -> None:
        self.store.close()

    # -- reads (no key needed) --------------------------------------------------------------

    def _load(self, conn: Connection, name: str) -> StoredDatasource | None:
        row = conn.execute(
            select(table.c.name, table.c.config, table.c.key_id).where(table.c.name == name)
        ).one_or_none()
        return None if row is None else _row_to_stored(row)

    def get(self, name: str) -> Datasource:
        """The datasource, secrets shown as `{"secret": true}`; NotFound if absent."""
        with self.store.read() as conn:
            stored = self._load(conn, name)
        if stored is None:
            raise NotFound(_WHAT, name)
        return from_stored(stored)

    def list_all(self) -> list[Datasource]:
        """Every datasource, by name, secrets masked."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(table.c.name, table.c.config, table.c.key_id).order_by(table.c.name)
            ).all()
        return [from_stored(_row_to_stored(row)) for row in rows]

    def names(self) -> list[tuple[str, str]]:
        """(name, kind) of every datasource: what `/v1/info` lists."""
        with self.store.read() as conn:
            rows = conn.execute(select(table.c.name, table.c.kind).order_by(table.c.name)).all()
        return [(row.name, row.kind) for row in rows]

    # -- writes -----------------------------------------------------------------------------

    def put(self, name: str, datasource: Datasource) -> tuple[Datasource, bool]:
        """Create or replace `name`; (the datasource as reads show it, whether it is new).

        Raises RequestRejected (422) when the body names another datasource, or has secrets
        the server cannot encrypt (no master key) or keep (none stored at that field).
        """
        if re.match(NAME_PATTERN, name) is None:
            raise RequestRejected(
                [
                    {
                        "type": "string_pattern_mismatch",
                        "loc": ["path", "name"],
                        "msg": "a datasource name is a letter or _, then letters, digits or _ "
                        "(at most 64)",
                    }
                ]
            )
        if datasource.name is not None and datasource.name != name:
            raise RequestRejected(
                [
                    {
                        "type": "name_mismatch",
                        "loc": ["body", "name"],
                        "msg": "the body's name differs from the name in the path",
                    }
                ]
            )
        keyring = self.store.keyring if datasource.has_secrets else None
        if datasource.has_secrets and keyring is None:
            seal(name, datasource, None, None)  # raises the 422 naming each secret
        now = datetime.now(UTC)
        with self.store.write() as conn:
            previous = self._load(conn, name)
            if keyring is not None:
                self._check_active_key(conn, keyring)
            record = seal(name, datasource, keyring, previous)
            values = {"kind": datasource.kind, "config": record.config, "key_id": record.key_id}
            if previous is None:
                conn.execute(
                    insert(table).values(name=name, created_at=now, updated_at=now, **values)
                )
            else:
                conn.execute(
                    update(table).where(table.c.name == name).values(updated_at=now, **values)
                )
        return from_stored(record), previous is None

    def _check_active_key(self, conn: Connection, keyring: Keyring) -> None:
        if active_key_id(conn) != keyring.key_id:
            # Another process rotated the key: sealing under ours would mix two keys.
            raise MasterKeyError(
                "the master key was rotated by another process: restart with the current "
                "JSEVAL_MASTER_KEY"
            )

    def remove(self, name: str) -> None:
        """Delete `name`; NotFound if absent."""
        with self.store.write() as conn:
            deleted = conn.execute(delete(table).where(table.c.name == name)).rowcount
        if not deleted:
            raise NotFound(_WHAT, name)

    # -- secrets ----------------------------------------------------------------------------

    def resolve(self, name: str) -> ResolvedDatasource:
        """`name` with its secrets decrypted, for one outbound request (API process only).

        Raises NotFound, MasterKeyError (no key, or rotated away), DataStoreError (a secret
        does not decrypt: the record was changed outside jseval).
        """
        with self.store.read() as conn:
            stored = self._load(conn, name)
        if stored is None:
            raise NotFound(_WHAT, name)
        return resolve(stored, self.store.keyring)

    def reencrypt(self, conn: Connection, old: Keyring, new: Keyring) -> int:
        """Re-encrypt every datasource's secrets from `old` to `new` (in the rotation's
        transaction); the number of datasources changed."""
        rows = conn.execute(
            select(table.c.name, table.c.config, table.c.key_id).where(
                table.c.key_id.is_not(None)
            )
        ).all()
        for row in rows:
            stored = _row_to_stored(row)
            check_key(stored, old)
            fresh = reseal(stored, old, new)
            conn.execute(
                update(table)
                .where(table.c.name == stored.name)
                .values(config=fresh.config, key_id=fresh.key_id)
            )
        return len(rows)

    def rotate_key(self, new_master_key: str) -> int:
        """Re-encrypt every secret under `new_master_key`, in one transaction; the number of
        datasources re-encrypted."""
        return self.store.rotate_key(new_master_key, [self.reencrypt])

    def __repr__(self) -> str:
        return f"<DatasourceStore {self.store.dialect}>"
