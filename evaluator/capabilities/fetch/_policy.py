"""The network policy of fetch: which URLs and addresses the sandbox may reach.

Everything here is a decision on a parsed URL (`_url.py`) and on addresses
(`_addresses.py` says which are not public); the one I/O, name resolution, is an injected async
resolver, so tests can answer with any address they like (a private one for a public-looking
name, or one address then another, as a rebinding DNS server would) without sending a packet.
The transport (`_transport.py`) calls `check_url` and `addresses` for every request and every
redirect hop, and connects to the addresses returned and nothing else.

Decisions (docs/FETCH.md has the long form):
- deny beats allow, allow beats the default classification;
- a host-name entry matches the normalised host (`127.1` is `127.0.0.1`; a trailing dot is
  ignored; `localhost` is not `127.0.0.1`); `host:port` also needs the effective port;
- an address entry (`8.8.8.8`, `8.8.8.8:8080`, `[2001:db8::1]:443`) and a CIDR match the
  address connected to: the URL's literal address or every address its name resolves to, so
  a deny entry `8.8.8.8` refuses `http://[::ffff:8.8.8.8]/` and a name that resolves to 8.8.8.8.
  A deny entry also matches the IPv4 address carried by an IPv6 one (mapped, compatible, NAT64,
  6to4): refusing more is the safe side. An allow entry matches the address and its IPv4-mapped
  form, which is the same destination; the other forms route elsewhere and stay refused;
- the Fetch standard's bad ports (`_rules.BAD_PORTS`) are refused unless an allow entry names
  that very host and port (`127.0.0.1:25`): a CIDR or a bare host does not open them;
- every resolved address must pass, not just one: a name that answers one public and one private
  address is refused, so no choice of ours or the OS's can land on the private one;
- refusals of resolved names never say which address a name resolved to, and a name that does
  not resolve gets the same message as one that resolves only to refused addresses: fetch must
  not be an oracle for the server's internal DNS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from evaluator.capabilities.fetch._addresses import (
    address_refusal,
    bare_host,
    embedded_ipv4,
    mapped_ipv4,
    name_refusal,
)
from evaluator.capabilities.fetch._failures import FetchRefused, shown
from evaluator.capabilities.fetch._rules import BAD_PORTS
from evaluator.capabilities.fetch._url import IPAddress, ParsedURL, parse_host

__all__ = ["NetPolicy", "Resolver", "parse_entries"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# resolver(hostname, port) -> the addresses it resolves to (textual IPv4/IPv6, no brackets).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
# The IPv4 address another form of an address stands for (or None): which forms an entry list
# treats as equal to the IPv4 address they carry.
_Forms = Callable[[IPAddress], ipaddress.IPv4Address | None]


@dataclass(frozen=True, slots=True)
class _Entries:
    """One list of entries (JSEVAL_FETCH_ALLOW or _DENY), parsed.

    `networks` holds CIDRs (port None) and address entries (a one-address network, with the
    entry's port or None); `names`/`name_ports` the host-name entries. `forms` says which IPv6
    forms of an IPv4 address the list treats as that address.
    """

    names: frozenset[str]
    name_ports: frozenset[tuple[str, int]]
    networks: tuple[tuple[IPNetwork, int | None], ...]
    forms: _Forms

    def matches_name(self, host: str, port: int) -> bool:
        name = bare_host(host)
        return name in self.names or (name, port) in self.name_ports

    def _candidates(self, address: IPAddress) -> list[IPAddress]:
        inner = self.forms(address)
        return [address] if inner is None else [address, inner]

    def matches_address(self, address: IPAddress, port: int) -> bool:
        return any(
            a.version == network.version and a in network and wanted in (None, port)
            for a in self._candidates(address)
            for network, wanted in self.networks
        )

    def names_port(self, url: ParsedURL, port: int) -> bool:
        """Whether an entry names this very host and port (`host:port`, `address:port`)."""
        if url.address is None:
            return (bare_host(url.host), port) in self.name_ports
        return any(
            wanted == port and network.num_addresses == 1 and a in network
            for a in self._candidates(url.address)
            for network, wanted in self.networks
            if a.version == network.version
        )


def _normalise_entry_host(text: str, setting: str) -> tuple[str, IPAddress | None]:
    try:
        host, address = parse_host(text)
    except ValueError:
        raise ValueError(f"{setting}: '{shown(text)}' is not a host name or address") from None
    return bare_host(host), address


def _split_port(entry: str, setting: str) -> tuple[str, str | None]:
    """`host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address -> (host, port text)."""
    if entry.startswith("["):
        close = entry.find("]")
        rest = entry[close + 1 :] if close >= 0 else ""
        if close < 0 or (rest and not rest.startswith(":")):
            raise ValueError(f"{setting}: '{shown(entry)}' is not a host or host:port")
        return entry[: close + 1], (rest[1:] if rest else None)
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, port
    if entry.count(":") > 1:
        return f"[{entry}]", None
    return entry, None


def parse_entries(entries: Iterable[str], setting: str, forms: _Forms) -> _Entries:
    """JSEVAL_FETCH_ALLOW / _DENY entries: `host`, `host:port`, `[v6]:port`, or a CIDR.

    An address written in a form `forms` reads as IPv4 (`[::ffff:8.8.8.8]`) is kept as that
    IPv4 address, so it matches the address however it is later written or resolved."""
    names: set[str] = set()
    name_ports: set[tuple[str, int]] = set()
    networks: list[tuple[IPNetwork, int | None]] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        if "/" in entry:
            try:
                networks.append((ipaddress.ip_network(entry, strict=False), None))
            except ValueError:
                raise ValueError(f"{setting}: '{shown(entry)}' is not a CIDR") from None
            continue
        host_text, port_text = _split_port(entry, setting)
        host, address = _normalise_entry_host(host_text, setting)
        port: int | None = None
        if port_text is not None:
            if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
                raise ValueError(f"{setting}: '{shown(entry)}' has a bad port")
            port = int(port_text)
        if address is not None:
            canonical = forms(address) or address
            networks.append((ipaddress.ip_network(canonical), port))
        elif port is None:
            names.add(host)
        else:
            name_ports.add((host, port))
    return _Entries(frozenset(names), frozenset(name_ports), tuple(networks), forms)


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
        self._allow = parse_entries(allow, "JSEVAL_FETCH_ALLOW", mapped_ipv4)
        self._deny = parse_entries(deny, "JSEVAL_FETCH_DENY", embedded_ipv4)
        self._resolver = resolver

    def check_url(self, url: ParsedURL) -> ParsedURL:
        """Everything decidable without resolving: credentials, deny entries, bad ports, names,
        literal addresses. Returns `url` so calls chain."""
        if url.has_credentials:
            raise FetchRefused("URLs with credentials (user:password@) are refused")
        port = url.effective_port
        if self._deny.matches_name(url.host, port):
            raise FetchRefused(f"host '{shown(url.host)}' is denied by the network policy")
        if url.address is not None and self._deny.matches_address(url.address, port):
            raise FetchRefused(f"address {url.host} is denied by the network policy")
        if port in BAD_PORTS and not self._allow.names_port(url, port):
            raise FetchRefused(f"port {port} is refused by the network policy (a bad port)")
        if url.address is not None:
            self._check_address(url, url.address)
            return url
        if not self._allow.matches_name(url.host, port):
            why = name_refusal(url.host)
            if why is not None:
                raise FetchRefused(why)
        return url

    def _check_address(self, url: ParsedURL, address: IPAddress) -> None:
        """Refuse `address` for `url` (literal or resolved); the message depends on which."""
        literal = url.address is not None
        port = url.effective_port
        if self._deny.matches_address(address, port):
            if literal:
                raise FetchRefused(f"address {url.host} is denied by the network policy")
            raise self._no_address(url)
        if literal and self._allow.matches_address(address, port):
            return
        if not literal and (
            self._allow.matches_name(url.host, port) or self._allow.matches_address(address, port)
        ):
            return
        why = address_refusal(address)
        if why is not None:
            if literal:
                raise FetchRefused(f"{url.host} is {why}, refused by the network policy")
            raise self._no_address(url)

    @staticmethod
    def _no_address(url: ParsedURL) -> FetchRefused:
        # Same words for "does not resolve" and "resolves only to refused addresses": no oracle.
        return FetchRefused(f"no allowed address for host '{shown(url.host)}'")

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
