"""Datasource <-> stored record: sealing secrets on the way in, masking or opening on the way out.

Pure functions over a `Keyring` (no database): `_store.py` does the I/O.

The stored `config` is the datasource as JSON with each secret replaced by
`{"sealed": "<token>"}`. Each token's associated data (its context) is

    canonical JSON of [datasource name, [field, key], digest]

where `digest` is the SHA-256 of the datasource as reads show it (secrets masked, name
included). So a token decrypts only in its own datasource, at its own field, beside the very
configuration it was stored with: someone who can write the database but has no master key
cannot move a credential to another field, or point `base_url` (or anything else) somewhere
new and have jseval send the credential there. The change is found when the datasource is
next used: its secrets no longer decrypt, and it is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from evaluator.datasources.models import (
    MASKED,
    BasicAuth,
    BearerAuth,
    Datasource,
    FieldPath,
    SecretValue,
    Value,
)
from evaluator.datastore import Keyring
from evaluator.datastore._keyring import token_key_id
from evaluator.errors import DataStoreError, MasterKeyError, RequestRejected

__all__ = [
    "MASKED",
    "ResolvedDatasource",
    "ResolvedValue",
    "StoredDatasource",
    "check_key",
    "from_stored",
    "reseal",
    "resolve",
    "seal",
]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(masked: Datasource) -> str:
    return hashlib.sha256(_canonical(masked.model_dump(mode="json"))).hexdigest()


def _context(name: str, path: FieldPath, digest: str) -> bytes:
    return _canonical([name, list(path), digest])


@dataclass(frozen=True)
class StoredDatasource:
    """One row of `jseval_datasources`, as text: what the database holds."""

    name: str
    config: str  # JSON; secrets as {"sealed": token}
    key_id: str | None

    def __repr__(self) -> str:
        return f"<StoredDatasource {self.name!r} key={self.key_id}>"


def _to_stored_value(item: Value, sealed: dict[FieldPath, str], path: FieldPath) -> Any:
    return {"sealed": sealed[path]} if isinstance(item, SecretValue) else item


def _config_json(datasource: Datasource, sealed: dict[FieldPath, str]) -> str:
    data: dict[str, Any] = {
        "kind": datasource.kind,
        "base_url": datasource.base_url,
        "headers": {
            k: _to_stored_value(v, sealed, ("headers", k)) for k, v in datasource.headers.items()
        },
        "query": {
            k: _to_stored_value(v, sealed, ("query", k)) for k, v in datasource.query.items()
        },
        "auth": None,
        "allow_private": datasource.allow_private,
    }
    auth = datasource.auth
    if isinstance(auth, BearerAuth):
        data["auth"] = {
            "type": "bearer",
            "token": _to_stored_value(auth.token, sealed, ("auth", "token")),
        }
    elif isinstance(auth, BasicAuth):
        data["auth"] = {
            "type": "basic",
            "username": _to_stored_value(auth.username, sealed, ("auth", "username")),
            "password": _to_stored_value(auth.password, sealed, ("auth", "password")),
        }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _parse_config(stored: StoredDatasource) -> tuple[Datasource, dict[FieldPath, str]]:
    """(the datasource with secrets masked, field path -> sealed token)."""
    try:
        data = json.loads(stored.config)
        if not isinstance(data, dict):
            raise ValueError
        tokens: dict[FieldPath, str] = {}

        def take(field: str, key: str, item: Any) -> Any:
            sealed = item.get("sealed") if isinstance(item, dict) and len(item) == 1 else None
            if isinstance(sealed, str):
                tokens[(field, key)] = sealed
                return {"secret": True}
            return item

        for field in ("headers", "query"):
            data[field] = {k: take(field, k, v) for k, v in (data.get(field) or {}).items()}
        auth = data.get("auth")
        if isinstance(auth, dict):
            data["auth"] = {
                k: (take("auth", k, v) if k != "type" else v) for k, v in auth.items()
            }
        data["name"] = stored.name
        return Datasource.model_validate(data), tokens
    except ValueError:  # json.JSONDecodeError and pydantic's ValidationError are ValueErrors
        raise DataStoreError(f"the stored datasource '{stored.name}' is unreadable") from None


def from_stored(stored: StoredDatasource) -> Datasource:
    """The datasource as reads show it: secrets `{"secret": true}`. Needs no key."""
    return _parse_config(stored)[0]


def _master_key_missing(paths: list[FieldPath]) -> RequestRejected:
    return RequestRejected(
        [
            {
                "type": "master_key_missing",
                "loc": ["body", *path],
                "msg": "this value is a secret, and there is no JSEVAL_MASTER_KEY to encrypt "
                "it with: set JSEVAL_MASTER_KEY (a server needs a restart), or give the value "
                "in plain text",
            }
            for path in paths
        ]
    )


def seal(
    name: str,
    datasource: Datasource,
    keyring: Keyring | None,
    previous: StoredDatasource | None,
) -> StoredDatasource:
    """The record to store for `datasource` under `name`: new secrets sealed, kept ones
    (`{"secret": true}`) re-sealed from `previous` for the new configuration.

    Raises RequestRejected (422) for a secret without a master key, or a kept secret that
    `previous` does not have.
    """
    secret_paths = [path for path, item in datasource.values() if isinstance(item, SecretValue)]
    if not secret_paths:
        return StoredDatasource(name, _config_json(datasource, {}), None)
    if keyring is None:
        raise _master_key_missing(secret_paths)
    kept = [
        path
        for path, item in datasource.values()
        if isinstance(item, SecretValue) and item.keeps_stored
    ]
    old_plain: dict[FieldPath, str] = {}
    if kept:
        old_tokens: dict[FieldPath, str] = {}
        old_digest = ""
        if previous is not None:
            old_view, old_tokens = _parse_config(previous)
            old_digest = _digest(old_view)
        missing = [path for path in kept if path not in old_tokens]
        if missing:
            raise RequestRejected(
                [
                    {
                        "type": "secret_missing",
                        "loc": ["body", *path],
                        "msg": '{"secret": true} keeps the stored secret of this field, and '
                        "there is none: give the value",
                    }
                    for path in missing
                ]
            )
        for path in kept:
            old_plain[path] = keyring.open(old_tokens[path], _context(name, path, old_digest))
    digest = _digest(datasource.masked(name))
    sealed: dict[FieldPath, str] = {}
    for path, item in datasource.values():
        if isinstance(item, SecretValue):
            plaintext = old_plain[path] if item.keeps_stored else item.secret
            assert isinstance(plaintext, str)
            sealed[path] = keyring.seal(plaintext, _context(name, path, digest))
    return StoredDatasource(name, _config_json(datasource, sealed), keyring.key_id)


def reseal(stored: StoredDatasource, old: Keyring, new: Keyring) -> StoredDatasource:
    """The same record with every secret re-encrypted from `old` to `new` (rotation)."""
    view, tokens = _parse_config(stored)
    if not tokens:
        return stored
    digest = _digest(view)
    data = json.loads(stored.config)
    for path, token in tokens.items():
        context = _context(stored.name, path, digest)
        fresh = new.seal(old.open(token, context), context)
        field, key = path
        data[field][key] = {"sealed": fresh}
    return StoredDatasource(
        stored.name, json.dumps(data, separators=(",", ":"), ensure_ascii=False), new.key_id
    )


@dataclass(frozen=True)
class ResolvedValue:
    """One configured value, decrypted if it was a secret. `secret` says which it was, so the
    caller can redact it from anything it records."""

    text: str
    secret: bool

    def __repr__(self) -> str:
        return "<secret>" if self.secret else repr(self.text)


@dataclass(frozen=True)
class ResolvedDatasource:
    """A datasource with its secrets decrypted: exists only in the API process, only while
    one outbound request is built and sent. Its repr never shows a value."""

    name: str
    base_url: str
    headers: tuple[tuple[str, ResolvedValue], ...]
    query: tuple[tuple[str, ResolvedValue], ...]
    authorization: ResolvedValue | None  # the whole Authorization header value
    allow_private: bool
    auth_values: tuple[ResolvedValue, ...] = ()  # token, or username and password

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every decrypted secret, each auth part and the Authorization header value made of
        them included: what redaction must remove from anything recorded."""
        values = [v.text for _, v in self.headers + self.query if v.secret]
        values += [v.text for v in self.auth_values if v.secret]
        if self.authorization is not None and self.authorization.secret:
            values.append(self.authorization.text)
        return tuple(values)

    def __repr__(self) -> str:
        return f"<ResolvedDatasource {self.name!r}>"


def resolve(stored: StoredDatasource, keyring: Keyring | None) -> ResolvedDatasource:
    """Decrypt `stored` for one use. Raises MasterKeyError without a (the right) key, and
    DataStoreError when a secret does not decrypt (the record was changed outside jseval)."""
    view, tokens = _parse_config(stored)
    if tokens and keyring is None:
        raise MasterKeyError(
            f"datasource '{stored.name}' has secrets and JSEVAL_MASTER_KEY is not set"
        )
    digest = _digest(view)
    plain: dict[FieldPath, ResolvedValue] = {}
    for path, item in view.values():
        if path in tokens:
            assert keyring is not None
            text = keyring.open(tokens[path], _context(stored.name, path, digest))
            plain[path] = ResolvedValue(text, True)
        else:
            assert isinstance(item, str)
            plain[path] = ResolvedValue(item, False)
    authorization: ResolvedValue | None = None
    auth_values = tuple(value for path, value in plain.items() if path[0] == "auth")
    if isinstance(view.auth, BearerAuth):
        token = plain[("auth", "token")]
        authorization = ResolvedValue(f"Bearer {token.text}", token.secret)
    elif isinstance(view.auth, BasicAuth):
        user, password = plain[("auth", "username")], plain[("auth", "password")]
        pair = f"{user.text}:{password.text}".encode()
        authorization = ResolvedValue(
            "Basic " + base64.b64encode(pair).decode("ascii"), user.secret or password.secret
        )
    return ResolvedDatasource(
        name=stored.name,
        base_url=view.base_url,
        headers=tuple((k, plain[("headers", k)]) for k in view.headers),
        query=tuple((k, plain[("query", k)]) for k in view.query),
        authorization=authorization,
        allow_private=view.allow_private,
        auth_values=auth_values,
    )


def check_key(stored: StoredDatasource, keyring: Keyring | None) -> None:
    """Raise MasterKeyError when `stored`'s secrets are under a key other than `keyring`'s."""
    _, tokens = _parse_config(stored)
    for token in tokens.values():
        key_id = token_key_id(token)
        if keyring is None or key_id != keyring.key_id:
            raise MasterKeyError(
                f"datasource '{stored.name}' is encrypted under key {key_id}, not this "
                "process's key"
            )

