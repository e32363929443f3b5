"""Which addresses and host names fetch refuses by default: everything that is not public.

The tables are the IANA special-purpose address registries (IPv4 and IPv6) and the names that
are local by definition or serve cloud metadata. IPv6 forms that carry an IPv4 address (mapped,
compatible, NAT64, 6to4) are judged by the address they carry. Pure functions, no I/O: the
policy (`_policy.py`) decides with these and the operator's allow/deny entries.
"""

from __future__ import annotations

import ipaddress

from evaluator.capabilities.fetch._failures import shown
from evaluator.capabilities.fetch._url import IPAddress

__all__ = ["address_refusal", "bare_host", "embedded_ipv4", "mapped_ipv4", "name_refusal"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def mapped_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address of an IPv4-mapped IPv6 address (`::ffff:8.8.8.8`), if it is one.

    Unlike the other embedded forms, a mapped address is the same destination: a dual-stack
    socket connecting to `::ffff:8.8.8.8` opens an IPv4 connection to 8.8.8.8."""
    if isinstance(address, ipaddress.IPv6Address) and address in _MAPPED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
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


def bare_host(host: str) -> str:
    """A host without its one trailing dot: `example.com.` and `example.com` are one host."""
    return host[:-1] if host.endswith(".") and len(host) > 1 else host


def name_refusal(host: str) -> str | None:
    name = bare_host(host)
    if name in _REFUSED_NAMES or name.endswith(_REFUSED_SUFFIXES):
        return f"host '{shown(name)}' is refused by the network policy (local or metadata name)"
    return None
