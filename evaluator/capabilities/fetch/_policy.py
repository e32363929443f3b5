"""The network policy of fetch: which URLs and addresses the sandbox may reach.

Everything here is a decision on a parsed URL (`_url.py`) and on addresses
(`_addresses.py` says which are not public); the one I/O, name resolution, is an injected async
resolver, so tests can answer with any address they like (a private one for a public-looking
name, or one address then another, as a rebinding DNS server would) without sending a packet.
The transport (`_transport.py`) calls `check_url` and `addresses` for every request and every
redirect hop, and connects to the addresses returned and nothing else.

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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from evaluator.capabilities.fetch._addresses import (
    address_refusal,
    bare_host,
    embedded_ipv4,
    name_refusal,
)
from evaluator.capabilities.fetch._failures import FetchRefused, shown
from evaluator.capabilities.fetch._url import IPAddress, ParsedURL, parse_host

__all__ = ["NetPolicy", "Resolver", "parse_entries"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# resolver(hostname, port) -> the addresses it resolves to (textual IPv4/IPv6, no brackets).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class _Entries:
    hosts: frozenset[str]
    host_ports: frozenset[tuple[str, int]]
    networks: tuple[IPNetwork, ...]

    def matches_host(self, host: str, port: int) -> bool:
        name = bare_host(host)
        return name in self.hosts or (name, port) in self.host_ports

    def matches_address(self, address: IPAddress, embedded: bool) -> bool:
        candidates: list[IPAddress] = [address]
        inner = embedded_ipv4(address) if embedded else None
        if inner is not None:
            candidates.append(inner)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


def _normalise_entry_host(text: str, setting: str) -> str:
    try:
        host, _ = parse_host(text)
    except ValueError:
        raise ValueError(f"{setting}: '{shown(text)}' is not a host name or address") from None
    return bare_host(host)


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
                raise ValueError(f"{setting}: '{shown(entry)}' is not a CIDR") from None
            continue
        host_text, port_text = entry, None
        if entry.startswith("["):
            close = entry.find("]")
            if close < 0 or (
                entry[close + 1 :] not in ("",) and not entry[close + 1 :].startswith(":")
            ):
                raise ValueError(f"{setting}: '{shown(entry)}' is not a host or host:port")
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
            raise ValueError(f"{setting}: '{shown(entry)}' has a bad port")
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
            raise FetchRefused(f"host '{shown(url.host)}' is denied by the network policy")
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
