"""Class 1, stack exhaustion: user code recurses to the edge of the stack and calls the runtime
there, so a `RangeError: Maximum call stack size exceeded` is raised somewhere inside a shim.

Two kinds of test, each run for every capability:
- the FIRST use of a lazily loaded capability happens at the edge (the loader compiles and runs
  the shim then): the capability must never end half-initialised, e.g. methods wrapped by an
  interrupted load that charge a second memory budget, or functions left printing their source;
- a capability already loaded is called at the edge: its state must stay consistent (what the
  code saw is what was recorded).

After the attack, the same evaluation checks that everything still works and still counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Attack = Callable[..., dict[str, Any]]

# Calls `f` at each of the deepest levels of a recursion, from the very edge (no stack left) up
# to `room` levels above it, so every amount of slack in between is tried once. Each level's
# frame carries `pad` extra arguments (8 bytes each), so runs with different pads try slacks
# between those of two neighbouring levels.
NEAR_FULL = """
function nearFull(f, room = 1e9, pad = 0) {
  const outcomes = { ok: 0, RangeError: 0, other: 0 };
  const extra = new Array(pad).fill(0);
  let max = 0; let depth = 0;
  function rec() {
    depth++;
    if (depth > max) max = depth;
    try { rec(...extra); } catch (e) {}
    if (depth > max - room) {
      try { f(); outcomes.ok++; } catch (e) { if (e instanceof RangeError) outcomes.RangeError++; else outcomes.other++; }
    }
    depth--;
  }
  rec(...extra);
  return outcomes;
}
"""

# After the attack: does every capability still work, print as native code and count?
HEALTH = """
const health = {};
const check = (name, f) => { try { health[name] = f(); } catch (e) { health[name] = 'threw ' + e.name + ': ' + e.message; } };
check('console', () => { console.log('after', { a: 1 }); return 'ok'; });
check('timers', () => typeof setTimeout(() => console.log('timer after'), 1));
check('store', () => { storeValue('health', { n: 1 }); return appsmith.store.health.n; });
check('actions', () => { showAlert('health'); return 'ok'; });
check('web', () => [btoa('a'), new TextEncoder().encode('é').length, new TextDecoder().decode(new Uint8Array([104])), structuredClone(new Map([[1, 2]])).get(1), crypto.randomUUID().length]);
check('finalization', () => typeof new FinalizationRegistry(() => {}).register);
check('fetch classes', () => [new Headers({ a: '1' }).get('a'), new Response('x').status, typeof fetch]);
check('native', () => {
  const fns = [console.log, setTimeout, storeValue, showAlert, atob, TextEncoder, TextDecoder, structuredClone, crypto.getRandomValues,
    Uint8Array, ArrayBuffer, new Uint8Array(1).slice, new Uint8Array(1).map, ArrayBuffer.prototype.resize, Uint8Array.fromHex,
    FinalizationRegistry, Headers, Response, fetch, localStorage.getItem];
  return fns.filter((f) => !/\\{ \\[native code\\] \\}$/.test(Function.prototype.toString.call(f))).length;
});
"""

# Every way to allocate an ArrayBuffer, each taking S bytes: 15 of them fit in 16 MiB, the 16th
# does not (16 * S > 16 MiB > 15 * S). The evaluation ends at the 16th only if all sixteen are
# charged to one counter: a method wrapped by an interrupted load with its own counter, or not
# wrapped at all, lets the last one through.
MEMORY_TAIL = """
console.log(JSON.stringify(health));
const S = 1080000;
const keep = [];
const a = new ArrayBuffer(S, { maxByteLength: 2 * S }); keep.push(a);
a.resize(2 * S);
keep.push(a.slice(0, S), new ArrayBuffer(0).transfer(S), new ArrayBuffer(0).transferToFixedLength(S));
const e = new Uint8Array(S); keep.push(e);
keep.push(e.slice(), e.map((x) => x), e.filter(() => true), e.toSorted(), e.toReversed(), e.with(0, 1));
keep.push(Uint8Array.fromHex('00'.repeat(S)), Uint8Array.fromBase64('AAAA'.repeat(S / 3)), structuredClone(keep[1]));
console.log('fifteen fit');
keep.push(new TextEncoder().encode('x'.repeat(S)));
'the budget was not enforced';
"""


FIRST_USES = {
    "console": "console.log('x')",
    "inspect and errors": "console.log(new Error('e'))",
    "timers": "setTimeout(() => {}, 1)",
    "store": "storeValue('k', 1)",
    "localStorage": "localStorage.setItem('k', 1)",
    "actions": "showAlert('m')",
    "web atob": "atob('YQ==')",
    "web TextEncoder": "new TextEncoder().encode('a')",
    "web structuredClone": "structuredClone(new Uint8Array(2))",
    "web crypto": "crypto.getRandomValues(new Uint8Array(2))",
    "memory": "new Uint8Array(8).slice()",
    "memory ArrayBuffer methods": "new ArrayBuffer(8, { maxByteLength: 16 }).resize(12)",
    "finalization": "new FinalizationRegistry(() => {})",
    "fetch Headers": "new Headers({ a: '1' })",
    "fetch": "fetch('http://10.255.255.1/').catch(() => {})",
    "queueMicrotask": "queueMicrotask(() => {})",
}


def check_health(result: dict[str, Any]) -> None:
    # The evaluation ends with kind memory at the 16th allocation: the counter is exact whatever
    # the attack interrupted. The health line was logged before.
    assert result["ok"] is False and result["error"]["kind"] == "memory", result["error"]
    texts = [entry["text"] for entry in result["logs"]]
    import json

    health = json.loads(next(t for t in texts if t.startswith("{\"console\"")))
    assert health["console"] == "ok" and health["timers"] == "number"
    assert health["store"] == 1 and health["actions"] == "ok"
    assert health["web"] == ["YQ==", 2, "h", 2, 36]
    assert health["finalization"] == "function"
    assert health["fetch classes"] == ["1", 200, "function"]
    assert health["native"] == 0, "a function prints its source"
    assert texts[-1] == "fifteen fit", "an allocation was charged to another counter, or twice"
    assert "after { a: 1 }" in texts
    # What the code stored is what was recorded.
    assert result["store"].get("health") == {"n": 1}


@pytest.mark.parametrize("name", list(FIRST_USES))
def test_first_use_at_the_edge_of_the_stack_loads_whole_or_not_at_all(
    attack: Attack, name: str
) -> None:
    code = NEAR_FULL + f"const outcomes = nearFull(() => {FIRST_USES[name]}, 700);\n" + HEALTH + MEMORY_TAIL
    result = attack(code, timeout_ms=5000, memory_mb=16)
    check_health(result)


@pytest.mark.parametrize("name", list(FIRST_USES))
def test_loaded_capability_called_at_the_edge_of_the_stack_stays_consistent(
    attack: Attack, name: str
) -> None:
    use = FIRST_USES[name]
    code = (
        NEAR_FULL + f"{use};\nconst outcomes = nearFull(() => {use}, 200);\n"
        "console.log('outcomes', outcomes.ok + outcomes.RangeError + outcomes.other);\n"
        + HEALTH + MEMORY_TAIL
    )
    result = attack(code, timeout_ms=5000, memory_mb=16)
    check_health(result)
    texts = [entry["text"] for entry in result["logs"]]
    assert any(t == "outcomes 200" for t in texts) or result["logs_truncated"]


def test_store_records_match_what_code_saw_after_overflows_in_store_value(attack: Attack) -> None:
    code = NEAR_FULL + """
    let i = 0;
    nearFull(() => { storeValue('k' + (i++ % 5), { i }); }, 300);
    [appsmith.store, Object.keys(appsmith.store).length]
    """
    result = attack(code, timeout_ms=5000)
    assert result["ok"], result["error"]
    seen, count = result["result"]
    # A store change is either whole (value, op and action recorded) or absent.
    assert result["store"] == seen and count == len(seen)
    assert len(result["store_ops"]) == len([a for a in result["actions"] if a["type"] == "STORE_VALUE"])


# Capabilities whose loading touches anything shared (prototypes, intrinsics): swept finely, in
# process (one evaluation per padding; HTTP adds nothing to a probe of the runtime's loader).
SHARED_STATE = ["memory", "memory ArrayBuffer methods", "finalization", "fetch Headers", "web structuredClone"]


@pytest.mark.parametrize("name", SHARED_STATE)
def test_first_use_at_every_slack_leaves_no_half_loaded_capability(
    attack_inprocess: Attack, name: str
) -> None:
    for pad in range(0, 16, 2):
        code = (
            NEAR_FULL + f"const outcomes = nearFull(() => {FIRST_USES[name]}, 700, {pad});\n"
            + HEALTH + MEMORY_TAIL
        )
        check_health(attack_inprocess(code, timeout_ms=5000, memory_mb=16))
