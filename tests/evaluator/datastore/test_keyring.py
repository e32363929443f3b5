"""The keyring: AES-256-GCM values bound to their context and key, a check value that tells a
wrong master key at once, rotation that retires the old key (real SQLite file, real crypto)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from evaluator import DataStoreError, MasterKeyError, Settings
from evaluator.datastore import DataStore, KdfParams
from evaluator.datastore._keyring import Keyring, token_key_id
from evaluator.datastore._schema import keys

FAST = KdfParams(n=2**10)  # the stored parameters are what every later open uses
KEY = "master-key-0123456789"


def open_store(tmp_path, master_key: str | None = KEY) -> DataStore:
    return DataStore.open(Settings(data_dir=str(tmp_path), master_key=master_key), kdf=FAST)


def test_a_sealed_value_opens_only_with_its_context(tmp_path) -> None:
    keyring = open_store(tmp_path).require_keyring()
    token = keyring.seal("s3cret", b"payments/headers/X-Api-Key")
    assert "s3cret" not in token and token_key_id(token) == keyring.key_id
    assert keyring.open(token, b"payments/headers/X-Api-Key") == "s3cret"
    with pytest.raises(DataStoreError, match="does not decrypt"):
        keyring.open(token, b"payments/query/key")


def test_every_value_gets_a_fresh_nonce(tmp_path) -> None:
    keyring = open_store(tmp_path).require_keyring()
    tokens = {keyring.seal("same", b"ctx") for _ in range(50)}
    assert len(tokens) == 50
    nonces = {token.split(".")[2][:16] for token in tokens}  # the first 12 bytes
    assert len(nonces) == 50


def test_a_token_relabelled_with_another_key_id_does_not_open(tmp_path) -> None:
    keyring = open_store(tmp_path).require_keyring()
    token = keyring.seal("x", b"ctx")
    other = Keyring("ffffffffffffffff", b"\0" * 32)
    with pytest.raises(MasterKeyError, match="encrypted under key"):
        other.open(token, b"ctx")
    forged = token.replace(keyring.key_id, "ffffffffffffffff")
    with pytest.raises(DataStoreError, match="does not decrypt"):
        Keyring("ffffffffffffffff", b"\0" * 32).open(forged, b"ctx")
    for broken in ("v1.", "v2.abc.def", token[:-8]):
        with pytest.raises(DataStoreError):
            keyring.open(broken, b"ctx")


def test_the_first_start_makes_one_key_and_later_starts_reuse_it(tmp_path) -> None:
    first = open_store(tmp_path)
    second = open_store(tmp_path)
    assert first.active_key_id == second.active_key_id
    token = first.require_keyring().seal("v", b"c")
    assert second.require_keyring().open(token, b"c") == "v"
    with second.read() as conn:
        rows = conn.execute(select(keys.c.id, keys.c.state, keys.c.salt)).all()
    assert len(rows) == 1 and rows[0].state == "active" and len(rows[0].salt) == 16
    assert KEY.encode() not in b"".join(bytes(r.salt) for r in rows)


def test_a_wrong_master_key_is_a_clear_error_at_open(tmp_path) -> None:
    store = open_store(tmp_path)
    with pytest.raises(MasterKeyError, match=f"does not match.*key {store.active_key_id}"):
        open_store(tmp_path, "another-master-key-xyz")


def test_a_short_master_key_is_refused(tmp_path) -> None:
    with pytest.raises(MasterKeyError, match="at least 16 characters"):
        open_store(tmp_path, "short")


def test_without_a_master_key_the_store_opens_and_secrets_say_why_not(tmp_path) -> None:
    open_store(tmp_path)  # a key exists
    store = open_store(tmp_path, None)
    assert store.keyring is None and store.active_key_id is not None
    with pytest.raises(MasterKeyError, match="JSEVAL_MASTER_KEY is not set"):
        store.require_keyring()


def test_rotation_retires_the_old_key_and_names_it(tmp_path) -> None:
    store = open_store(tmp_path)
    old_id = store.active_key_id
    assert store.rotate_key("brand-new-master-key-42", []) == 0
    assert store.active_key_id != old_id
    with pytest.raises(MasterKeyError, match=f"rotated-away key {old_id}"):
        open_store(tmp_path, KEY)
    assert open_store(tmp_path, "brand-new-master-key-42").active_key_id == store.active_key_id


def test_a_tampered_check_value_is_a_wrong_key_not_garbage(tmp_path) -> None:
    store = open_store(tmp_path)
    with store.write() as conn:
        conn.execute(update(keys).values(check_value=b"\0" * 44))
    with pytest.raises(MasterKeyError):
        open_store(tmp_path)
