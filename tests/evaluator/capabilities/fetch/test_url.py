"""URL parsing as the policy sees it (`_url.py`, ada): hand-picked URLs that SSRF filters get
wrong, and every entry of the web-platform-tests' URL data (urltestdata.json, vendored: see
data/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evaluator.capabilities.fetch._failures import FetchRefused
from evaluator.capabilities.fetch._url import ParsedURL, parse_host, parse_url

DATA = Path(__file__).parent / "data" / "urltestdata.json"


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://0x7f000001/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://127.0.0.1./", "http://127.0.0.1/"),
        ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
        ("http://[0:0:0:0:0:0:0:1]:8080/x", "http://[::1]:8080/x"),
        ("http://[1:0:0:2::3:0]/", "http://[1::2:0:0:3:0]/"),
        ("HTTP://EXAMPLE.com:80/a/./b/../c?x=1 2#frag", "http://example.com/a/c?x=1%202"),
        ("https://example.com:443", "https://example.com/"),
        ("http:\\\\example.com\\a\\b", "http://example.com/a/b"),
        ("http:example.com/x", "http://example.com/x"),
        ("  http://example.com/\u00fc?\u00fc\t", "http://example.com/%C3%BC?%C3%BC"),
        ("http://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d/", "http://example.com/"),
        ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "http://127.0.0.1/"),
        ("http://fa\u00df.de/", "http://xn--fa-hia.de/"),
        ("http://ex%41mple.com/", "http://example.com/"),
        ("http://example.com/%2e%2E/a", "http://example.com/a"),
        ("http://example.com/a/..", "http://example.com/"),
        ("http://example.com/it's", "http://example.com/it's"),
        ("http://example.com/?q='", "http://example.com/?q=%27"),
    ],
)
def test_urls_are_normalised_as_whatwg_does(text: str, href: str) -> None:
    assert parse_url(text).href == href


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http://1.2.3.4.5/", "bad IPv4"),
        ("http://1.2.3.256/", "bad IPv4"),
        ("http://256.1/", "bad IPv4"),
        ("http://0x100000000/", "bad IPv4"),
        ("http://foo.09/", "bad IPv4"),
        ("http://[::1%25eth0]/", "bad IPv6"),
        ("http://[::1/", "bad IPv6"),
        ("http://exa mple.com/", "bad host"),
        ("http://example.com:65536/", "port out of range"),
        ("http://example.com:8o/", "bad port"),
        ("http://user@/", "empty host"),
        ("/relative", "not an absolute URL"),
        ("example.com", "not an absolute URL"),
        ("file:///etc/passwd", "unsupported URL scheme 'file:'"),
        ("data:text/plain,hi", "unsupported URL scheme 'data:'"),
        ("ftp://example.com/", "unsupported URL scheme 'ftp:'"),
        ("ws://example.com/", "unsupported URL scheme 'ws:'"),
        ("javascript:alert(1)", "unsupported URL scheme 'javascript:'"),
    ],
)
def test_unusable_urls_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(FetchRefused) as caught:
        parse_url(text)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("relative", "href"),
    [
        ("..", "http://h/"),
        ("z", "http://h/x/z"),
        ("?n", "http://h/x/y?n"),
        ("", "http://h/x/y?q"),
        ("#f", "http://h/x/y?q"),
        ("//o/p", "http://o/p"),
        ("/abs", "http://h/abs"),
        ("https://s/", "https://s/"),
        ("http:rel", "http://h/x/rel"),
        ("\\\\evil.example/", "http://evil.example/"),
    ],
)
def test_redirect_locations_resolve_against_the_current_url(relative: str, href: str) -> None:
    assert parse_url(relative, parse_url("http://h/x/y?q")).href == href


def test_credentials_are_detected_the_way_browsers_read_them() -> None:
    assert parse_url("http://ok@127.0.0.1/").has_credentials
    assert parse_url("http://user:pw@example.com/").has_credentials
    assert parse_url("http://a@b@example.com/").host == "example.com"
    assert not parse_url("http://@example.com/").has_credentials
    assert not parse_url("http://:@example.com/").has_credentials


@pytest.mark.parametrize(
    ("text", "host", "literal"),
    [("Example.COM", "example.com", False), ("127.1", "127.0.0.1", True), ("[0::1]", "[::1]", True)],
)
def test_a_host_alone_parses_as_a_url_host(text: str, host: str, literal: bool) -> None:
    parsed, address = parse_host(text)
    assert parsed == host and (address is not None) is literal


@pytest.mark.parametrize("text", ["", "a b", "h/x", "u@h", "h:80", "[::1", "h?", "h#"])
def test_anything_but_one_host_is_not_a_host(text: str) -> None:
    with pytest.raises(ValueError):
        parse_host(text)


# -- the web-platform-tests' URL data -------------------------------------------------------------
# What the policy sees of each entry: fetch parses absolute URLs (it has no base URL) and
# redirect locations against the http(s) URL being fetched, so an entry whose base is another
# scheme (or with credentials) is a case the policy never meets. Every other entry must come out as browsers have it:
# refused when the standard fails it, and for http(s) the very href, host and port they show
# (less credentials and fragment, which fetch never sends).


def _entries() -> list[dict[str, Any]]:
    return [entry for entry in json.loads(DATA.read_text(encoding="utf-8")) if isinstance(entry, dict)]


def _base(entry: dict[str, Any]) -> ParsedURL | bool | None:
    """The base as the policy would hold it; False if the policy never meets this base (another
    scheme, or credentials: a URL with credentials is refused before it is fetched)."""
    if entry.get("base") is None:
        return None
    try:
        base = parse_url(entry["base"])
    except FetchRefused:
        return False
    return False if base.has_credentials else base


def _expected_href(entry: dict[str, Any]) -> str:
    """The entry's href less credentials and fragment (an empty query "?" stays)."""
    href = entry["href"].split("#", 1)[0]
    scheme, rest = href.split("//", 1)
    authority, slash, target = rest.partition("/")
    return f"{scheme}//{authority.rpartition('@')[2]}{slash}{target}"


def test_the_url_data_is_all_there() -> None:
    entries = _entries()
    met = [e for e in entries if _base(e) is not False]
    http = [e for e in met if not e.get("failure") and e["protocol"] in ("http:", "https:")]
    # Numbers of the vendored file: a truncated or swapped file fails here.
    assert (len(entries), len(met), len(http)) == (891, 754, 244)


@pytest.mark.parametrize(
    "entry", [e for e in _entries() if _base(e) is not False], ids=lambda e: repr(e["input"])[:60]
)
def test_the_policy_reads_every_url_as_the_standard_does(entry: dict[str, Any]) -> None:
    base = _base(entry)
    assert base is not False
    if entry.get("failure"):
        with pytest.raises(FetchRefused) as caught:
            parse_url(entry["input"], base)
        reason = caught.value.reason
        assert reason.startswith(("invalid URL", "unsupported URL scheme")), reason
        return
    if entry["protocol"] not in ("http:", "https:"):
        with pytest.raises(FetchRefused, match="unsupported URL scheme"):
            parse_url(entry["input"], base)
        return
    url = parse_url(entry["input"], base)
    assert url.href == _expected_href(entry)
    assert url.host == entry["hostname"]
    assert url.port == (int(entry["port"]) if entry["port"] else None)
    assert url.has_credentials == bool(entry["username"] or entry["password"])
