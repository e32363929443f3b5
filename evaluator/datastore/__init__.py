"""The data store: jseval's own database, for what operators configure (SPEC section 8).

Why a package of its own, apart from datasources: the database, its migrations and its
encryption key belong to the instance, not to one kind of item. Datasources are its first user
(`evaluator.datasources`); custom libraries (SPEC section 9) add a table and a migration here
and reuse the same engine, transactions and, if they ever hold secrets, the same keyring.

    store = DataStore.open(settings)     # create/migrate the schema, check the master key
    with store.read() as conn: ...       # a read transaction
    with store.write() as conn: ...      # a write transaction, serialised across replicas
    store.keyring                        # None without JSEVAL_MASTER_KEY

`open` is where a wrong master key is found: it raises `MasterKeyError` before anything is
decrypted. The store lives in the API process (and the CLI) only; worker processes never see
its settings (`evaluator.settings.HOST_ONLY_SETTINGS`) and never import this package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from evaluator.datastore import _keyring
from evaluator.datastore._engine import SQLITE_FILE_NAME, StoreEngine
from evaluator.datastore._keyring import MIN_MASTER_KEY_CHARS, KdfParams, Keyring
from evaluator.datastore._migrations import LATEST_VERSION, migrate
from evaluator.errors import DataStoreError, MasterKeyError
from evaluator.settings import Settings

__all__ = [
    "LATEST_VERSION",
    "MIN_MASTER_KEY_CHARS",
    "SQLITE_FILE_NAME",
    "DataStore",
    "KdfParams",
    "Keyring",
    "Reencrypt",
]

# Re-encrypts one kind of item's sealed values from the old keyring to the new one, inside the
# rotation's transaction; returns how many values it re-encrypted.
Reencrypt = Callable[[Connection, Keyring, Keyring], int]


class DataStore:
    """The opened data store: an engine, the schema at its latest version, the keyring."""

    def __init__(self, engine: StoreEngine, keyring: Keyring | None, key_id: str | None) -> None:
        self._engine = engine
        self.keyring = keyring
        self.active_key_id = key_id

    @classmethod
    def open(cls, settings: Settings, kdf: KdfParams | None = None) -> DataStore:
        """Open (creating it on first start) the store `settings` point at.

        Raises:
            MasterKeyError: `JSEVAL_MASTER_KEY` is not this database's key, or too short.
            DataStoreError: the database cannot be reached, created or migrated.
        """
        engine = StoreEngine(settings)
        master_key = settings.master_key.get_secret_value() if settings.master_key else None
        try:
            migrate(engine)
            with engine.write() as conn:
                keyring = _keyring.open_keyring(conn, master_key, kdf or _keyring.DEFAULT_KDF)
                key_id = _keyring.active_key_id(conn)
        except DataStoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise DataStoreError(
                f"cannot open the data store ({engine.description}): {type(exc).__name__}"
            ) from None
        return cls(engine, keyring, key_id)

    @property
    def description(self) -> str:
        """Where the store is, for people (no password)."""
        return self._engine.description

    @property
    def dialect(self) -> str:
        return self._engine.dialect

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _translated(self._engine.description), self._engine.read() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with _translated(self._engine.description), self._engine.write() as conn:
            yield conn

    def require_keyring(self) -> Keyring:
        """The keyring, or the clear error for a store opened without a master key."""
        if self.keyring is None:
            raise MasterKeyError(
                "JSEVAL_MASTER_KEY is not set: secrets can be neither stored nor used "
                "(set it and restart)"
            )
        return self.keyring

    def rotate_key(self, new_master_key: str, reencrypt: Sequence[Reencrypt]) -> int:
        """Make `new_master_key` the store's key, re-encrypting every sealed value, all in
        ONE transaction: either everything is under the new key, or nothing changed. The
        number of values re-encrypted."""
        current = self.require_keyring()
        with self.write() as conn:
            new = _keyring.rotate(conn, current, new_master_key)
            count = sum(step(conn, current, new) for step in reencrypt)
        self.keyring = new
        self.active_key_id = new.key_id
        if self.dialect == "sqlite":
            self._compact()
        return count

    def _compact(self) -> None:
        """secure_delete zeroes freed cells; VACUUM also rewrites the pages the old
        ciphertexts sat in, so the file keeps no trace of them."""
        raw = self._engine.engine.raw_connection()  # VACUUM cannot run inside a transaction
        try:
            cursor = raw.cursor()
            cursor.execute("VACUUM")
            cursor.close()
        finally:
            raw.close()

    def close(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"<DataStore {self._engine.dialect} key={self.active_key_id}>"


@contextmanager
def _translated(description: str) -> Iterator[None]:
    """Database failures as DataStoreError: the type only (a driver's message may quote the
    URL, a statement or a value)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise DataStoreError(
            f"the data store ({description}) failed: {type(exc).__name__}"
        ) from None
