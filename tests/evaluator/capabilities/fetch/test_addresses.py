"""Address classification (`_addresses.py`): what is not public unicast, and why."""

from __future__ import annotations

import ipaddress

import pytest

from evaluator.capabilities.fetch._addresses import address_refusal

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique local"),
        ("fd12:3456::1", "unique local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "mapped form of a private"),
        ("::ffff:169.254.169.254", "mapped form of a link-local"),
        ("::7f00:1", "compatible"),
        ("64:ff9b::7f00:1", "NAT64 form of a loopback"),
        ("64:ff9b:1::1", "local NAT64"),
        ("2002:7f00:1::", "6to4 form of a loopback"),
        ("2001:db8::1", "documentation"),
        ("2001::1", "reserved"),
        ("4000::1", "reserved"),
    ],
)
def test_addresses_that_are_not_public_unicast_are_refused(address: str, why: str) -> None:
    reason = address_refusal(ipaddress.ip_address(address))
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None
