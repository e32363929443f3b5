"""`SqlLibraryStore` on a real SQLite file (SPEC sections 9 and 8): what is stored is what was
checked, byte for byte; replicas (two stores on one file) see each other's changes through
`version()`; a damaged row is never offered; two libraries never share a global."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import inspect, update

from evaluator import (
    Evaluator,
    InstalledLibrary,
    LibraryRefused,
    NotFound,
    Settings,
    check_library,
)
from evaluator.datastore import DataStore
from evaluator.datastore._schema import libraries as table
from evaluator.libraries import SqlLibraryStore

TALLY = "var Tally = { VERSION: '1.0.0', count: function (xs) { return xs.length; } };\r\n"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=str(tmp_path))


@pytest.fixture
def store(settings: Settings):
    opened = SqlLibraryStore.open(settings)
    yield opened
    opened.close()


def test_migration_2_adds_the_libraries_table(store: SqlLibraryStore) -> None:
    with store.store.read() as conn:
        columns = {column["name"] for column in inspect(conn).get_columns("jseval_libraries")}
    assert columns == {"name", "version", "globals", "source", "sha256", "size_bytes",
                       "installed_at"}


def test_save_get_list_remove(store: SqlLibraryStore) -> None:
    wide = "var Wide = '€😀é';"
    assert store.save(InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY)) is True
    assert store.save(InstalledLibrary("wide", "unknown", ("Wide",), wide)) is True
    record = store.get("tally")
    assert (record.name, record.version, record.globals) == ("tally", "1.0.0", ("Tally",))
    # What `sha256sum` prints for the file installed; the size in UTF-8 bytes.
    assert record.sha256 == hashlib.sha256(TALLY.encode()).hexdigest()
    assert record.size_bytes == len(TALLY.encode())
    assert record.installed_at.tzinfo is not None
    assert store.get("wide").size_bytes == len(wide.encode()) > len(wide)
    assert [item.name for item in store.list_all()] == ["tally", "wide"]
    # Sources come back exactly (CR LF, astral characters), in installation order.
    assert store.installed() == (
        InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY),
        InstalledLibrary("wide", "unknown", ("Wide",), wide),
    )
    # Replacing keeps one row and says it was not new.
    assert store.save(InstalledLibrary("tally", "2.0.0", ("Tally",), TALLY)) is False
    assert store.get("tally").version == "2.0.0"
    assert store.remove("tally") is True and store.remove("tally") is False
    with pytest.raises(NotFound, match="no library named 'tally'"):
        store.get("tally")


def test_two_libraries_never_share_a_global(store: SqlLibraryStore) -> None:
    store.save(InstalledLibrary("tally", "1", ("Tally", "tallyHelper"), TALLY))
    with pytest.raises(LibraryRefused, match="defines 'tallyHelper', which library 'tally'"):
        store.save(InstalledLibrary("other", "1", ("Other", "tallyHelper"), "var x;"))
    assert [item.name for item in store.list_all()] == ["tally"]


def test_version_moves_exactly_when_what_is_offered_changes(store: SqlLibraryStore) -> None:
    empty = store.version()
    assert store.version() == empty
    store.save(InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY))
    installed = store.version()
    assert installed != empty and store.version() == installed
    store.save(InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY))  # the same again
    assert store.version() == installed
    store.save(InstalledLibrary("tally", "1.0.1", ("Tally",), TALLY))  # a new version label
    assert store.version() != installed
    store.remove("tally")
    assert store.version() == empty


def test_a_second_store_on_the_same_file_sees_every_change(settings: Settings) -> None:
    """Two replicas on one SQLite file (or two processes: the service and the CLI)."""
    first, second = SqlLibraryStore.open(settings), SqlLibraryStore.open(settings)
    try:
        seen = second.version()
        first.save(InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY))
        assert second.version() != seen
        assert [lib.name for lib in second.installed()] == ["tally"]
        first.remove("tally")
        assert second.installed() == ()
    finally:
        first.close()
        second.close()


def test_a_source_changed_in_the_database_is_not_offered(
    store: SqlLibraryStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save(InstalledLibrary("tally", "1.0.0", ("Tally",), TALLY))
    store.save(InstalledLibrary("wide", "1", ("Wide",), "var Wide = 1;"))
    with store.store.write() as conn:  # someone edits the row without jseval
        conn.execute(
            update(table).where(table.c.name == "tally").values(source=b"var Tally = evil();")
        )
    assert [lib.name for lib in store.installed()] == ["wide"]
    assert "library tally: its stored source does not match its sha256" in caplog.text
    assert "evil" not in caplog.text


def test_the_in_process_evaluator_offers_what_a_store_holds(settings: Settings) -> None:
    """`Evaluator(libraries=store)`: the store's version is checked before each evaluation, so
    an install made elsewhere (here, a second store on the same file: `jseval library add`)
    is seen by the next evaluation, and a removal too."""
    writer = SqlLibraryStore.open(settings)
    reader = SqlLibraryStore.open(settings)
    try:
        with Evaluator(settings, pool_size=0, libraries=reader) as evaluator:
            assert evaluator.evaluate({"code": "typeof Tally"}).result == "undefined"
            writer.save(check_library("tally", TALLY, settings))
            assert evaluator.evaluate({"code": "Tally.count([1, 2])"}).result == 2
            writer.remove("tally")
            assert evaluator.evaluate({"code": "typeof Tally"}).result == "undefined"
    finally:
        writer.close()
        reader.close()


def test_an_evaluator_without_a_store_reads_no_data_dir(tmp_path, monkeypatch) -> None:
    """The default: built-in libraries only, whatever the working directory holds."""
    settings = Settings(data_dir=str(tmp_path))
    store = SqlLibraryStore.open(settings)
    store.save(check_library("tally", TALLY, settings))
    store.close()
    monkeypatch.chdir(tmp_path)
    with Evaluator(Settings(data_dir=str(tmp_path)), pool_size=0) as evaluator:
        result = evaluator.evaluate({"code": "[typeof Tally, typeof _]"})
    assert result.result == ["undefined", "function"]


def test_a_store_that_stops_answering_leaves_the_libraries_offered(settings: Settings) -> None:
    store = SqlLibraryStore(DataStore.open(settings))
    store.save(check_library("tally", TALLY, settings))
    with Evaluator(settings, pool_size=0, libraries=store) as evaluator:
        assert evaluator.evaluate({"code": "Tally.count([1])"}).result == 1
        with store.store.write() as conn:
            conn.exec_driver_sql("DROP TABLE jseval_libraries")  # the next version() fails
        result = evaluator.evaluate({"code": "Tally.count([1, 2, 3])"})
    assert result.ok and result.result == 3
    store.close()
