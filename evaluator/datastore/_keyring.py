"""Encryption of stored secrets: AES-256-GCM under a key derived from `JSEVAL_MASTER_KEY`.

The one import of `cryptography`. What the database holds per key (`jseval_keys`): a random id,
a random 16-byte salt, the scrypt parameters and a check value; never the key. The process
derives the key once (scrypt, about 0.1 s and 32 MiB by design) and holds it in memory.

- **Sealed values** are text tokens `v1.<key id>.<base64url(nonce || ciphertext+tag)>`: a fresh
  96-bit random nonce per value, and the key id travels with the value, so a replica or a
  rotation always knows which key made it. The associated data is the key id plus a context
  the caller gives (for a datasource: its name, the field's path and a digest of the rest of
  its configuration, evaluator/datasources/_records.py), so a token copied to another field,
  another row or under another key id does not decrypt.
- **The check value** is the fixed text `jseval key check` sealed under the key. Opening it at
  start tells a wrong master key apart from a right one before anything is decrypted: a wrong
  key is a clear `MasterKeyError`, never garbage.
- **Rotation** (`rotate`) makes a new key (new id, new salt) and retires the old one; the caller
  re-encrypts every sealed value in the same transaction.

Messages name key ids and settings, never key material or a plaintext.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Connection, insert, select, update

from evaluator.datastore._schema import keys
from evaluator.errors import DataStoreError, MasterKeyError

__all__ = [
    "MIN_MASTER_KEY_CHARS",
    "KdfParams",
    "Keyring",
    "active_key_id",
    "open_keyring",
    "rotate",
    "token_key_id",
]

MIN_MASTER_KEY_CHARS = 16
_TOKEN_VERSION = "v1"
_NONCE_BYTES = 12  # 96 bits, GCM's native nonce size
_SALT_BYTES = 16
_CHECK_TEXT = b"jseval key check"
_AAD_PREFIX = b"jseval/secret/v1\x00"
_CHECK_AAD_PREFIX = b"jseval/key-check/v1\x00"


@dataclass(frozen=True)
class KdfParams:
    """scrypt's cost parameters, stored with each key so they can be raised for new keys."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def to_json(self) -> str:
        return json.dumps({"name": "scrypt", "n": self.n, "r": self.r, "p": self.p})

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        try:
            data = json.loads(text)
            if data.get("name") != "scrypt":
                raise ValueError
            return cls(n=int(data["n"]), r=int(data["r"]), p=int(data["p"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            raise DataStoreError("the stored key's parameters are unreadable") from None


DEFAULT_KDF = KdfParams()


def _master_key_bytes(master_key: str) -> bytes:
    if len(master_key) < MIN_MASTER_KEY_CHARS:
        raise MasterKeyError(
            f"JSEVAL_MASTER_KEY is too short: use at least {MIN_MASTER_KEY_CHARS} characters "
            "of a random value (for example the output of `openssl rand -base64 32`)"
        )
    return master_key.encode("utf-8")


def _derive(master_key: str, salt: bytes, kdf: KdfParams) -> bytes:
    return Scrypt(salt=salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(
        _master_key_bytes(master_key)
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_key_id(token: str) -> str:
    """The id of the key that sealed `token`."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _TOKEN_VERSION or not parts[1]:
        raise DataStoreError("a stored secret is malformed")
    return parts[1]


class Keyring:
    """The active encryption key as this process holds it: seals and opens secret values."""

    def __init__(self, key_id: str, key: bytes) -> None:
        self.key_id = key_id
        self._aead = AESGCM(key)

    def _aad(self, context: bytes) -> bytes:
        return _AAD_PREFIX + self.key_id.encode("ascii") + b"\x00" + context

    def seal(self, plaintext: str, context: bytes) -> str:
        """Encrypt `plaintext`, bound to `context` (where the value belongs)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._aad(context))
        return f"{_TOKEN_VERSION}.{self.key_id}.{_b64(nonce + sealed)}"

    def open(self, token: str, context: bytes) -> str:
        """Decrypt a token made by `seal` with the same context; a clear error otherwise."""
        key_id = token_key_id(token)
        if key_id != self.key_id:
            raise MasterKeyError(
                f"a stored secret was encrypted under key {key_id}, and this process holds key "
                f"{self.key_id}: the master key was rotated; restart with the current "
                "JSEVAL_MASTER_KEY"
            )
        try:
            blob = _unb64(token.split(".")[2])
        except (binascii.Error, ValueError):
            raise DataStoreError("a stored secret is malformed") from None
        if len(blob) < _NONCE_BYTES + 16:
            raise DataStoreError("a stored secret is malformed")
        try:
            plaintext = self._aead.decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], self._aad(context)
            )
        except InvalidTag:
            raise DataStoreError(
                "a stored secret does not decrypt: its record was changed outside jseval "
                "(a value moved to another field or datasource, or the configuration edited)"
            ) from None
        return plaintext.decode("utf-8")

    def check_value(self) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        aad = _CHECK_AAD_PREFIX + self.key_id.encode("ascii")
        return nonce + self._aead.encrypt(nonce, _CHECK_TEXT, aad)

    def matches(self, check_value: bytes) -> bool:
        aad = _CHECK_AAD_PREFIX + self.key_id.encode("ascii")
        try:
            opened = self._aead.decrypt(check_value[:_NONCE_BYTES], check_value[_NONCE_BYTES:], aad)
        except (InvalidTag, ValueError):
            return False
        return opened == _CHECK_TEXT

    def __repr__(self) -> str:  # never the key
        return f"<Keyring key_id={self.key_id}>"


def _new_key(conn: Connection, master_key: str, kdf: KdfParams) -> Keyring:
    key_id = secrets.token_hex(8)
    salt = os.urandom(_SALT_BYTES)
    keyring = Keyring(key_id, _derive(master_key, salt, kdf))
    conn.execute(
        insert(keys).values(
            id=key_id,
            salt=salt,
            kdf=kdf.to_json(),
            check_value=keyring.check_value(),
            state="active",
            created_at=datetime.now(UTC),
        )
    )
    return keyring


def active_key_id(conn: Connection) -> str | None:
    """The id of the database's active key, or None before the first master key was given."""
    return conn.execute(select(keys.c.id).where(keys.c.state == "active")).scalar()


def _keyring_for(conn: Connection, master_key: str, state: str) -> tuple[str, Keyring | None]:
    """(key id, keyring if `master_key` is that key) for every key in `state`; first match."""
    last_id = ""
    for row in conn.execute(select(keys).where(keys.c.state == state)):
        keyring = Keyring(row.id, _derive(master_key, row.salt, KdfParams.from_json(row.kdf)))
        if keyring.matches(row.check_value):
            return row.id, keyring
        last_id = row.id
    return last_id, None


def open_keyring(
    conn: Connection, master_key: str | None, kdf: KdfParams = DEFAULT_KDF
) -> Keyring | None:
    """The keyring for `master_key` (in a write transaction): the database's active key,
    made now if the database has none yet; None without a master key.

    Raises MasterKeyError when `master_key` is not the active key's, saying whether it is a
    rotated-away key or an unknown one.
    """
    if master_key is None:
        return None
    _master_key_bytes(master_key)  # the length check, before any derivation
    row = conn.execute(select(keys).where(keys.c.state == "active")).one_or_none()
    if row is None:
        return _new_key(conn, master_key, kdf)
    keyring = Keyring(row.id, _derive(master_key, row.salt, KdfParams.from_json(row.kdf)))
    if keyring.matches(row.check_value):
        return keyring
    retired_id, retired = _keyring_for(conn, master_key, "retired")
    if retired is not None:
        raise MasterKeyError(
            f"JSEVAL_MASTER_KEY is the rotated-away key {retired_id}; the database's key is "
            f"{row.id}: start with the new master key"
        )
    raise MasterKeyError(
        f"JSEVAL_MASTER_KEY does not match the key this database was encrypted with "
        f"(key {row.id}); it is not garbage-decrypted: start with the right key"
    )


def rotate(
    conn: Connection, current: Keyring, new_master_key: str, kdf: KdfParams = DEFAULT_KDF
) -> Keyring:
    """Retire `current` and make the key of `new_master_key` active (in the caller's write
    transaction, which must also re-encrypt every sealed value before it commits)."""
    _master_key_bytes(new_master_key)
    if active_key_id(conn) != current.key_id:
        raise MasterKeyError(
            "the master key was rotated by another process meanwhile: start again with the "
            "current JSEVAL_MASTER_KEY"
        )
    conn.execute(update(keys).where(keys.c.id == current.key_id).values(state="retired"))
    return _new_key(conn, new_master_key, kdf)
