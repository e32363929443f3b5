"""The datasource an operator configures (SPEC section 8), validated; secrets write-only.

    {"name": "payments", "kind": "rest", "base_url": "https://api.example.com/v1",
     "headers": {"X-Api-Key": {"secret": "..."}, "Accept": "application/json"},
     "query": {"key": {"secret": "..."}},
     "auth": null | {"type": "bearer", "token": {"secret": "..."}}
           | {"type": "basic", "username": "...", "password": {"secret": "..."}},
     "allow_private": false}

Where a secret may be: any header value, any query parameter value, and every string of
`auth`. Not in `base_url` (it decides where the credentials may go, and it is what `fetches`
records show) nor in names. A value given as `{"secret": "..."}` is encrypted before it is
stored and is never shown again: every read gives `{"secret": true}` in its place. Writing
`{"secret": true}` back keeps the value already stored at that field (so a read, edited and
written back, keeps its secrets).

Everything that would only fail later is refused here with a 422 that says why: a base URL
that is not http(s), carries credentials, a query or a fragment, or names a link-local or
metadata host (never reachable, not even with `allow_private`); header names that are not
tokens or that HTTP framing owns (`Host`, `Content-Length`, ...); values with line breaks; an
`Authorization` header beside `auth`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from evaluator.capabilities.fetch._addresses import address_refusal, embedded_ipv4, name_refusal
from evaluator.capabilities.fetch._failures import FetchRefused
from evaluator.capabilities.fetch._url import parse_url

__all__ = [
    "DATASOURCE_EXAMPLE",
    "MAX_ENTRIES",
    "MAX_VALUE_CHARS",
    "NAME_PATTERN",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "Datasource",
    "FieldPath",
    "SecretValue",
    "Value",
]

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MAX_VALUE_CHARS = 8192
MAX_ENTRIES = 64
MAX_BASE_URL_CHARS = 2048
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
# Headers HTTP framing or the connection owns: a datasource setting one would break requests.
FRAMING_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)

# (field, key) for headers/query ("headers", "X-Api-Key"); ("auth", "token") for auth.
FieldPath = tuple[str, str]

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class SecretValue(BaseModel):
    """`{"secret": "..."}` to write a secret; `{"secret": true}` as reads show it (and, written
    back, "keep the stored value")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: Annotated[StrictStr, StringConstraints(min_length=1, max_length=MAX_VALUE_CHARS)] | (
        Literal[True]
    ) = Field(
        repr=False,
        description="The secret to store (encrypted, never shown again); `true` as reads show "
        "it, and written back keeps the stored value.",
    )

    @property
    def keeps_stored(self) -> bool:
        return self.secret is True


Value = Annotated[StrictStr, StringConstraints(max_length=MAX_VALUE_CHARS)] | SecretValue
MASKED = SecretValue(secret=True)


class BearerAuth(BaseModel):
    """`Authorization: Bearer <token>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["bearer"] = Field(description="Always `bearer`.")
    token: Value = Field(description="The token; give it as `{\"secret\": \"...\"}`.")


class BasicAuth(BaseModel):
    """`Authorization: Basic base64(username:password)`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["basic"] = Field(description="Always `basic`.")
    username: Value = Field(description="The user name.")
    password: Value = Field(description="The password; give it as `{\"secret\": \"...\"}`.")


Auth = Annotated[BearerAuth | BasicAuth, Field(discriminator="type")]

DATASOURCE_EXAMPLE: dict[str, Any] = {
    "kind": "rest",
    "base_url": "https://api.example.com/v1",
    "headers": {"X-Api-Key": {"secret": "<your API key>"}, "Accept": "application/json"},
    "query": {},
    "auth": None,
    "allow_private": False,
}


def _check_header_value(name: str, value: Value) -> None:
    text = value if isinstance(value, str) else value.secret
    if isinstance(text, str) and (
        any(ch in text for ch in "\r\n\x00") or any(ord(ch) > 255 for ch in text)
    ):
        raise ValueError(
            f"header '{name}': a value may not hold line breaks, NUL or characters past U+00FF"
        )


def _never_reachable(
    host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
) -> str | None:
    """Why no datasource may ever reach this host (link-local, metadata), even when private
    addresses are allowed; None otherwise."""
    if address is not None:
        inner = embedded_ipv4(address) or address
        why = address_refusal(inner)
        if why is not None and "link-local" in why:
            return why
        return None
    why = name_refusal(host)
    return None if why is None else "a local or metadata host name"


class Datasource(BaseModel):
    """A REST datasource (SPEC section 8): the body of `PUT /v1/admin/datasources/{name}`
    and of `jseval datasource add`, and (secrets masked) what every read returns."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [DATASOURCE_EXAMPLE]}
    )

    name: Name | None = Field(
        None, description="Optional in a write (the path names it); must match when given."
    )
    kind: Literal["rest"] = Field("rest", description="The only kind so far: an HTTP API.")
    base_url: StrictStr = Field(
        max_length=MAX_BASE_URL_CHARS,
        description="http(s) URL every query's path is appended to; no credentials, query or "
        "fragment.",
    )
    headers: dict[str, Value] = Field(
        default_factory=dict,
        max_length=MAX_ENTRIES,
        description='Added to every query; a value may be {"secret": "..."}.',
    )
    query: dict[str, Value] = Field(
        default_factory=dict,
        max_length=MAX_ENTRIES,
        description='Query parameters added to every query; a value may be {"secret": "..."}.',
    )
    auth: Auth | None = Field(None, description="Bearer or Basic authentication, or null.")
    allow_private: bool = Field(
        False,
        description="Let this datasource reach private addresses (never link-local or "
        "metadata ones).",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if "#" in value:
            raise ValueError("base_url may not have a fragment (#)")
        try:
            url = parse_url(value)
        except FetchRefused as exc:
            raise ValueError(f"base_url: {exc.reason}") from None
        if url.has_credentials:
            raise ValueError("base_url may not carry credentials (user:password@): use auth")
        if url.query is not None:
            raise ValueError("base_url may not have a query (?...): use query")
        why = _never_reachable(url.host, url.address)
        if why is not None:
            raise ValueError(f"base_url is {why}, which no datasource may reach")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, Value]) -> dict[str, Value]:
        seen: set[str] = set()
        for name, item in value.items():
            if not name or len(name) > 256 or any(ch not in _TOKEN_CHARS for ch in name):
                raise ValueError("a header name must be an HTTP token (letters, digits, -_.)")
            lower = name.lower()
            if lower in FRAMING_HEADERS or lower.startswith("proxy-"):
                raise ValueError(f"header '{name}' is set by HTTP itself, not by a datasource")
            if lower in seen:
                raise ValueError(f"header '{name}' is given twice (names ignore case)")
            seen.add(lower)
            _check_header_value(name, item)
        return value

    @field_validator("query")
    @classmethod
    def _query(cls, value: dict[str, Value]) -> dict[str, Value]:
        for name in value:
            if not name or len(name) > 256:
                raise ValueError("a query parameter name must have 1 to 256 characters")
        return value

    @model_validator(mode="after")
    def _auth_alone(self) -> Datasource:
        if self.auth is not None and any(n.lower() == "authorization" for n in self.headers):
            raise ValueError("give either auth or an Authorization header, not both")
        if isinstance(self.auth, BasicAuth):
            username = self.auth.username
            text = username if isinstance(username, str) else username.secret
            if isinstance(text, str) and ":" in text:
                raise ValueError("auth.username may not contain ':' (Basic authentication)")
        if self.auth is not None:
            for path, item in self.values():
                if path[0] == "auth":
                    _check_header_value("Authorization", item)
        return self

    # -- secrets ----------------------------------------------------------------------------

    def values(self) -> Iterator[tuple[FieldPath, Value]]:
        """Every value that may be a secret, with its field path."""
        for name, item in self.headers.items():
            yield ("headers", name), item
        for name, item in self.query.items():
            yield ("query", name), item
        if isinstance(self.auth, BearerAuth):
            yield ("auth", "token"), self.auth.token
        elif isinstance(self.auth, BasicAuth):
            yield ("auth", "username"), self.auth.username
            yield ("auth", "password"), self.auth.password

    @property
    def has_secrets(self) -> bool:
        return any(isinstance(item, SecretValue) for _, item in self.values())

    def masked(self, name: str | None = None) -> Datasource:
        """This datasource as every read shows it: each secret is `{"secret": true}`."""

        def mask(item: Value) -> Value:
            return MASKED if isinstance(item, SecretValue) else item

        auth: BearerAuth | BasicAuth | None = self.auth
        if isinstance(auth, BearerAuth):
            auth = BearerAuth(type="bearer", token=mask(auth.token))
        elif isinstance(auth, BasicAuth):
            auth = BasicAuth(
                type="basic", username=mask(auth.username), password=mask(auth.password)
            )
        return self.model_copy(
            update={
                "name": name if name is not None else self.name,
                "headers": {k: mask(v) for k, v in self.headers.items()},
                "query": {k: mask(v) for k, v in self.query.items()},
                "auth": auth,
            }
        )

    def __repr__(self) -> str:  # names and origin only; no value can be a secret here
        return f"<Datasource {self.name!r} {self.kind}>"

    __str__ = __repr__
