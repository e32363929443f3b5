"""Datasources in a real SQLite store: write-only secrets, keeping them on rewrite, the clear
errors without a master key, tampering found at use, rotation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from evaluator import DataStoreError, MasterKeyError, NotFound, RequestRejected, Settings
from evaluator.datasources import Datasource, DatasourceStore
from evaluator.datastore import DataStore, KdfParams
from evaluator.datastore._schema import datasources as table

FAST = KdfParams(n=2**10)
KEY = "master-key-0123456789"
SPEC_EXAMPLE = {
    "kind": "rest",
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": "hdr-secret-1"}, "Accept": "application/json"},
    "query": {"key": {"secret": "qry-secret-2"}},
    "auth": {"type": "basic", "username": "bob", "password": {"secret": "pw-secret-3"}},
    "allow_private": False,
}


def store_at(tmp_path, master_key: str | None = KEY) -> DatasourceStore:
    return DatasourceStore(
        DataStore.open(Settings(data_dir=str(tmp_path), master_key=master_key), kdf=FAST)
    )


def ds(data: dict) -> Datasource:
    return Datasource.model_validate(data)


def test_put_get_list_remove(tmp_path) -> None:
    store = store_at(tmp_path)
    saved, created = store.put("payments", ds(SPEC_EXAMPLE))
    assert created and saved.name == "payments"
    _, created_again = store.put("payments", ds(SPEC_EXAMPLE))
    assert not created_again
    store.put("alpha", ds({"base_url": "https://a.example"}))
    assert [d.name for d in store.list_all()] == ["alpha", "payments"]
    assert store.names() == [("alpha", "rest"), ("payments", "rest")]
    shown = store.get("payments").model_dump(mode="json")
    assert shown == {**SPEC_EXAMPLE, "name": "payments",
                     "headers": {"X-Api-Key": {"secret": True}, "Accept": "application/json"},
                     "query": {"key": {"secret": True}},
                     "auth": {"type": "basic", "username": "bob", "password": {"secret": True}}}
    store.remove("alpha")
    with pytest.raises(NotFound, match="no datasource named 'alpha'"):
        store.get("alpha")
    with pytest.raises(NotFound):
        store.remove("alpha")


def test_resolve_decrypts_every_secret(tmp_path) -> None:
    store = store_at(tmp_path)
    store.put("payments", ds(SPEC_EXAMPLE))
    resolved = store.resolve("payments")
    assert dict((k, v.text) for k, v in resolved.headers) == {
        "X-Api-Key": "hdr-secret-1", "Accept": "application/json"}
    assert resolved.authorization is not None
    assert resolved.authorization.text == "Basic Ym9iOnB3LXNlY3JldC0z"  # bob:pw-secret-3
    assert set(resolved.secret_values) == {
        "hdr-secret-1", "qry-secret-2", "pw-secret-3", resolved.authorization.text}
    assert "secret" not in repr(resolved).lower().replace("resolveddatasource", "")


def test_a_read_written_back_keeps_its_secrets(tmp_path) -> None:
    store = store_at(tmp_path)
    store.put("payments", ds(SPEC_EXAMPLE))
    edited = store.get("payments").model_dump(mode="json")
    edited["base_url"] = "https://api.example.com/v2"  # the configuration changes too
    store.put("payments", ds(edited))
    resolved = store.resolve("payments")
    assert resolved.base_url == "https://api.example.com/v2"
    assert "hdr-secret-1" in resolved.secret_values and "qry-secret-2" in resolved.secret_values


def test_keeping_a_secret_that_was_never_stored_is_a_422(tmp_path) -> None:
    store = store_at(tmp_path)
    with pytest.raises(RequestRejected) as info:
        store.put("fresh", ds({"base_url": "https://x.example", "query": {"k": {"secret": True}}}))
    assert info.value.errors[0]["type"] == "secret_missing"
    assert info.value.errors[0]["loc"] == ["body", "query", "k"]


def test_without_a_master_key_secrets_are_refused_and_the_rest_works(tmp_path) -> None:
    store = store_at(tmp_path, master_key=None)
    with pytest.raises(RequestRejected) as info:
        store.put("payments", ds(SPEC_EXAMPLE))
    assert {e["type"] for e in info.value.errors} == {"master_key_missing"}
    assert [e["loc"][1:] for e in info.value.errors] == [
        ["headers", "X-Api-Key"], ["query", "key"], ["auth", "password"]]
    assert "JSEVAL_MASTER_KEY" in info.value.errors[0]["msg"]
    saved, _ = store.put("public", ds({"base_url": "https://x.example", "headers": {"A": "b"}}))
    assert store.resolve("public").headers[0][1].text == "b"
    assert store.get("public") == saved


def test_a_secret_made_with_a_key_is_refused_clearly_without_one(tmp_path) -> None:
    store_at(tmp_path).put("payments", ds(SPEC_EXAMPLE))
    keyless = store_at(tmp_path, master_key=None)
    assert keyless.get("payments").name == "payments"  # reading needs no key
    with pytest.raises(MasterKeyError, match="JSEVAL_MASTER_KEY is not set"):
        keyless.resolve("payments")


def _edit_config(store: DatasourceStore, name: str, change) -> None:
    with store.store.write() as conn:
        config = json.loads(conn.execute(select(table.c.config).where(table.c.name == name)).scalar())
        change(config)
        conn.execute(update(table).where(table.c.name == name).values(config=json.dumps(config)))


def test_a_base_url_changed_in_the_database_makes_the_secrets_refuse_to_open(tmp_path) -> None:
    """Someone who can write the database but has no master key points the datasource at
    their own server: jseval then refuses to use it, and sends no credential anywhere."""
    store = store_at(tmp_path)
    store.put("payments", ds(SPEC_EXAMPLE))
    _edit_config(store, "payments", lambda c: c.update(base_url="https://attacker.example"))
    with pytest.raises(DataStoreError, match="changed outside jseval"):
        store.resolve("payments")


def test_a_secret_moved_to_another_field_or_datasource_does_not_open(tmp_path) -> None:
    store = store_at(tmp_path)
    store.put("payments", ds(SPEC_EXAMPLE))
    store.put("other", ds({"base_url": "https://api.example.com/v1",
                           "headers": {"X-Api-Key": {"secret": "x"}, "Accept": "application/json"},
                           "query": {"key": {"secret": "y"}},
                           "auth": {"type": "basic", "username": "bob", "password": {"secret": "z"}}}))

    def swap(config: dict) -> None:
        config["query"]["key"], config["headers"]["X-Api-Key"] = (
            config["headers"]["X-Api-Key"], config["query"]["key"])

    _edit_config(store, "payments", swap)
    with pytest.raises(DataStoreError, match="does not decrypt"):
        store.resolve("payments")
    # The same configuration under another name: payments' sealed values copied into "other".
    store.put("payments", ds(SPEC_EXAMPLE))
    with store.store.read() as conn:
        original = conn.execute(select(table.c.config).where(table.c.name == "payments")).scalar()
    with store.store.write() as conn:
        conn.execute(update(table).where(table.c.name == "other").values(config=original))
    with pytest.raises(DataStoreError, match="does not decrypt"):
        store.resolve("other")
    assert store.resolve("payments").secret_values  # the original still opens


def test_rotation_reencrypts_every_datasource(tmp_path) -> None:
    store = store_at(tmp_path)
    store.put("payments", ds(SPEC_EXAMPLE))
    store.put("plain", ds({"base_url": "https://x.example"}))
    old_key = store.store.active_key_id
    assert store.rotate_key("rotated-master-key-123") == 1
    with store.store.read() as conn:
        rows = conn.execute(select(table.c.name, table.c.key_id, table.c.config)).all()
    keyed = {row.name: row.key_id for row in rows}
    assert keyed == {"payments": store.store.active_key_id, "plain": None}
    assert old_key not in rows[0].config + rows[1].config
    again = store_at(tmp_path, "rotated-master-key-123")
    resolved = again.resolve("payments")
    assert resolved.authorization is not None
    assert resolved.authorization.text == "Basic Ym9iOnB3LXNlY3JldC0z"
    assert set(again.resolve("payments").secret_values) >= {"hdr-secret-1", "qry-secret-2"}


def test_the_name_in_the_body_must_match_and_names_are_checked(tmp_path) -> None:
    store = store_at(tmp_path)
    with pytest.raises(RequestRejected) as info:
        store.put("a", ds({"name": "b", "base_url": "https://x.example"}))
    assert info.value.errors[0]["type"] == "name_mismatch"
    with pytest.raises(RequestRejected):
        store.put("../etc", ds({"base_url": "https://x.example"}))
