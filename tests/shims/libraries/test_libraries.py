"""The library loader (shims/libraries/65_libraries.js): lazy, whole or nothing, in its own scope.

What each library computes is pinned by evaluator/conformance/cases/libraries.json; these tests
pin how it gets there: an evaluation that never reads a library never asks the host for its
source, a load survives user code that tampered with the sandbox first (and shows it nothing of
the load), a load cut short at the stack's edge leaves no trace and is retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from evaluator import Evaluator, Settings
from evaluator._engine import Engine
from evaluator.capabilities import EncodedText
from evaluator.capabilities.libraries import LibraryCatalog
from evaluator.models import EvaluationRequest

LIBRARIES = {"_": "_.chunk([1, 2, 3], 2)", "moment": "moment.utc(0).year()", "forge": "forge.md.sha256.create().update('a').digest().toHex().length"}
EXPECTED = {"_": [[1, 2], [3]], "moment": 1970, "forge": 64}


class CountingCatalog(LibraryCatalog):
    """The real catalog, counting which texts the runtime read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def encoded_text(self, key: str) -> EncodedText | None:
        self.reads.append(key)
        return super().encoded_text(key)


@pytest.fixture(scope="module")
def counted() -> Iterator[tuple[Engine, CountingCatalog]]:
    catalog = CountingCatalog()
    engine = Engine(Settings(), pool_size=1, libraries=catalog)
    engine.start()
    try:
        yield engine, catalog
    finally:
        engine.close()


def run(engine: Engine, code: str, **fields: object) -> dict:
    return engine.run(EvaluationRequest.model_validate({"code": code, **fields})).model_dump(mode="json")


def test_an_evaluation_that_never_reads_a_library_reads_no_source(counted: tuple[Engine, CountingCatalog]) -> None:
    engine, catalog = counted
    catalog.reads.clear()
    for code in ("1 + 1", "typeof _ === 'function' ? 0 : 1", "Object.getOwnPropertyDescriptor(globalThis, 'moment').get.name"):
        result = run(engine, code)
        assert result["ok"], result["error"]
    # `typeof _` reads the global, so lodash loads; reading the accessor itself loads nothing.
    assert [key for key in catalog.reads if not key.startswith("library/lodash")] == ["library-pristine"]
    catalog.reads.clear()
    assert run(engine, "1 + 1")["ok"] and catalog.reads == []


def test_the_first_read_loads_only_that_library(counted: tuple[Engine, CountingCatalog]) -> None:
    engine, catalog = counted
    for name, code in LIBRARIES.items():
        catalog.reads.clear()
        result = run(engine, code)
        assert result["ok"] and result["result"] == EXPECTED[name], result["error"]
        library = {"_": "lodash"}.get(name, name)
        sources = [key for key in catalog.reads if key != "library-pristine"]
        assert sources and all(key.startswith(f"library/{library}/") for key in sources)


def test_a_library_is_loaded_once_per_evaluation(counted: tuple[Engine, CountingCatalog]) -> None:
    engine, catalog = counted
    catalog.reads.clear()
    result = run(engine, "const a = moment; const b = globalThis.moment; [a === b, a === moment, moment.version]")
    assert result["ok"] and result["result"] == [True, True, "2.29.4"]
    assert catalog.reads.count("library/moment/0") == 1


# Hooks user code may put on shared objects before the first read; each records the objects it
# is called on. After the three loads, each must still be in place and have recorded nothing.
HOOKS = """
const seen = new Map();
const note = Map.prototype.set, tag = Object.prototype.toString, apply = Reflect.apply;
const record = (label) => function () { apply(note, seen, [label + ':' + apply(tag, this, []), true]); return undefined; };
for (const key of ['x', 'exports', 'default', 'length2', '0', 'then', 'constructor2', 'prototype2', 'get', 'set', 'value', 'enumerable']) {
  Object.defineProperty(Object.prototype, key, { __proto__: null, get: record('get ' + key), set: record('set ' + key), configurable: true });
}
for (const key of ['0', '1', 'push2']) Object.defineProperty(Array.prototype, key, { __proto__: null, get: record('array get ' + key), set: record('array set ' + key), configurable: true });
Object.defineProperty(Function.prototype, 'prototype2', { __proto__: null, get: record('fn'), configurable: true });
Object.defineProperty(Object.prototype, Symbol.toPrimitive, { __proto__: null, get: record('toPrimitive'), configurable: true });
Object.defineProperty(Object.prototype, Symbol.iterator, { __proto__: null, get: record('iterator'), configurable: true });
Error.prepareStackTrace = (error, callsites) => { apply(note, seen, ['prepareStackTrace', true]); return 'x'; };
const before = Reflect.ownKeys(Object.prototype).length + Reflect.ownKeys(Array.prototype).length;
"""


def test_user_hooks_on_shared_prototypes_neither_break_nor_see_a_load(evaluator: Evaluator) -> None:
    code = HOOKS + """
    const loaded = [_.VERSION, moment.version, typeof forge.md.sha256];
    const after = Reflect.ownKeys(Object.prototype).length + Reflect.ownKeys(Array.prototype).length;
    const stillThere = typeof Object.getOwnPropertyDescriptor(Object.prototype, 'exports').set === 'function'
      && typeof Error.prepareStackTrace === 'function';
    [loaded, [...seen.keys()], after === before, stillThere]
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    loaded, seen, same_keys, still_there = result.result
    assert loaded == ["4.17.21", "2.29.4", "object"]
    assert seen == [], "a user hook ran during a library load"
    assert same_keys and still_there


def test_replaced_plumbing_and_global_bindings_do_not_reach_a_load(evaluator: Evaluator) -> None:
    code = """
    const E = Error, assign = Object.assign, FP = Function.prototype;
    const poison = (name) => function () { throw new E('poisoned ' + name); };
    for (const k of ['call', 'apply', 'bind', 'toString']) Function.prototype[k] = poison(k);
    Object.defineProperty = poison('defineProperty'); Object.keys = poison('keys'); Reflect.apply = poison('Reflect.apply');
    JSON.stringify = poison('stringify');
    for (const k of ['Object', 'Array', 'Function', 'Symbol', 'Math', 'Date', 'RegExp', 'String', 'Error', 'Promise', 'Map', 'Uint8Array', 'setTimeout', 'parseInt', 'isFinite']) globalThis[k] = poison(k);
    globalThis.window = { forge: 'user window' }; globalThis.self = globalThis.window; globalThis.global = globalThis.window;
    globalThis.navigator = { appName: 'Microsoft Internet Explorer' }; globalThis.module = { exports: {} }; globalThis.exports = {};
    globalThis.define = assign(poison('define'), { amd: true }); globalThis.require = poison('require');
    const out = [typeof _.map, _.VERSION, moment.version, typeof forge.md.sha256.create, typeof moment.tz];
    // The user's replacements are back in place once the loads are over (and calling a library
    // function now meets them, as any code would).
    let after;
    try { FP.call.call(() => 1); after = 'not poisoned'; } catch (e) { after = e.message; }
    out.push(after);
    out;
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    assert result.result == ["function", "4.17.21", "2.29.4", "function", "function", "poisoned call"]


@pytest.mark.parametrize("where", ["TypedArray.prototype", "Uint8Array.prototype"])
def test_a_replaced_typed_array_length_never_meets_the_read_channel(evaluator: Evaluator, where: str) -> None:
    """The runtime decodes a source from views of its read buffer; String.fromCharCode reads
    their `length`. A user getter there must neither see a view (it could write the buffer)
    nor change the text."""
    holder = "Object.getPrototypeOf(Uint8Array.prototype)" if where == "TypedArray.prototype" else "Uint8Array.prototype"
    code = f"""
    const seen = [];
    const real = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length').get;
    Object.defineProperty({holder}, 'length', {{ get() {{ seen.push(this.buffer.byteLength); return 1; }}, configurable: true }});
    [_.chunk([1, 2, 3], 2), forge.md.sha256.create().update('abc').digest().toHex().slice(0, 8), seen.length]
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    assert result.result == [[[1, 2], [3]], "ba7816bf", 0]


def test_a_replaced_method_outside_the_runtimes_originals_is_what_the_load_sees(evaluator: Evaluator) -> None:
    """Documented limit (docs/SECURITY.md "Libraries"): a library loaded after user code replaced
    Array.prototype.push sees that push, as a script loaded at that point would."""
    code = """
    let calls = 0;
    const push = Array.prototype.push;
    Array.prototype.push = function (...items) { calls++; return Reflect.apply(push, this, items); };
    [_.chunk([1, 2, 3], 2), calls > 0]
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok and result.result == [[[1, 2], [3]], True]


def test_a_hook_that_cannot_be_taken_off_stays_in_place(evaluator: Evaluator) -> None:
    """Documented limit: a non-configurable accessor cannot be taken off for the load. One on a
    key no library uses changes nothing; one on a key a library assigns (moment's format token
    `zz`) makes that library's load throw, as it would in a browser, and the next read retries."""
    code = """
    Object.defineProperty(Object.prototype, 'zq', { get() { return undefined; }, configurable: false });
    Object.defineProperty(Object.prototype, 'zz', { get() { return undefined; }, configurable: false });
    let momentError;
    try { moment } catch (e) { momentError = e.name; }
    [_.VERSION, typeof forge.md, momentError, Object.getOwnPropertyDescriptor(Object.prototype, 'zq').configurable,
     Object.getOwnPropertyDescriptor(globalThis, 'moment').get !== undefined]
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    assert result.result == ["4.17.21", "object", "TypeError", False, True]


# Reads `read` at every depth near the stack's edge (as tests/security/test_stack_exhaustion.py
# does for the runtime's capabilities), then checks the library and the user's hooks.
NEAR_FULL = """
const probe = { count: 0 };
Object.defineProperty(Object.prototype, 'hooked', { get() { probe.count++; return 'hook'; }, configurable: true });
const outcomes = { ok: 0, RangeError: 0, other: 0 };
let depth = 0, max = 0;
function rec(pad) {
  depth++; if (depth > max) max = depth;
  try { rec(pad); } catch (e) {}
  if (depth > max - ROOM) {
    try { READ; outcomes.ok++; } catch (e) {
      // V8 reports a stack overflow inside its regular expression compiler as a SyntaxError.
      if (e instanceof RangeError || /Stack overflow/.test(e.message)) outcomes.RangeError++; else { outcomes.other++; outcomes.last = String(e); }
    }
  }
  depth--;
}
rec(0);
const hookIntact = ({}).hooked === 'hook' && typeof Object.getOwnPropertyDescriptor(Object.prototype, 'hooked').get === 'function';
[outcomes, hookIntact, CHECK]
"""


@pytest.mark.parametrize("name", list(LIBRARIES))
def test_a_first_read_at_the_stack_edge_loads_whole_or_not_at_all(evaluator: Evaluator, name: str) -> None:
    code = NEAR_FULL.replace("ROOM", "800").replace("READ", f"globalThis[{json.dumps(name)}]").replace("CHECK", LIBRARIES[name])
    result = evaluator.evaluate({"code": code, "timeout_ms": 10000})
    assert result.ok, result.error
    outcomes, hook_intact, check = result.result
    assert outcomes["other"] == 0, outcomes
    assert outcomes["RangeError"] > 0 and outcomes["ok"] > 0, outcomes  # the edge was reached
    assert hook_intact, "a load cut short left a suspended hook off"
    assert check == EXPECTED[name]


def test_library_functions_print_their_source_and_the_accessors_print_native(evaluator: Evaluator) -> None:
    code = """
    const d = Object.getOwnPropertyDescriptor(globalThis, '_');
    [String(d.get), String(d.set), _.chunk.toString().includes('[native code]'), Object.getOwnPropertyDescriptor(globalThis, '_').value === _]
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    assert result.result == ["function get _() { [native code] }", "function set _() { [native code] }", False, True]


def test_lodash_template_compiles_inside_the_sandbox(evaluator: Evaluator) -> None:
    code = """
    const t = _.template('<%= [typeof process, typeof boot, typeof primordials, typeof host, this === undefined] %>|<%- value %>');
    t({ value: '<b>' })
    """
    result = evaluator.evaluate({"code": code})
    assert result.ok, result.error
    assert result.result == "undefined,undefined,undefined,undefined,false|&lt;b&gt;"


def test_the_sandbox_clock_seed_and_budget_reach_the_libraries(evaluator: Evaluator) -> None:
    code = "[moment().valueOf(), _.now(), forge.util.bytesToHex(forge.random.getBytesSync(4)), _.random(0, 1e9)]"
    first = evaluator.evaluate({"code": code, "clock": "virtual", "now_ms": 123456, "random_seed": 9})
    second = evaluator.evaluate({"code": code, "clock": "virtual", "now_ms": 123456, "random_seed": 9})
    assert first.ok and second.ok
    assert first.result[:2] == [123456, 123456] and first.result == second.result
    other = evaluator.evaluate({"code": code, "clock": "virtual", "now_ms": 123456, "random_seed": 10})
    assert other.result[2:] != first.result[2:]
    # Typed arrays a library allocates are charged to the evaluation's memory budget.
    big = evaluator.evaluate({"code": "forge.util.binary.raw.decode('x'.repeat(1e5)); _.cloneDeep(new Uint8Array(64 * 1024 * 1024)).length", "memory_mb": 16})
    assert not big.ok and big.error is not None and big.error.kind == "memory"


def test_a_request_global_of_a_librarys_name_is_refused(evaluator: Evaluator) -> None:
    from evaluator import RequestRejected

    for name in ("_", "moment", "forge"):
        with pytest.raises(RequestRejected):
            evaluator.evaluate({"code": "1", "globals": {name: 1}})
