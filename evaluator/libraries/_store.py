"""`SqlLibraryStore`: installed libraries in the data store (one table, `jseval_libraries`).

Blocking calls (SQLAlchemy Core, sync): the API calls them from its thread pool. The store
keeps what the install check accepted, exactly: the bundle as UTF-8 bytes with its SHA-256,
the globals it defines, its version. Reading a source checks the hash again, so a row damaged
or edited in the database is never offered (it is logged by name and skipped).

`version()` is a digest of every row's name, version, hash and globals (never the sources):
it changes exactly when what evaluations would be offered changes, on this replica or any
other sharing the database, with no counter to keep in step.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from evaluator.capabilities.libraries import InstalledLibrary
from evaluator.capabilities.libraries._store import refuse_shared_globals
from evaluator.datastore import DataStore
from evaluator.datastore._schema import libraries as table
from evaluator.errors import NotFound
from evaluator.settings import Settings

__all__ = ["SqlLibraryStore", "StoredLibrary"]

logger = logging.getLogger("jseval.libraries")

_WHAT = "library"


@dataclass(frozen=True, slots=True)
class StoredLibrary:
    """An installed library as the admin API and the CLI show it (no source)."""

    name: str
    version: str
    globals: tuple[str, ...]
    sha256: str
    size_bytes: int
    installed_at: datetime

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "globals": list(self.globals),
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "installed_at": self.installed_at.isoformat(),
        }


def _globals(text: str) -> tuple[str, ...]:
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every one stored was UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SqlLibraryStore:
    """Installed libraries kept in a `DataStore` (a `LibraryStore`)."""

    def __init__(self, store: DataStore) -> None:
        self.store = store

    @classmethod
    def open(cls, settings: Settings) -> SqlLibraryStore:
        """Open (creating it on first start) the data store `settings` point at."""
        return cls(DataStore.open(settings))

    def close(self) -> None:
        self.store.close()

    # -- LibraryStore ---------------------------------------------------------------------

    def installed(self) -> tuple[InstalledLibrary, ...]:
        """Every installed library whose source matches its hash, in installation order."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(
                    table.c.name, table.c.version, table.c.globals, table.c.source,
                    table.c.sha256,
                ).order_by(table.c.installed_at, table.c.name)
            ).all()
        found = []
        for row in rows:
            data = bytes(row.source)
            try:
                if hashlib.sha256(data).hexdigest() != row.sha256:
                    raise ValueError("hash")
                source = data.decode("utf-8")
            except ValueError:
                logger.warning("library %s: its stored source does not match its sha256; "
                               "not offered", row.name)
                continue
            found.append(InstalledLibrary(row.name, row.version, _globals(row.globals), source))
        return tuple(found)

    def save(self, library: InstalledLibrary) -> bool:
        """Store `library` (checked by `check_library`), replacing one of the same name;
        whether it is new. Raises LibraryRefused when another library took one of its globals
        since it was checked (another replica, the CLI)."""
        data = library.source.encode("utf-8")
        values = {
            "version": library.version,
            "globals": json.dumps(list(library.globals)),
            "source": data,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_bytes": len(data),
            "installed_at": datetime.now(UTC),
        }
        with self.store.write() as conn:
            rows = conn.execute(select(table.c.name, table.c.globals)).all()
            refuse_shared_globals(library, ((row.name, _globals(row.globals)) for row in rows))
            exists = any(row.name == library.name for row in rows)
            if exists:
                conn.execute(update(table).where(table.c.name == library.name).values(**values))
            else:
                conn.execute(insert(table).values(name=library.name, **values))
        return not exists

    def remove(self, name: str) -> bool:
        """Uninstall `name`; whether there was one."""
        with self.store.write() as conn:
            deleted = conn.execute(delete(table).where(table.c.name == name)).rowcount
        return bool(deleted)

    def version(self) -> int:
        """A digest of what is installed (names, versions, hashes, globals; not the sources)."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(table.c.name, table.c.version, table.c.sha256, table.c.globals).order_by(
                    table.c.name
                )
            ).all()
        digest = hashlib.sha256()
        for row in rows:
            digest.update(json.dumps([row.name, row.version, row.sha256, row.globals]).encode())
            digest.update(b"\n")
        return int.from_bytes(digest.digest()[:8], "big")

    # -- for the admin API and the CLI ------------------------------------------------------

    def get(self, name: str) -> StoredLibrary:
        """The library's record; NotFound if it is not installed."""
        with self.store.read() as conn:
            row = conn.execute(self._records().where(table.c.name == name)).one_or_none()
        if row is None:
            raise NotFound(_WHAT, name)
        return self._record(row)

    def list_all(self) -> list[StoredLibrary]:
        """Every installed library's record, by name."""
        with self.store.read() as conn:
            rows = conn.execute(self._records().order_by(table.c.name)).all()
        return [self._record(row) for row in rows]

    @staticmethod
    def _records() -> Any:
        return select(
            table.c.name, table.c.version, table.c.globals, table.c.sha256, table.c.size_bytes,
            table.c.installed_at,
        )

    @staticmethod
    def _record(row: Any) -> StoredLibrary:
        return StoredLibrary(
            row.name, row.version, _globals(row.globals), row.sha256, row.size_bytes,
            _aware(row.installed_at),
        )

    def __repr__(self) -> str:
        return f"<SqlLibraryStore {self.store.dialect}>"
