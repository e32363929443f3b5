"""The network policy, decided without a packet: URL parsing, classification, allow/deny.

Names are answered by stub resolvers (a public-looking name answering a private address, a
rebinding name answering public then private), so nothing here resolves or connects.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from evaluator.capabilities.fetch._policy import FetchRefused, NetPolicy, address_refusal, parse_url
from tests.support import StubResolver

PUBLIC = "93.184.216.34"


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


def addresses(policy: NetPolicy, url: str) -> tuple[str, ...]:
    return asyncio.run(policy.addresses(parse_url(url)))


def refusal(policy: NetPolicy, url: str) -> str:
    with pytest.raises(FetchRefused) as caught:
        addresses(policy, url)
    return caught.value.reason


def test_a_public_looking_name_that_resolves_to_a_private_address_is_refused() -> None:
    resolver = StubResolver({"api.example.com": [["10.0.0.7"]]})
    reason = refusal(NetPolicy(resolver=resolver), "https://api.example.com/x")
    assert reason == "no allowed address for host 'api.example.com'"
    assert "10.0.0.7" not in reason  # never an oracle for internal DNS
    assert resolver.calls == ["api.example.com"]


def test_a_name_that_does_not_resolve_reads_like_one_that_resolves_privately() -> None:
    policy = NetPolicy(resolver=StubResolver({}))
    assert refusal(policy, "http://nowhere.example/") == "no allowed address for host 'nowhere.example'"


def test_every_answer_must_pass_not_just_one() -> None:
    resolver = StubResolver({"mixed.example": [[PUBLIC, "127.0.0.1"]]})
    assert "no allowed address" in refusal(NetPolicy(resolver=resolver), "http://mixed.example/")


def test_a_rebinding_resolver_is_checked_on_every_answer() -> None:
    # Public first (the check passes and these are the addresses to connect to), private
    # second: the second resolution is refused, it can never reuse the first check.
    resolver = StubResolver({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    policy = NetPolicy(resolver=resolver)
    assert addresses(policy, "http://rebind.example/") == (PUBLIC,)
    assert "no allowed address" in refusal(policy, "http://rebind.example/")
    assert resolver.calls == ["rebind.example", "rebind.example"]


def test_ip_literals_need_no_resolver_and_say_why_they_are_refused() -> None:
    resolver = StubResolver({})
    policy = NetPolicy(resolver=resolver)
    assert addresses(policy, f"http://{PUBLIC}/") == (PUBLIC,)
    assert "loopback" in refusal(policy, "http://0x7f000001/")
    assert "link-local" in refusal(policy, "http://169.254.169.254/latest/meta-data/")
    assert resolver.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata.google.internal./",
        "http://METADATA.GOOGLE.INTERNAL/",
        "http://metadata/",
        "http://instance-data/",
        "http://localhost/",
        "http://api.localhost/",
        "http://printer.local/",
        "http://router.home.arpa/",
    ],
)
def test_metadata_and_local_names_are_refused_before_resolving(url: str) -> None:
    resolver = StubResolver({})
    assert "refused by the network policy" in refusal(NetPolicy(resolver=resolver), url)
    assert resolver.calls == []


def test_credentials_are_refused_even_for_allowed_hosts() -> None:
    policy = NetPolicy(allow=["127.0.0.1"])
    assert "credentials" in refusal(policy, "http://ok@127.0.0.1/")
    assert "credentials" in refusal(policy, "http://user:pw@127.0.0.1/")


def test_allow_entries_match_the_normalised_host() -> None:
    policy = NetPolicy(allow=["127.0.0.1:8080"])
    assert addresses(policy, "http://127.1:8080/") == ("127.0.0.1",)
    assert addresses(policy, "http://2130706433:8080/") == ("127.0.0.1",)
    assert "loopback" in refusal(policy, "http://127.0.0.1:8081/")  # another port
    assert "refused" in refusal(policy, "http://localhost:8080/")  # another host


def test_allow_by_host_name_opens_its_addresses() -> None:
    resolver = StubResolver({"intranet.example": [["10.1.2.3"]]})
    policy = NetPolicy(allow=["Intranet.Example"], resolver=resolver)
    assert addresses(policy, "http://intranet.example/") == ("10.1.2.3",)


def test_allow_by_cidr_matches_resolved_addresses() -> None:
    resolver = StubResolver({"svc.example": [["10.9.0.5"]], "other.example": [["10.8.0.5"]]})
    policy = NetPolicy(allow=["10.9.0.0/16"], resolver=resolver)
    assert addresses(policy, "http://svc.example/") == ("10.9.0.5",)
    assert "no allowed address" in refusal(policy, "http://other.example/")


def test_deny_beats_allow_and_matches_embedded_ipv4() -> None:
    resolver = StubResolver({"evil.example": [["::ffff:" + PUBLIC]]})
    policy = NetPolicy(
        allow=["127.0.0.1", "evil.example"], deny=["127.0.0.1", "93.184.216.0/24"], resolver=resolver
    )
    assert "denied" in refusal(policy, "http://127.0.0.1/")
    assert "denied" in refusal(policy, f"http://{PUBLIC}/")
    assert "no allowed address" in refusal(policy, "http://evil.example/")


def test_deny_by_host_and_port() -> None:
    policy = NetPolicy(deny=["example.com:8443"], resolver=StubResolver({"example.com": [[PUBLIC]]}))
    assert "denied" in refusal(policy, "https://example.com:8443/")
    assert addresses(policy, "https://example.com/") == (PUBLIC,)


@pytest.mark.parametrize("entry", ["300.1.1.1/8", "exa mple.com", "host:99999", "host:port", "[::1"])
def test_bad_entries_fail_at_startup(entry: str) -> None:
    with pytest.raises(ValueError, match="JSEVAL_FETCH_ALLOW"):
        NetPolicy(allow=[entry])
