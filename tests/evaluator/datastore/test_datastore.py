"""The data store on a real SQLite file: where and how it is created, versioned migrations,
serialised writers, and rotation in one transaction."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from sqlalchemy import insert, select

from evaluator import DataStoreError, Settings
from evaluator.datastore import LATEST_VERSION, SQLITE_FILE_NAME, DataStore, KdfParams
from evaluator.datastore._schema import schema_versions

FAST = KdfParams(n=2**10)
KEY = "master-key-0123456789"


def test_the_sqlite_file_is_made_under_the_data_dir_for_its_owner_only(tmp_path) -> None:
    data_dir = tmp_path / "nested" / "data"
    store = DataStore.open(Settings(data_dir=str(data_dir)))
    path = data_dir / SQLITE_FILE_NAME
    assert path.is_file()
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.description == f"sqlite file {path}"
    store.close()


def test_the_schema_is_created_once_and_versioned(tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    DataStore.open(settings).close()
    store = DataStore.open(settings)
    with store.read() as conn:
        versions = conn.execute(select(schema_versions.c.version)).scalars().all()
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_a_database_from_a_newer_jseval_is_refused(tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    store = DataStore.open(settings)
    with store.write() as conn:
        conn.execute(
            insert(schema_versions).values(
                version=LATEST_VERSION + 1, description="future", applied_at=_now()
            )
        )
    with pytest.raises(DataStoreError, match="newer than this jseval knows"):
        DataStore.open(settings)


def test_an_unusable_data_dir_is_one_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DataStoreError, match="cannot create the data store in JSEVAL_DATA_DIR"):
        DataStore.open(Settings(data_dir=str(blocker / "sub")))


def test_a_bad_database_url_is_one_clear_error_without_its_password(tmp_path) -> None:
    with pytest.raises(DataStoreError) as info:
        DataStore.open(Settings(database_url="nosuchdb://user:hunter2-pw@h/db"))
    assert "hunter2-pw" not in str(info.value)
    with pytest.raises(DataStoreError) as info:  # a real driver, nobody listening
        DataStore.open(Settings(database_url="postgresql://u:hunter2-pw@127.0.0.1:1/db"))
    assert "hunter2-pw" not in str(info.value) and "cannot open the data store" in str(info.value)


def test_processes_starting_together_make_one_key(tmp_path) -> None:
    """Eight openers at once on a fresh database: one active key, which all of them hold."""
    settings = Settings(data_dir=str(tmp_path), master_key=KEY)
    stores: list[DataStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(DataStore.open(settings, kdf=FAST))
        except BaseException as exc:  # collected for the assert below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({store.active_key_id for store in stores}) == 1


def test_a_rotation_that_fails_midway_changes_nothing(tmp_path) -> None:
    store = DataStore.open(Settings(data_dir=str(tmp_path), master_key=KEY), kdf=FAST)
    old_id = store.active_key_id

    def fails(conn, old, new) -> int:
        raise DataStoreError("a step failed")

    with pytest.raises(DataStoreError, match="a step failed"):
        store.rotate_key("brand-new-master-key-42", [fails])
    reopened = DataStore.open(Settings(data_dir=str(tmp_path), master_key=KEY))
    assert reopened.active_key_id == old_id


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
