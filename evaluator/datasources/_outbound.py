"""The outbound request of a query against its datasource (SPEC sections 7 and 8), built
without any network: the URL, headers and body with credentials, and the redirect rule.

Where it runs: in the API process, never in a worker (docs/SECURITY.md, "Datasource
secrets"). The query's host half in the worker sends the supervisor the query's method, path,
query, headers, body and params; the supervisor resolves the datasource (decrypting its
secrets at that moment), builds the request here, sends it under the fetch policy and caps,
and returns only the response. The worker never holds a credential.

The rules, each a refusal with a public reason (`QueryRefused`) when broken:

- URL = `base_url` + the query's `path`, appended as text, never resolved as a relative
  reference (a path without a leading `/` gets one; `base_url/` + `/x` is `base_url/x`). The
  result, parsed as WHATWG does (dot segments, `%2e` and backslashes included), must keep the
  datasource's origin and stay under its base path (`/v1` allows `/v1` and `/v1/...`, not
  `/v1x` nor `/`). A `#` in the path is refused (a fragment is never sent).
- `{{this.params.NAME}}` in `path`, `query` values, `headers` values and string leaves of
  `body` is replaced by the string the runtime made of `params.NAME` (`String(value)`, which
  is `"undefined"` for a missing one), percent-encoded as `encodeURIComponent` does in the path
  and the query.
- Query parameters: the path's own `?...` first, then the query's, then the datasource's.
  Headers: the query's (minus the Fetch standard's forbidden names, as `fetch` drops them),
  then the datasource's and `Authorization`. A name the datasource sets is the datasource's:
  the query's value for it is dropped, so code can neither replace nor duplicate a
  credential.
- Body: none; a JSON string is sent as its text (`text/plain;charset=UTF-8` unless the query
  sets `Content-Type`); any other JSON value as JSON (`application/json`). GET and HEAD
  requests have no body.
- A redirect is followed by `follow_redirect`: to the datasource's origin it keeps the
  credentials; to any other origin it drops every datasource header, query secret and the
  authorization, for that hop and every later one, and it is refused if a secret would still
  be in its URL. `allow_private` holds only for hops to the datasource's own origin.
- What is recorded (`fetches`, error messages) is `recorded_url` / `redact(text)`: secret
  values replaced by `[secret]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus

from evaluator.capabilities.fetch._failures import FetchRefused
from evaluator.capabilities.fetch._rules import is_forbidden_request_header
from evaluator.capabilities.fetch._url import ParsedURL, parse_url
from evaluator.datasources._records import ResolvedDatasource

__all__ = [
    "OutboundRequest",
    "QueryRefused",
    "QuerySpec",
    "build_outbound_request",
    "follow_redirect",
]

REDACTED = "[secret]"
_PARAM = re.compile(r"\{\{\s*this\.params\.([A-Za-z_$][A-Za-z0-9_$]*)\s*\}\}")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_NORMALISED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"})
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
_MAX_HEADER_VALUE = 16_384


class QueryRefused(Exception):
    """The query cannot be sent as given; `reason` is public (it never holds a secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class QuerySpec:
    """What the query entity asks for (SPEC section 7), before parameters are substituted."""

    method: str = "GET"
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # JSON value or None

    def __repr__(self) -> str:  # user data
        return f"<QuerySpec {self.method}>"


def _encode_component(text: str) -> str:
    """JavaScript's encodeURIComponent (a lone surrogate becomes U+FFFD, as jseval does for
    every string that reaches the host)."""
    data = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
    return quote(data, safe="-_.!~*'()")


def _substitute(text: str, params: Mapping[str, str], encode: bool) -> str:
    def value(match: re.Match[str]) -> str:
        raw = params.get(match.group(1), "undefined")
        return _encode_component(raw) if encode else raw

    return _PARAM.sub(value, text)


def _substitute_body(value: Any, params: Mapping[str, str], depth: int = 0) -> Any:
    if depth > 128:
        raise QueryRefused("the body is nested too deeply")
    if isinstance(value, str):
        return _substitute(value, params, encode=False)
    if isinstance(value, list):
        return [_substitute_body(item, params, depth + 1) for item in value]
    if isinstance(value, dict):
        return {k: _substitute_body(v, params, depth + 1) for k, v in value.items()}
    return value


def _method(text: str) -> str:
    if not _TOKEN.match(text):
        raise QueryRefused("the method is not a valid HTTP method")
    upper = text.upper()
    if upper in _FORBIDDEN_METHODS:
        raise QueryRefused(f"the method {upper} is not allowed")
    return upper if upper in _NORMALISED_METHODS else text


def _base_dir(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def _join(base_url: str, path: str) -> str:
    """`base_url` + `path` as text: never a relative-reference resolution."""
    if path == "":
        return base_url
    if path[0] not in "/?":
        path = "/" + path
    if path[0] == "/" and base_url.endswith("/"):
        return base_url[:-1] + path
    return base_url + path


def _origin_text(url: ParsedURL) -> str:
    return f"{url.scheme}://{url.host}{'' if url.port is None else f':{url.port}'}"


def _within(url: ParsedURL, base: ParsedURL) -> bool:
    return (
        not url.has_credentials
        and url.origin == base.origin
        and (url.path == base.path or url.path.startswith(_base_dir(base.path)))
    )


def _pairs_text(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{_encode_component(k)}={_encode_component(v)}" for k, v in pairs)


def _check_header(name: str, value: str) -> None:
    if not _TOKEN.match(name):
        raise QueryRefused("a header name is not an HTTP token")
    if len(value) > _MAX_HEADER_VALUE or any(c in value for c in "\r\n\x00") or any(
        ord(c) > 255 for c in value
    ):
        raise QueryRefused(
            f"header '{name}' has a value HTTP cannot carry (line break, NUL, non-Latin-1 "
            "character or over 16 KiB)"
        )


@dataclass(frozen=True, repr=False)
class OutboundRequest:
    """One request to send for a query: `method`, `url`, `headers`, `body`. Holds secrets:
    its repr shows none, and `recorded_url` / `redact()` are what may be written anywhere."""

    datasource: str
    method: str
    url: ParsedURL
    body: bytes | None
    credentialed: bool
    allow_private: bool
    origin: tuple[str, str, int]  # the datasource's
    query_headers: tuple[tuple[str, str], ...]
    datasource_headers: tuple[tuple[str, str], ...]
    secret_query_names: frozenset[str]
    secrets: tuple[str, ...]

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """What is sent: the query's headers, plus the datasource's while credentialed."""
        if self.credentialed:
            return self.query_headers + self.datasource_headers
        return self.query_headers

    @property
    def href(self) -> str:
        """The URL to send, secrets included."""
        return self.url.href

    @property
    def recorded_url(self) -> str:
        """The URL as `fetches` and messages may show it: secret values `[secret]`."""
        return self.redact(self.url.href)

    def redact(self, text: str) -> str:
        """`text` with every secret value (as is, or percent-encoded) replaced."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            for form in {secret, _encode_component(secret), quote(secret, safe="")}:
                if form:
                    text = text.replace(form, REDACTED)
        return text

    def __repr__(self) -> str:
        return f"<OutboundRequest {self.method} {self.datasource!r}>"


def build_outbound_request(
    datasource: ResolvedDatasource, query: QuerySpec, params: Mapping[str, str]
) -> OutboundRequest:
    """The request `query` makes against `datasource`, with `params` substituted.

    Args:
        datasource: the datasource, secrets decrypted (`DatasourceStore.resolve`).
        query: the query's method, path, query, headers and body.
        params: `run(params)`'s values as the runtime stringified them (`String(value)`).

    Raises QueryRefused with a public reason.
    """
    method = _method(query.method)
    path = _substitute(query.path, params, encode=True)
    if "#" in path:
        raise QueryRefused("the path may not have a fragment (#)")
    try:
        base = parse_url(datasource.base_url)
        url = parse_url(_join(datasource.base_url, path))
    except FetchRefused as exc:
        raise QueryRefused(f"invalid URL: {exc.reason}") from None
    if not _within(url, base):
        raise QueryRefused(
            "the path leaves the datasource's base URL (its origin and base path); a query "
            "may only reach URLs under it"
        )

    ds_query_names = {name for name, _ in datasource.query}
    pairs = [
        (name, _substitute(value, params, encode=False))
        for name, value in query.query.items()
        if name not in ds_query_names
    ]
    pairs += [(name, value.text) for name, value in datasource.query]
    if pairs:
        query_text = (url.query + "&" if url.query else "") + _pairs_text(pairs)
        url = parse_url(f"{_origin_text(url)}{url.path}?{query_text}")

    ds_header_names = {name.lower() for name, _ in datasource.headers}
    if datasource.authorization is not None:
        ds_header_names.add("authorization")
    query_headers: list[tuple[str, str]] = []
    for name, raw in query.headers.items():
        value = _substitute(raw, params, encode=False)
        _check_header(name, value)
        lower = name.lower()
        if lower in ds_header_names or is_forbidden_request_header(lower, value):
            continue
        query_headers.append((name, value))

    body: bytes | None = None
    if query.body is not None:
        if method in ("GET", "HEAD"):
            raise QueryRefused(f"a {method} request cannot have a body")
        content = _substitute_body(query.body, params)
        if isinstance(content, str):
            body, content_type = content.encode("utf-8", "replace"), "text/plain;charset=UTF-8"
        else:
            body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", "replace"
            )
            content_type = "application/json"
        if not any(n.lower() == "content-type" for n, _ in query_headers):
            query_headers.append(("Content-Type", content_type))

    ds_headers = [(name, value.text) for name, value in datasource.headers]
    if datasource.authorization is not None:
        ds_headers.append(("Authorization", datasource.authorization.text))
    return OutboundRequest(
        datasource=datasource.name,
        method=method,
        url=url,
        body=body,
        credentialed=True,
        allow_private=datasource.allow_private,
        origin=base.origin,
        query_headers=tuple(query_headers),
        datasource_headers=tuple(ds_headers),
        secret_query_names=frozenset(n for n, v in datasource.query if v.secret),
        secrets=datasource.secret_values,
    )


def _without_names(url: ParsedURL, names: frozenset[str]) -> ParsedURL:
    """`url` without the query parameters named in `names` (form-decoded names compared)."""
    if url.query is None or not names:
        return url
    kept = [
        part
        for part in url.query.split("&")
        if unquote_plus(part.split("=", 1)[0]) not in names
    ]
    query = "&".join(kept)
    return parse_url(f"{_origin_text(url)}{url.path}{'?' + query if query else ''}")


def follow_redirect(request: OutboundRequest, status: int, location: str) -> OutboundRequest:
    """The next hop after a redirect (`status`, the `Location` header), by the Fetch
    standard's method rules and jseval's credential rule. Raises QueryRefused."""
    try:
        url = parse_url(location, base=request.url)
    except FetchRefused as exc:
        raise QueryRefused(f"redirect: {exc.reason}") from None
    method, body, query_headers = request.method, request.body, request.query_headers
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        query_headers = tuple(
            (n, v) for n, v in query_headers if n.lower() not in _BODY_HEADERS
        )
    same_origin = url.origin == request.origin and not url.has_credentials
    credentialed = request.credentialed and same_origin
    if not credentialed:
        url = _without_names(url, request.secret_query_names)
        probe = OutboundRequest(
            request.datasource, method, url, body, False, False, request.origin,
            query_headers, (), request.secret_query_names, request.secrets,
        )
        if probe.redact(url.href) != url.href:
            raise QueryRefused(
                "the redirect to another origin would carry a credential in its URL"
            )
    return OutboundRequest(
        datasource=request.datasource,
        method=method,
        url=url,
        body=body,
        credentialed=credentialed,
        allow_private=request.allow_private and same_origin,
        origin=request.origin,
        query_headers=query_headers,
        datasource_headers=request.datasource_headers,
        secret_query_names=request.secret_query_names,
        secrets=request.secrets,
    )
