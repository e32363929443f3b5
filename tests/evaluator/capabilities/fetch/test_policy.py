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


# -- address entries match the address connected to (SPEC section 5, v4) --------------------------

DNS = "8.8.8.8"


@pytest.mark.parametrize("entry", [DNS, f"{DNS}:8080", "[::ffff:8.8.8.8]", "[::ffff:808:808]:8080"])
@pytest.mark.parametrize(
    "url",
    [
        f"http://{DNS}:8080/",
        "http://[::ffff:8.8.8.8]:8080/",
        "http://[::ffff:808:808]:8080/",
        "http://[::8.8.8.8]:8080/",
        "http://[64:ff9b::808:808]:8080/",
        "http://134744072:8080/",
        "http://0x8.8.8.8:8080/",
    ],
)
def test_a_deny_address_entry_refuses_every_form_of_the_address(entry: str, url: str) -> None:
    resolver = StubResolver({})
    reason = refusal(NetPolicy(deny=[entry], resolver=resolver), url)
    assert reason.endswith("is denied by the network policy"), reason
    assert resolver.calls == []


@pytest.mark.parametrize("entry", [DNS, f"{DNS}:8080", "[::ffff:8.8.8.8]"])
@pytest.mark.parametrize(
    "answers",
    [[DNS], ["::ffff:8.8.8.8"], ["::8.8.8.8"], ["64:ff9b::808:808"], ["2002:808:808::1"],
     ["1.1.1.1", DNS]],
)
def test_a_deny_address_entry_refuses_names_that_resolve_to_it(
    entry: str, answers: list[str]
) -> None:
    resolver = StubResolver({"dns.example": [answers]})
    reason = refusal(NetPolicy(deny=[entry], resolver=resolver), "http://dns.example:8080/")
    assert reason == "no allowed address for host 'dns.example'"


def test_a_deny_address_entry_with_a_port_refuses_that_port_only() -> None:
    resolver = StubResolver({"dns.example": [[DNS]]})
    policy = NetPolicy(deny=[f"{DNS}:8080"], resolver=resolver)
    assert "denied" in refusal(policy, "http://[::ffff:8.8.8.8]:8080/")
    assert "no allowed address" in refusal(policy, "http://dns.example:8080/")
    assert addresses(policy, "http://dns.example:8081/") == (DNS,)
    assert addresses(policy, f"http://{DNS}/") == (DNS,)


def test_an_ipv6_deny_entry_matches_the_address_as_resolved() -> None:
    resolver = StubResolver({"v6.example": [["2606:4700:4700::1111"]]})
    policy = NetPolicy(deny=["[2606:4700:4700::1111]"], resolver=resolver)
    assert "denied" in refusal(policy, "http://[2606:4700:4700:0:0:0:0:1111]/")
    assert "no allowed address" in refusal(policy, "http://v6.example/")


def test_an_allow_address_entry_opens_names_that_resolve_to_it_and_its_mapped_form() -> None:
    resolver = StubResolver({
        "svc.example": [["10.1.2.3"]],
        "mapped.example": [["::ffff:10.1.2.3"]],
        "compat.example": [["::10.1.2.3"]],
        "nat64.example": [["64:ff9b::a01:203"]],
        "other.example": [["10.1.2.4"]],
    })
    policy = NetPolicy(allow=["10.1.2.3:8080"], resolver=resolver)
    assert addresses(policy, "http://svc.example:8080/") == ("10.1.2.3",)
    assert addresses(policy, "http://mapped.example:8080/") == ("::ffff:a01:203",)
    assert addresses(policy, "http://[::ffff:10.1.2.3]:8080/") == ("::ffff:a01:203",)
    # The compatible and NAT64 forms route elsewhere: the default classification refuses them.
    for name in ("compat.example", "nat64.example", "other.example"):
        assert "no allowed address" in refusal(policy, f"http://{name}:8080/")
    assert "no allowed address" in refusal(policy, "http://svc.example:8081/")  # another port
    assert "refused" in refusal(policy, "http://[::10.1.2.3]:8080/")


def test_an_allow_cidr_matches_mapped_answers_too() -> None:
    resolver = StubResolver({"mapped.example": [["::ffff:10.9.0.5"]]})
    policy = NetPolicy(allow=["10.9.0.0/16"], resolver=resolver)
    assert addresses(policy, "http://mapped.example/") == ("::ffff:a09:5",)


def test_an_allowed_address_does_not_open_local_names() -> None:
    # `localhost` is refused by name before resolution: an allowed 127.0.0.1 does not open it.
    resolver = StubResolver({"localhost": [["127.0.0.1"]]})
    assert "local or metadata name" in refusal(
        NetPolicy(allow=["127.0.0.1:8080"], resolver=resolver), "http://localhost:8080/"
    )
    assert resolver.calls == []


# -- bad ports (Fetch standard "port blocking") ---------------------------------------------------


@pytest.mark.parametrize("port", [0, 1, 22, 25, 53, 110, 143, 465, 587, 993, 2049, 5060, 6000, 6566, 6667, 6697, 10080])
def test_bad_ports_are_refused_before_resolving(port: int) -> None:
    resolver = StubResolver({"mail.example": [[PUBLIC]]})
    policy = NetPolicy(resolver=resolver)
    for url in (f"http://mail.example:{port}/", f"https://{PUBLIC}:{port}/"):
        assert refusal(policy, url) == f"port {port} is refused by the network policy (a bad port)"
    assert resolver.calls == []


def test_the_bad_port_table_is_the_fetch_standards() -> None:
    from evaluator.capabilities.fetch._rules import BAD_PORTS

    assert len(BAD_PORTS) == 83
    assert {0, 25, 587, 4190, 6000, 6679, 10080} <= BAD_PORTS
    assert not {80, 443, 8080, 8443, 3000, 5432} & BAD_PORTS


def test_only_an_allow_entry_naming_host_and_port_opens_a_bad_port() -> None:
    resolver = StubResolver({"mail.example": [[PUBLIC]]})
    named = NetPolicy(allow=["mail.example:25", f"{PUBLIC}:587", "[::ffff:127.0.0.1]:25"], resolver=resolver)
    assert addresses(named, "http://mail.example:25/") == (PUBLIC,)
    assert addresses(named, f"http://{PUBLIC}:587/") == (PUBLIC,)
    assert addresses(named, "http://127.1:25/") == ("127.0.0.1",)
    assert "bad port" in refusal(named, "http://mail.example:587/")
    # A bare host, a CIDR or an address entry without the port opens no bad port.
    for allow in (["mail.example"], [PUBLIC], ["0.0.0.0/0"], [f"{PUBLIC}:25"]):
        policy = NetPolicy(allow=allow, resolver=resolver)
        assert "bad port" in refusal(policy, "http://mail.example:25/"), allow
    assert "bad port" in refusal(NetPolicy(allow=[PUBLIC]), f"http://{PUBLIC}:25/")


def test_a_deny_entry_still_beats_an_allowed_bad_port() -> None:
    policy = NetPolicy(allow=["127.0.0.1:25"], deny=["127.0.0.0/8"])
    assert "denied" in refusal(policy, "http://127.0.0.1:25/")
