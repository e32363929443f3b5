"""shims/core/05_host.js and 70_run.js: what the runtime keeps of host data, and the channels.

The host's rule tables reach the runtime at prepare, before any user code, and are kept as
null-prototype copies: a user's hook on Object.prototype cannot add to a table or answer for a
missing entry. Channel names come from the host at start, and a capability's channel records
leave in `channels`, never as a field of their own."""

from __future__ import annotations

from tests.support import call, value


def test_prototype_hooks_do_not_reach_the_rule_tables(evaluator) -> None:
    got = value(
        evaluator,
        "Object.defineProperty(Object.prototype, 'x-custom', { get() { return true } });"
        "Object.prototype[200] = true; Array.prototype[0] = 'x-custom';"
        "const r = new Request('http://a.example/', { headers: { 'X-Custom': '1' } });"
        "return [r.headers.has('x-custom'), new Response('body', { status: 200 }).status]",
    )
    assert got == [True, 200]


def test_a_table_read_after_user_code_ran_is_still_the_hosts(evaluator) -> None:
    # Headers loads (and reads the tables) only now, after the hooks are in place.
    got = value(
        evaluator,
        "Object.defineProperty(Object.prototype, 'cookie', { get() { return false } });"
        "const h = new Request('http://a.example/', { headers: [['Cookie', 'c']] }).headers;"
        "return h.has('cookie')",
    )
    assert got is False


def test_the_result_carries_no_channel_of_its_own(evaluator) -> None:
    result = call(evaluator, "fetch('http://10.0.0.1/').catch(() => 0); return 1")
    assert result.ok
    dumped = result.model_dump()
    assert "channels" not in dumped and "fetch_out" not in dumped
    assert [record["url"] for record in dumped["fetches"]] == ["http://10.0.0.1/"]
