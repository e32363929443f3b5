"""The network policy, decided without a packet: allow/deny entries, names, resolution.

Names are answered by stub resolvers (a public-looking name answering a private address, a
rebinding name answering public then private), so nothing here resolves or connects.
"""

from __future__ import annotations

import asyncio

import pytest

from evaluator.capabilities.fetch._failures import FetchRefused
from evaluator.capabilities.fetch._policy import NetPolicy
from evaluator.capabilities.fetch._url import parse_url
from tests.support import StubResolver

PUBLIC = "93.184.216.34"


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
