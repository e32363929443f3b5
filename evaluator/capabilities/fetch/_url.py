"""URLs as fetch sees them: parsed by the WHATWG URL Standard, with ada (`ada-url` on PyPI).

Why a standard parser, and this one: the host that is checked must be the host that is
connected to. A URL parser that reads `http://127.1/`, `http://0x7f000001/`, `http://ok@evil/`
or `http:\\\\evil` differently from the browser-shaped code that wrote it is how SSRF filters
are bypassed, so every URL is parsed once, here, by the algorithm browsers implement, and what
the policy checks (`ParsedURL.hostname`, the resolved addresses) is exactly what the transport
connects to. ada is the parser Node.js ships (a WHATWG-conformant C++ library, fuzzed, run
against the web-platform-tests' URL data on every release; tests/evaluator/capabilities/fetch/
test_url.py runs that data against this module too). Address classification and the
allow/deny policy stay ours (`_addresses.py`, `_policy.py`).

fetch accepts the two special schemes `http` and `https` only; a URL with credentials parses
(`has_credentials`) and is refused by the policy, not here.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import ada_url

from evaluator.capabilities.fetch._failures import FetchRefused, shown

__all__ = ["DEFAULT_PORTS", "IPAddress", "ParsedURL", "parse_host", "parse_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_IP_HOSTS = (ada_url.HostType.IPV4, ada_url.HostType.IPV6)


@dataclass(frozen=True, slots=True)
class ParsedURL:
    """An http(s) URL, parsed and serialised as the URL Standard does (fragment dropped).

    `host` is the serialised host (`example.com`, `127.0.0.1`, `[::1]`); `hostname` is what a
    socket connects to or a resolver is asked (no brackets); `address` is set when the host is an
    IP literal. `has_credentials` is true when the URL carries a username or password.
    """

    scheme: str
    host: str
    hostname: str
    address: IPAddress | None
    port: int | None
    path: str
    query: str | None
    has_credentials: bool = False

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def target(self) -> str:
        """The request target: path and query, as sent on the request line."""
        return self.path if self.query is None else f"{self.path}?{self.query}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.effective_port)

    @property
    def href(self) -> str:
        """The serialised URL (without credentials or fragment): what `Response.url` shows."""
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.target}"

    def __repr__(self) -> str:  # the path and query may hold user data
        return f"<ParsedURL {self.scheme}://{self.host}>"


def parse_url(text: str, base: ParsedURL | None = None) -> ParsedURL:
    """Parse `text` (relative to `base`, for redirects) as the URL Standard does.

    Raises FetchRefused for anything fetch cannot use: not a URL, a scheme other than http or
    https. Credentials are reported (`has_credentials`), not refused here: that is the policy's
    decision.
    """
    cleaned = text.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(cleaned)
    if match is None and base is None:
        raise FetchRefused("invalid URL: not an absolute URL")
    if match is not None and match.group(1).lower() not in DEFAULT_PORTS:
        raise FetchRefused(
            f"unsupported URL scheme '{shown(match.group(1).lower())}:' (only http and https)"
        )
    try:
        url = ada_url.URL(text, base.href if base is not None else None)
    except ValueError:
        raise FetchRefused(f"invalid URL: {_fault(cleaned)}") from None
    scheme = url.protocol[:-1]
    if scheme not in DEFAULT_PORTS:  # not reachable from an http(s) base; kept as a guard
        raise FetchRefused(f"unsupported URL scheme '{shown(scheme)}:' (only http and https)")
    return _parsed(url, scheme)


def _parsed(url: ada_url.URL, scheme: str) -> ParsedURL:
    href = url.href
    # The serialised path and query: from the first "/" after "scheme://host[:port]" (userinfo
    # and host cannot hold one) to the fragment ("#" is escaped everywhere before it). Read from
    # `href`, so that an empty query ("?") stays apart from none.
    target = href.split("#", 1)[0]
    target = target[target.index("/", len(scheme) + 3) :]
    path, mark, query = target.partition("?")
    host = url.hostname  # serialised: `[::1]` keeps its brackets
    hostname = host[1:-1] if host.startswith("[") else host
    return ParsedURL(
        scheme=scheme,
        host=host,
        hostname=hostname,
        address=ipaddress.ip_address(hostname) if url.host_type in _IP_HOSTS else None,
        port=int(url.port) if url.port else None,
        path=path,
        query=query if mark else None,
        has_credentials=bool(url.username or url.password),
    )


def parse_host(text: str) -> tuple[str, IPAddress | None]:
    """A host alone (`Example.COM`, `127.1`, `[::1]`), parsed as a URL's host would be:
    (serialised host, address if a literal). ValueError if it is not one host."""
    if text == "" or any(c in text for c in "/?#@\\"):
        raise ValueError("not a host")
    if (text.startswith("[") and not text.endswith("]")) or (
        not text.startswith("[") and ":" in text
    ):
        raise ValueError("not a host")
    try:
        url = ada_url.URL(f"http://{text}/")
    except ValueError:
        raise ValueError("not a host") from None
    host = url.hostname
    bare = host[1:-1] if host.startswith("[") else host
    return host, ipaddress.ip_address(bare) if url.host_type in _IP_HOSTS else None


# -- the words of a refusal ------------------------------------------------------------------------
# ada says only that a URL does not parse. Which part is at fault is told here, for the reason
# code reads ("bad IPv4 address", ...); the decision stays ada's.


def _fault(text: str) -> str:
    match = _SCHEME.match(text)
    rest = text[match.end() :] if match else text
    rest = rest.lstrip("/\\")
    end = len(rest)
    for i, ch in enumerate(rest):
        if ch in "/\\?#":
            end = i
            break
    authority = rest[:end]
    authority = authority[authority.rfind("@") + 1 :]
    host, port = authority, ""
    colon = authority.rfind(":")
    if colon > authority.rfind("]"):
        host, port = authority[:colon], authority[colon + 1 :]
    if host == "":
        return "empty host"
    if port and not (port.isascii() and port.isdigit()):
        return "bad port"
    if port and int(port) > 65535:
        return "port out of range"
    if host.startswith("["):
        return "bad IPv6 address"
    if _ends_in_number(host):
        return f"bad IPv4 address '{shown(host)}'"
    return "bad host name"


def _ends_in_number(host: str) -> bool:
    """The URL Standard's "ends in a number": the last label (a trailing dot aside) is digits or
    a 0x-hex number, so the host must parse as IPv4."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last != "" and last.isascii() and last.isdigit():
        return True
    return last[:2].lower() == "0x" and all(c in "0123456789abcdefABCDEF" for c in last[2:])
