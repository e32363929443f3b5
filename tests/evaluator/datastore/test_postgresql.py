"""The data store on a real PostgreSQL server, as replicas share it (SPEC section 8).

The server is started by the test itself in a temporary directory (Debian's `postgresql`
package: initdb and pg_ctl, run as `nobody` when the tests run as root, since PostgreSQL
refuses root), on 127.0.0.1, and stopped afterwards. Without the server binaries the module is
skipped with that reason; `.ci/run` installs them, so CI runs it. To run it by hand:

    apt-get install postgresql     # Debian/Ubuntu: initdb and pg_ctl under /usr/lib/postgresql
    python -m pytest -q tests/evaluator/datastore/test_postgresql.py
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluator import DataStoreError, MasterKeyError, Settings
from evaluator.datasources import Datasource, DatasourceStore
from evaluator.datastore import DataStore, KdfParams

FAST = KdfParams(n=2**10)
KEY = "pg-master-key-0123456789"
NEW_KEY = "pg-master-key-rotated-987654"


def _postgres_bin() -> Path | None:
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bindir = _postgres_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed: apt-get install postgresql")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install 'jseval[postgresql]'")
    root = Path(tempfile.mkdtemp(prefix="jseval-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        shutil.chown(root, user="nobody")
        run_as = ["runuser", "-u", "nobody", "--"]
    data, port = root / "data", _free_port()
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "jseval",
             "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l",
             str(root / "log"), "-o",
             f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
             "-c fsync=off -c full_page_writes=off",
             "start"],
            check=True, capture_output=True, timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc}")
    try:
        yield f"postgresql://jseval@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


def _settings(url: str, master_key: str | None = KEY) -> Settings:
    return Settings(database_url=url, master_key=master_key)


def _reset(url: str) -> None:
    """An empty database for each test (one server per module: starting one takes seconds)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("jseval_libraries", "jseval_datasources", "jseval_keys",
                      "jseval_schema_version"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture
def url(postgres_url: str) -> str:
    _reset(postgres_url)
    return postgres_url


def test_replicas_share_datasources_and_their_secrets(url: str) -> None:
    first = DatasourceStore(DataStore.open(_settings(url), kdf=FAST))
    second = DatasourceStore(DataStore.open(_settings(url), kdf=FAST))
    assert "postgresql+psycopg://jseval@127.0.0.1" in first.store.description
    first.put("payments", Datasource.model_validate(
        {"base_url": "https://api.example.com/v1", "headers": {"X-Api-Key": {"secret": "pg-s3cret"}}}
    ))
    assert second.get("payments").model_dump()["headers"] == {"X-Api-Key": {"secret": True}}
    assert second.resolve("payments").secret_values == ("pg-s3cret",)
    assert [name for name, _ in second.names()] == ["payments"]


def test_replicas_starting_together_migrate_once_and_make_one_key(url: str) -> None:
    stores: list[DataStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(DataStore.open(_settings(url), kdf=FAST))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({store.active_key_id for store in stores}) == 1


def test_a_wrong_master_key_is_refused_at_start(url: str) -> None:
    DataStore.open(_settings(url), kdf=FAST)
    with pytest.raises(MasterKeyError, match="does not match"):
        DataStore.open(_settings(url, "some-other-master-key-000"))


def test_rotation_on_postgresql_reencrypts_in_one_transaction(url: str) -> None:
    store = DatasourceStore(DataStore.open(_settings(url), kdf=FAST))
    stale = DatasourceStore(DataStore.open(_settings(url), kdf=FAST))  # a replica not restarted
    for name in ("a", "b", "c"):
        store.put(name, Datasource.model_validate(
            {"base_url": "https://x.example", "auth": {"type": "bearer", "token": {"secret": f"t-{name}"}}}
        ))
    assert store.rotate_key(NEW_KEY) == 3
    fresh = DatasourceStore(DataStore.open(_settings(url, NEW_KEY)))
    assert fresh.resolve("b").authorization is not None
    assert fresh.resolve("b").authorization.text == "Bearer t-b"
    with pytest.raises(MasterKeyError, match="rotated"):
        stale.resolve("a")
    with pytest.raises(MasterKeyError, match="rotated"):
        stale.put("d", Datasource.model_validate(
            {"base_url": "https://x.example", "query": {"k": {"secret": "v"}}}
        ))
    with pytest.raises(MasterKeyError, match="rotated-away"):
        DataStore.open(_settings(url, KEY))


def test_the_database_holds_no_plaintext_secret(url: str) -> None:
    import psycopg

    store = DatasourceStore(DataStore.open(_settings(url), kdf=FAST))
    store.put("p", Datasource.model_validate(
        {"base_url": "https://x.example", "query": {"k": {"secret": "pg-plain-needle"}}}
    ))
    with psycopg.connect(url) as conn:
        dump = repr(conn.execute("SELECT * FROM jseval_datasources").fetchall())
        dump += repr(conn.execute("SELECT * FROM jseval_keys").fetchall())
    assert "pg-plain-needle" not in dump and KEY not in dump
    assert "sealed" in dump


def test_a_store_failure_names_no_password(url: str) -> None:
    with pytest.raises(DataStoreError) as info:
        DataStore.open(Settings(database_url=url.replace("/postgres", "/nosuchdb").replace(
            "jseval@", "jseval:hunter2-pw@")))
    assert "hunter2-pw" not in str(info.value)


def test_replicas_share_installed_libraries_byte_for_byte(url: str) -> None:
    """SPEC section 9 on PostgreSQL: a library saved by one replica is offered by another,
    its source (bytea) exactly as installed, and the version digest moves with it."""
    from evaluator.capabilities.libraries import InstalledLibrary
    from evaluator.libraries import SqlLibraryStore

    first = SqlLibraryStore(DataStore.open(_settings(url), kdf=FAST))
    second = SqlLibraryStore(DataStore.open(_settings(url), kdf=FAST))
    before = second.version()
    source = "var Wide = { text: '€😀é\\u0000' };\r\n"
    assert first.save(InstalledLibrary("wide", "1.0.0", ("Wide",), source)) is True
    assert second.version() != before
    assert second.installed() == (InstalledLibrary("wide", "1.0.0", ("Wide",), source),)
    assert second.get("wide").size_bytes == len(source.encode())
    assert second.remove("wide") and first.installed() == ()
