"""The Fetch standard's rule tables, in one place for both halves of fetch.

The host checks every request against these (it is authoritative: the runtime's checks can be
bypassed by nothing, but the host never trusts a record), and the runtime's `Headers`,
`Request` and `Response` apply the same rules to what user code sees. The JavaScript holds no
copy: `runtime_tables()` is sent to every isolate when it is prepared (`prepare` op) and the
shims build their lookups from it, so the two sides cannot drift apart
(tests/evaluator/capabilities/fetch/test_rules.py checks both that the shims carry no table of
their own and that the sandbox applies every entry).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BAD_PORTS",
    "BODY_HEADERS",
    "FORBIDDEN_METHODS",
    "FORBIDDEN_REQUEST_HEADERS",
    "FORBIDDEN_REQUEST_PREFIXES",
    "HIDDEN_RESPONSE_HEADERS",
    "METHOD_OVERRIDE_HEADERS",
    "NORMALIZED_METHODS",
    "NULL_BODY_STATUSES",
    "REDIRECT_STATUSES",
    "TOKEN_CHARACTERS",
    "is_forbidden_request_header",
    "is_token",
    "normalize_method",
    "runtime_tables",
    "valid_header_value",
]

# "Forbidden request-header" names (Fetch standard, 2.2.2), plus every name starting with one of
# the prefixes below: the browser sets these, never page code, so user code setting them is
# ignored (dropped from the request, silently, as browsers do).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_PREFIXES = ("proxy-", "sec-")
# Headers that ask a server to treat the request as another method: forbidden when one of the
# methods they name is a forbidden method.
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
# Methods fetch refuses outright (Fetch standard "forbidden method").
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# Methods upper-cased on the way in ("normalize a method"); any other token is sent as written.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# RFC 9110 `tchar`: what a header name or a method may consist of.
TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Statuses whose response has no body (Fetch standard "null body status").
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
# Statuses that are redirects (Fetch standard "redirect status").
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Response headers fetch never shows (credentials are omitted: no cookie reaches code).
HIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# Headers describing a body, dropped when a redirect turns the request into a GET.
BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)

# "Bad ports" (Fetch standard, "port blocking"): ports of protocols that read text line by line
# (SMTP, IRC, X11, ...), where a request body crafted as that protocol's commands would be
# obeyed: 25 lets code send mail. fetch refuses them unless the operator allows that very
# host:port (the network policy decides; the runtime needs no copy: a refusal comes from the
# host like every network error). The standard's whole table, whatwg/fetch as of 2026.
BAD_PORTS = frozenset(
    {
        0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
        101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179,
        389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601,
        636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
        6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
    }
)

_TOKEN = frozenset(TOKEN_CHARACTERS)


def is_token(text: str) -> bool:
    return text != "" and all(c in _TOKEN for c in text)


def valid_header_value(text: str) -> bool:
    """A byte string without NUL, CR or LF (the Fetch standard's header value)."""
    return all(ord(c) < 256 for c in text) and not any(c in text for c in "\x00\r\n")


def normalize_method(method: str) -> str:
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method


def is_forbidden_request_header(name: str, value: str) -> bool:
    """The Fetch standard's forbidden request-header test, on a lower-cased name."""
    if name in FORBIDDEN_REQUEST_HEADERS or name.startswith(FORBIDDEN_REQUEST_PREFIXES):
        return True
    if name in METHOD_OVERRIDE_HEADERS:
        methods = {part.strip().upper() for part in value.split(",")}
        return bool(methods & FORBIDDEN_METHODS)
    return False


def runtime_tables() -> dict[str, Any]:
    """The tables as the runtime's shims read them (JSON data, sent at `prepare`)."""
    return {
        "forbiddenRequestHeaders": sorted(FORBIDDEN_REQUEST_HEADERS),
        "forbiddenRequestPrefixes": list(FORBIDDEN_REQUEST_PREFIXES),
        "methodOverrideHeaders": sorted(METHOD_OVERRIDE_HEADERS),
        "forbiddenMethods": sorted(FORBIDDEN_METHODS),
        "normalizedMethods": sorted(NORMALIZED_METHODS),
        "tokenCharacters": TOKEN_CHARACTERS,
        "nullBodyStatuses": sorted(NULL_BODY_STATUSES),
        "redirectStatuses": sorted(REDIRECT_STATUSES),
        "hiddenResponseHeaders": sorted(HIDDEN_RESPONSE_HEADERS),
    }
