"""The network policy of fetch: which URLs and addresses the sandbox may reach (SPEC section 5).

Everything here is a computation: URL parsing and normalisation (WHATWG's, for the two schemes
fetch accepts), the classification of addresses, and the operator's allow/deny entries. The one
I/O, name resolution, is an injected async resolver, so tests can answer with any address they
like (a private one for a public-looking name, or one address then another, as a rebinding DNS
server would) without sending a packet.

Why the parser is ours and WHATWG's: the host that is checked must be the host that is
connected to. A URL parser that reads `http://127.1/`, `http://0x7f000001/` or `http://ok@evil/`
differently from the browser-shaped code that wrote it is how SSRF filters are bypassed, so the
URL is parsed once, here, by the algorithm the JavaScript side assumes, and what is checked
(`ParsedURL.hostname`, the resolved addresses) is exactly what `_session.py` connects to.

Decisions (docs/FETCH.md has the long form):
- deny beats allow, allow beats the default classification;
- a host entry matches the normalised host (`127.1` matches `127.0.0.1`; a trailing dot is
  ignored; `localhost` is not `127.0.0.1`); `host:port` also needs the effective port; a CIDR
  matches a resolved (or literal) address; a deny CIDR also matches an IPv4 address embedded in
  an IPv6 one (mapped, compatible, NAT64, 6to4), an allow CIDR only the address as resolved;
- every resolved address must pass, not just one: a name that answers one public and one private
  address is refused, so no choice of ours or the OS's can land on the private one;
- refusals of resolved names never say which address a name resolved to, and a name that does
  not resolve gets the same message as one that resolves only to refused addresses: fetch must
  not be an oracle for the server's internal DNS.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import idna

__all__ = [
    "FetchRefused",
    "NetPolicy",
    "ParsedURL",
    "Resolver",
    "address_refusal",
    "parse_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# resolver(hostname, port) -> the addresses it resolves to (textual IPv4/IPv6, no brackets).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_SHOWN = 60  # longest piece of user input quoted in a reason


class FetchRefused(Exception):
    """A fetch the policy (or URL parsing) refuses; `reason` is the public text after
    `fetch failed: `. Never leaves evaluator.capabilities.fetch, which turns it into a rejection."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _shown(text: str) -> str:
    """User input quoted in a reason: short, printable."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


# -- URL parsing (WHATWG URL Standard, special schemes only) -------------------------------------

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_SLASHES = "/\\"

# Percent-encode sets (URL Standard 1.3): bytes above 0x7E are always encoded.
_C0 = frozenset(range(0x20)) | {0x7F}
_QUERY_SET = _C0 | frozenset(b' "#<>')
_SPECIAL_QUERY_SET = _QUERY_SET | {ord("'")}
_PATH_SET = _QUERY_SET | frozenset(b"?^`{}")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(i) for i in range(0x20)) | {"%", "\x7f"}


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


def _percent_encode(text: str, encode_set: frozenset[int]) -> str:
    out: list[str] = []
    for byte in text.encode("utf-8", "surrogatepass"):
        if byte in encode_set or byte > 0x7E:
            out.append(f"%{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def _percent_decode(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == 0x25 and _is_hex(data[i + 1 : i + 3]):
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def _ipv4_number(part: str) -> int:
    """One part of a WHATWG IPv4 address: decimal, 0x-hex or 0-octal."""
    if part == "":
        raise ValueError("empty")
    radix = 10
    if len(part) >= 2 and part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if part == "":
        return 0
    digits = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[radix]
    if any(c not in digits for c in part):
        raise ValueError("not a number")
    return int(part, radix)


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last != "" and all(c in "0123456789" for c in last):
        return True
    try:
        _ipv4_number(last)
    except ValueError:
        return False
    return True


def _parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """The WHATWG IPv4 parser: 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 are 127.0.0.1."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4 or any(p == "" for p in parts):
        raise FetchRefused(f"invalid URL: bad IPv4 address '{_shown(host)}'")
    try:
        numbers = [_ipv4_number(p) for p in parts]
    except ValueError:
        raise FetchRefused(f"invalid URL: bad IPv4 address '{_shown(host)}'") from None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise FetchRefused(f"invalid URL: bad IPv4 address '{_shown(host)}'")
    value = numbers[-1]
    for index, n in enumerate(numbers[:-1]):
        value += n * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    # Zone ids ("%eth0") are not URL syntax; ipaddress would accept them.
    if text == "" or any(c not in "0123456789abcdefABCDEF:." for c in text):
        raise FetchRefused("invalid URL: bad IPv6 address")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise FetchRefused("invalid URL: bad IPv6 address") from None


def _serialize_ipv6(address: ipaddress.IPv6Address) -> str:
    """WHATWG serialisation: the first longest run (2+) of zero pieces compressed, no IPv4 tail."""
    pieces = [int.from_bytes(address.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_len, start = -1, 1, -1
    for i in range(9):
        if i < 8 and pieces[i] == 0:
            if start < 0:
                start = i
        elif start >= 0:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = -1
    out = ""
    i = 0
    while i < 8:
        if i == best_start:
            out += "::" if i == 0 else ":"
            i += best_len
            continue
        out += f"{pieces[i]:x}" + (":" if i < 7 else "")
        i += 1
    return out


def _domain_to_ascii(domain: str) -> str:
    """UTS 46 processing as the URL Standard asks (non-transitional, no STD3 rules)."""
    if domain.isascii():
        ascii_domain = domain.lower()
    else:
        try:
            mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
            labels = []
            for label in mapped.split("."):
                labels.append(
                    label if label.isascii() else "xn--" + label.encode("punycode").decode()
                )
            ascii_domain = ".".join(labels).lower()
        except (idna.IDNAError, UnicodeError, ValueError):
            raise FetchRefused("invalid URL: bad host name") from None
    for label in ascii_domain.split("."):
        if label[:4] == "xn--":
            try:
                label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                raise FetchRefused("invalid URL: bad host name") from None
    return ascii_domain


def _parse_host(text: str) -> tuple[str, str, IPAddress | None]:
    """(serialised host, hostname to connect to, address if a literal) for a special URL."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise FetchRefused("invalid URL: bad IPv6 address")
        v6 = _parse_ipv6(text[1:-1])
        serialized = _serialize_ipv6(v6)
        return f"[{serialized}]", serialized, v6
    if text == "":
        raise FetchRefused("invalid URL: empty host")
    domain = _percent_decode(text).decode("utf-8", "replace")
    ascii_domain = _domain_to_ascii(domain)
    if ascii_domain == "" or any(c in _FORBIDDEN_DOMAIN for c in ascii_domain):
        raise FetchRefused("invalid URL: bad host name")
    if _ends_in_number(ascii_domain):
        v4 = _parse_ipv4(ascii_domain)
        return str(v4), str(v4), v4
    return ascii_domain, ascii_domain, None


def _split_rest(text: str) -> tuple[str, str | None]:
    """(path part, raw query or None); a fragment is dropped (it is never sent)."""
    hash_at = text.find("#")
    if hash_at >= 0:
        text = text[:hash_at]
    query_at = text.find("?")
    if query_at >= 0:
        return text[:query_at], text[query_at + 1 :]
    return text, None


def _is_single_dot(segment: str) -> bool:
    return segment.lower() in (".", "%2e")


def _is_double_dot(segment: str) -> bool:
    return segment.lower() in ("..", ".%2e", "%2e.", "%2e%2e")


def _build_path(segments: list[str], relative: str) -> str:
    parts = re.split(r"[/\\]", relative)
    for index, raw in enumerate(parts):
        last = index == len(parts) - 1
        if _is_double_dot(raw):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif _is_single_dot(raw):
            if last:
                segments.append("")
        else:
            segments.append(_percent_encode(raw, _PATH_SET))
    return "/" + "/".join(segments)


def _query(raw: str | None) -> str | None:
    return None if raw is None else _percent_encode(raw, _SPECIAL_QUERY_SET)


def _parse_authority(scheme: str, text: str) -> ParsedURL:
    end = len(text)
    for i, ch in enumerate(text):
        if ch in "/\\?#":
            end = i
            break
    authority, rest = text[:end], text[end:]
    credentials = False
    at = authority.rfind("@")
    if at >= 0:
        userinfo = authority[:at]
        authority = authority[at + 1 :]
        credentials = userinfo not in ("", ":")
    # host[:port]; a colon inside [...] belongs to the IPv6 address.
    port_text: str | None = None
    bracket_end = authority.rfind("]")
    colon = authority.rfind(":")
    if colon > bracket_end:
        authority, port_text = authority[:colon], authority[colon + 1 :]
    host, hostname, address = _parse_host(authority)
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not port_text.isascii():
            raise FetchRefused("invalid URL: bad port")
        port = int(port_text)
        if port > 65535:
            raise FetchRefused("invalid URL: port out of range")
        if port == DEFAULT_PORTS[scheme]:
            port = None
    path_text, query = _split_rest(rest)
    path_text = path_text[1:] if path_text[:1] in ("/", "\\") else path_text
    return ParsedURL(
        scheme=scheme,
        host=host,
        hostname=hostname,
        address=address,
        port=port,
        path=_build_path([], path_text),
        query=_query(query),
        has_credentials=credentials,
    )


def _parse_relative(scheme: str, text: str, base: ParsedURL) -> ParsedURL:
    if text[:1] in ("/", "\\") and text[1:2] in ("/", "\\") and len(text) >= 2:
        return _parse_authority(scheme, text.lstrip(_SLASHES))
    path_text, query = _split_rest(text)
    if text[:1] in ("/", "\\"):
        path = _build_path([], path_text[1:])
        new_query = _query(query)
    elif path_text == "":
        path = base.path
        # "?x" replaces the query, "" and "#x" keep the base's.
        new_query = _query(query) if "?" in text.split("#", 1)[0] else base.query
    else:
        segments = base.path[1:].split("/")
        segments.pop()
        path = _build_path(segments, path_text)
        new_query = _query(query)
    return ParsedURL(
        scheme=scheme,
        host=base.host,
        hostname=base.hostname,
        address=base.address,
        port=base.port,
        path=path,
        query=new_query,
        has_credentials=False,
    )


def parse_url(text: str, base: ParsedURL | None = None) -> ParsedURL:
    """Parse `text` (relative to `base`, for redirects) as the URL Standard does.

    Raises FetchRefused for anything fetch cannot use: not a URL, a scheme other than http or
    https. Credentials are reported (`has_credentials`), not refused here: that is the policy's
    decision.
    """
    text = text.strip(_C0_OR_SPACE)
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(text)
    if match is None:
        if base is None:
            raise FetchRefused("invalid URL: not an absolute URL")
        return _parse_relative(base.scheme, text, base)
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused(f"unsupported URL scheme '{_shown(scheme)}:' (only http and https)")
    if base is not None and base.scheme == scheme:
        return _parse_relative(scheme, rest, base)
    return _parse_authority(scheme, rest.lstrip(_SLASHES))


# -- address classification ----------------------------------------------------------------------


def _nets(*specs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), why) for cidr, why in specs)


# Every IPv4 range that is not public unicast (IANA special-purpose registry), with the reason.
_IPV4_REFUSED = _nets(
    ("0.0.0.0/8", "an unspecified (this-network) address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (CGNAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved (IETF protocol) address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.31.196.0/24", "a reserved (AS112) address"),
    ("192.52.193.0/24", "a reserved (AMT) address"),
    ("192.88.99.0/24", "a reserved (6to4 relay) address"),
    ("192.168.0.0/16", "a private address"),
    ("192.175.48.0/24", "a reserved (AS112) address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),  # includes 255.255.255.255, broadcast
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_IPV6_REFUSED = _nets(
    ("2001::/23", "a reserved (IETF protocol) address"),  # Teredo, ORCHID, benchmarking, ...
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
)
_V6_OUTSIDE = _nets(
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local NAT64 address"),
    ("100::/64", "a discard address"),
    ("fc00::/7", "a unique local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    value = int(address)
    if address in _MAPPED or address in _NAT64 or (address in _COMPATIBLE and value > 1):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why `address` is not public unicast (\"a loopback address\"), or None if it is."""
    if isinstance(address, ipaddress.IPv4Address):
        for network, why in _IPV4_REFUSED:
            if address in network:
                return why
        return None
    inner = embedded_ipv4(address)
    if address in _COMPATIBLE and inner is not None:
        return "an IPv4-compatible IPv6 address (deprecated)"
    if inner is not None:
        inner_why = address_refusal(inner)
        if inner_why is None:
            return None
        if address in _NAT64:
            return f"a NAT64 form of {inner_why}"
        if address in _SIX_TO_FOUR:
            return f"a 6to4 form of {inner_why}"
        return f"an IPv4-mapped form of {inner_why}"
    for network, why in _V6_OUTSIDE:
        if address in network:
            return why
    if address not in _GLOBAL_UNICAST_V6:
        return "a reserved address"
    for network, why in _IPV6_REFUSED:
        if address in network:
            return why
    return None


# Names refused before any resolution: cloud metadata services and names that are local by
# definition (RFC 6761 localhost, RFC 6762 .local, ICANN's .internal, RFC 8375 home.arpa).
_REFUSED_NAMES = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_REFUSED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


def _bare(host: str) -> str:
    """A host without its one trailing dot: `example.com.` and `example.com` are one host."""
    return host[:-1] if host.endswith(".") and len(host) > 1 else host


def name_refusal(host: str) -> str | None:
    name = _bare(host)
    if name in _REFUSED_NAMES or name.endswith(_REFUSED_SUFFIXES):
        return f"host '{_shown(name)}' is refused by the network policy (local or metadata name)"
    return None


# -- allow / deny entries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entries:
    hosts: frozenset[str]
    host_ports: frozenset[tuple[str, int]]
    networks: tuple[IPNetwork, ...]

    def matches_host(self, host: str, port: int) -> bool:
        name = _bare(host)
        return name in self.hosts or (name, port) in self.host_ports

    def matches_address(self, address: IPAddress, embedded: bool) -> bool:
        candidates: list[IPAddress] = [address]
        inner = embedded_ipv4(address) if embedded else None
        if inner is not None:
            candidates.append(inner)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


def _normalise_entry_host(text: str, setting: str) -> str:
    try:
        host, _, _ = _parse_host(text)
    except FetchRefused:
        raise ValueError(f"{setting}: '{_shown(text)}' is not a host name or address") from None
    return _bare(host)


def parse_entries(entries: Iterable[str], setting: str) -> _Entries:
    """JSEVAL_FETCH_ALLOW / _DENY entries: `host`, `host:port`, `[v6]:port`, or a CIDR."""
    hosts: set[str] = set()
    host_ports: set[tuple[str, int]] = set()
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{setting}: '{_shown(entry)}' is not a CIDR") from None
            continue
        host_text, port_text = entry, None
        if entry.startswith("["):
            close = entry.find("]")
            if close < 0 or (
                entry[close + 1 :] not in ("",) and not entry[close + 1 :].startswith(":")
            ):
                raise ValueError(f"{setting}: '{_shown(entry)}' is not a host or host:port")
            host_text = entry[: close + 1]
            port_text = entry[close + 2 :] if entry[close + 1 :] else None
        elif entry.count(":") == 1:
            host_text, port_text = entry.split(":")
        elif entry.count(":") > 1:
            host_text = f"[{entry}]"
        host = _normalise_entry_host(host_text, setting)
        if port_text is None:
            hosts.add(host)
            continue
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            raise ValueError(f"{setting}: '{_shown(entry)}' has a bad port")
        host_ports.add((host, int(port_text)))
    return _Entries(frozenset(hosts), frozenset(host_ports), tuple(networks))


def _parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])


class NetPolicy:
    """Decides whether fetch may reach a URL, and which addresses it may connect to.

    Usage:
        policy = NetPolicy(allow=["127.0.0.1:8080"], deny=["203.0.113.0/24"], resolver=resolve)
        url = policy.check_url(parse_url("http://127.1:8080/x"))   # FetchRefused if refused
        addresses = await policy.addresses(url)                    # checked; connect to these

    Args:
        allow: JSEVAL_FETCH_ALLOW entries (host, host:port, CIDR) that open exceptions.
        deny: JSEVAL_FETCH_DENY entries that add refusals; deny wins over allow.
        resolver: async (hostname, port) -> addresses; required for names (not IP literals).
    """

    def __init__(
        self,
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self._allow = parse_entries(allow, "JSEVAL_FETCH_ALLOW")
        self._deny = parse_entries(deny, "JSEVAL_FETCH_DENY")
        self._resolver = resolver

    def check_url(self, url: ParsedURL) -> ParsedURL:
        """Everything decidable without resolving: credentials, deny/allow hosts, names,
        literal addresses. Returns `url` so calls chain."""
        if url.has_credentials:
            raise FetchRefused("URLs with credentials (user:password@) are refused")
        port = url.effective_port
        if self._deny.matches_host(url.host, port):
            raise FetchRefused(f"host '{_shown(url.host)}' is denied by the network policy")
        if url.address is not None:
            self._check_address(url, url.address)
            return url
        if not self._allow.matches_host(url.host, port):
            why = name_refusal(url.host)
            if why is not None:
                raise FetchRefused(why)
        return url

    def _check_address(self, url: ParsedURL, address: IPAddress) -> None:
        """Refuse `address` for `url` (literal or resolved); the message depends on which."""
        literal = url.address is not None
        if self._deny.matches_address(address, embedded=True):
            if literal:
                raise FetchRefused(f"address {url.host} is denied by the network policy")
            raise self._no_address(url)
        if self._allow.matches_host(url.host, url.effective_port):
            return
        if self._allow.matches_address(address, embedded=False):
            return
        why = address_refusal(address)
        if why is not None:
            if literal:
                raise FetchRefused(f"{url.host} is {why}, refused by the network policy")
            raise self._no_address(url)

    @staticmethod
    def _no_address(url: ParsedURL) -> FetchRefused:
        # Same words for "does not resolve" and "resolves only to refused addresses": no oracle.
        return FetchRefused(f"no allowed address for host '{_shown(url.host)}'")

    async def addresses(self, url: ParsedURL) -> tuple[str, ...]:
        """The checked addresses of `url`'s host, in the resolver's order: connect to these
        and to nothing else (a second resolution could answer differently). Every address
        must pass, or the URL is refused."""
        self.check_url(url)
        if url.address is not None:
            return (url.hostname,)
        if self._resolver is None:
            raise self._no_address(url)
        try:
            answers = await self._resolver(url.hostname, url.effective_port)
        except FetchRefused:
            raise
        except (OSError, UnicodeError, ValueError):
            raise self._no_address(url) from None
        checked: list[str] = []
        for answer in answers:
            try:
                address = _parse_address(answer)
            except ValueError:
                raise self._no_address(url) from None
            self._check_address(url, address)
            text = str(address)
            if text not in checked:
                checked.append(text)
        if not checked:
            raise self._no_address(url)
        return tuple(checked)
