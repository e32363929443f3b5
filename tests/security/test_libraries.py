"""Class 6, the libraries (SPEC section 9): lodash, moment and forge loaded, then the escapes of
the other classes again, and attacks on the library loader itself (shims/libraries/).

A library's code runs in the sandbox like the user's: its functions, `_.template`'s `Function`,
forge's `new Function("return this")` are the sandbox's own. What must hold: nothing a library
holds or builds leads to the host or to a runtime internal; loading one adds no global and no
name to any intrinsic; user hooks set before the first read never see the load (or, where the
documented limit applies, see only the library's own objects), and the loader leaves nothing
half-done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.security.test_host_reach import (
    CONSTRUCTOR_CHAIN,
    HOST_NAMES,
    INTRINSIC_KEYS,
    LOOKUPS,
    TOUCH_EVERYTHING,
)
from tests.security.test_shim_hijacking import BASE_FIELDS, CHECK, EXERCISE, HIJACKS, SETUP

Attack = Callable[..., dict[str, Any]]

LOAD_ALL = "_.chunk([1, 2], 1); moment.tz('2020-01-01', 'UTC').format(); forge.md.sha256.create();\n"

# Library values, each probed like the shims' values in test_host_reach.py.
LIBRARY_VALUES = {
    "_": "_",
    "lodash wrapper": "_([1, 2]).map((x) => x)",
    "lodash template": "_.template('<%= a %>')",
    "lodash runInContext": "_.runInContext()",
    "lodash memoize cache": "_.memoize((x) => x).cache",
    "lodash error": "(() => { try { _.debounce(1) } catch (e) { return e } })()",
    "moment": "moment",
    "moment instance": "moment()",
    "moment duration": "moment.duration(1000)",
    "moment tz zone": "moment.tz.zone('Europe/Paris')",
    "moment locale data": "moment.localeData()",
    "forge": "forge",
    "forge md": "forge.md.sha256.create()",
    "forge buffer": "forge.util.createBuffer('abc')",
    "forge globalScope": "forge.util.globalScope",
    "forge random": "forge.random",
    "forge BigInteger": "new forge.jsbn.BigInteger('12345')",
    "forge cipher": "forge.cipher.createCipher('AES-CBC', forge.random.getBytesSync(16))",
    "forge asn1": "forge.asn1.fromDer(forge.util.hexToBytes('0500'))",
    "forge error": "(() => { try { forge.asn1.fromDer('x') } catch (e) { return e } })()",
}


def test_function_constructor_sees_no_host_with_the_libraries_loaded(attack: Attack) -> None:
    code = LOAD_ALL + LOOKUPS.replace("NAMES", json.dumps(HOST_NAMES))
    result = attack(code, timeout_ms=3000)
    assert result["ok"], result["error"]
    assert result["result"] == {}


def test_constructor_chain_from_every_library_value_ends_in_the_sandbox(
    attack: Attack, origin_server: Any
) -> None:
    code = CONSTRUCTOR_CHAIN.replace("ORIGIN_JSON", json.dumps(origin_server.url(""))).replace(
        "ENTRIES_JSON", json.dumps(list(LIBRARY_VALUES.items()))
    )
    result = attack(code, mode="function", timeout_ms=5000)
    assert result["ok"], result["error"]
    assert set(result["result"]) == set(LIBRARY_VALUES)
    assert all(found == [] for found in result["result"].values()), result["result"]


def test_what_the_libraries_hold_is_the_sandboxs(attack: Attack) -> None:
    """Every way the three libraries get at a global, a function maker or the clock leads to the
    sandbox's own: forge's `globalScope` is the loader's frozen view (no runtime internal in it),
    `_.template` and `_.runInContext` compile and run in this realm, and nothing a library
    holds names a runtime internal."""
    code = LOAD_ALL + """
    const scope = forge.util.globalScope;
    const own = Reflect.ownKeys(scope).map(String).sort();
    const frozen = Object.isFrozen(scope) && Object.getPrototypeOf(scope) === null;
    const hostNames = HOST_NAMES.filter((n) => n in scope);
    const fromTemplate = _.template('<%= [this === undefined, typeof globalThis.boot, Function("return this")() === globalThis] %>')();
    const other = _.runInContext();
    const crypto = scope.crypto === globalThis.crypto;
    const dateIsSandboxs = scope.Date === Date && other.now() <= Date.now();
    const forgeThis = new forge.util.ByteStringBuffer().constructor.constructor('return this')() === globalThis;
    return { own, frozen, hostNames, fromTemplate, crypto, dateIsSandboxs, forgeThis, otherIsLodash: typeof other.chunk };
    """.replace("HOST_NAMES", json.dumps(HOST_NAMES))
    result = attack(code, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    out = result["result"]
    assert out["frozen"] and out["hostNames"] == []
    assert set(out["own"]) <= {
        "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "RegExp",
        "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError",
        "AggregateError", "Promise", "Proxy", "Reflect", "JSON", "Math", "Map", "Set", "WeakMap",
        "WeakSet", "WeakRef", "DataView", "ArrayBuffer", "Int8Array", "Uint8Array",
        "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
        "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Date",
        "parseInt", "parseFloat", "isFinite", "isNaN", "encodeURIComponent", "decodeURIComponent",
        "setTimeout", "clearTimeout", "setInterval", "clearInterval", "crypto",
    }
    assert out["fromTemplate"] == "false,undefined,true"
    assert out["crypto"] and out["dateIsSandboxs"] and out["forgeThis"]
    assert out["otherIsLodash"] == "function"


def test_loading_the_libraries_adds_no_name_to_any_intrinsic(attack: Attack) -> None:
    from evaluator._bridge import Isolate

    bare = Isolate()
    try:
        reply = bare.eval(INTRINSIC_KEYS).wait(10)
    finally:
        bare.close()
    assert reply is not None and reply.ok
    result = attack(
        TOUCH_EVERYTHING + LOAD_ALL + "JSON.parse(" + INTRINSIC_KEYS.strip() + ")", timeout_ms=3000
    )
    assert result["ok"], result["error"]
    assert result["result"] == json.loads(reply.value)


def test_the_global_object_stays_the_allow_list_after_the_libraries_loaded(attack: Attack) -> None:
    before = attack("Reflect.ownKeys(globalThis).map(String)")["result"]
    after = attack(LOAD_ALL + "Reflect.ownKeys(globalThis).map(String)", timeout_ms=3000)
    assert after["ok"], after["error"]
    assert sorted(after["result"]) == sorted(before)
    # ... and each library global is then a plain data property (the accessor is gone).
    kinds = attack(LOAD_ALL + "['_', 'moment', 'forge'].map((n) => 'value' in Object.getOwnPropertyDescriptor(globalThis, n))", timeout_ms=3000)
    assert kinds["result"] == [True, True, True]


def test_prepare_stack_trace_during_and_after_the_loads_reveals_no_runtime_frame(
    attack: Attack, origin_server: Any
) -> None:
    """A user Error.prepareStackTrace set before the first reads is not called while a library
    loads (it is taken off); after, CallSites of the loader's frames (strict) give no `this` and
    no function. Library frames may: they hold the library's own objects."""
    code = """
    const leaks = [];
    let duringLoad = 0;
    Error.prepareStackTrace = (error, callsites) => {
      duringLoad++;
      for (const c of callsites) {
        const file = String(c.getFileName() || c.getScriptNameOrSourceURL() || '');
        if (!file.startsWith('jseval:') || file.startsWith('jseval:library/')) continue;
        let self, fn;
        try { self = c.getThis(); } catch (e) {}
        try { fn = c.getFunction(); } catch (e) {}
        if (self !== undefined && self !== globalThis) leaks.push('this of ' + c.getFunctionName());
        if (fn !== undefined) leaks.push('function ' + c.getFunctionName());
      }
      return 'formatted';
    };
    _; moment; forge;
    const callsDuringLoads = duringLoad;
    const probe = () => { new Error('probe').stack; };
    const tries = [() => _.map([1], probe), () => _.debounce(1), () => moment.utc(0).format(probe()), () => forge.asn1.fromDer('x'),
      () => _.template('<% probe() %>', { imports: { probe } })(), () => moment.tz('x', 'Nowhere/Zone'), () => Object.getOwnPropertyDescriptor(globalThis, 'forge').value.md.sha256.create()];
    for (const t of tries) { try { t(); } catch (e) { String(e.stack); } }
    return [callsDuringLoads, leaks];
    """
    result = attack(code, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    assert result["result"] == [0, []]


def test_a_user_hook_on_a_shared_prototype_sees_nothing_of_a_load(attack: Attack) -> None:
    code = """
    const seen = new Map();
    const note = Map.prototype.set, apply = Reflect.apply;
    const hook = (key) => ({ __proto__: null, configurable: true,
      get() { apply(note, seen, ['get ' + String(key), typeof this]); return undefined; },
      set(v) { apply(note, seen, ['set ' + String(key), typeof this]); } });
    for (const key of ['exports', 'module', 'default', 'prototype', 'then', 'toJSON', 'constructor2', 'length', '0', 'name', 'fn', 'tz', 'md', 'util', Symbol.iterator, Symbol.toPrimitive, Symbol.toStringTag, Symbol.species]) {
      if (key !== 'length' && key !== 'name') Object.defineProperty(Object.prototype, key, hook(key));
    }
    for (const key of ['0', '1', 'length2', Symbol.isConcatSpreadable]) Object.defineProperty(Array.prototype, key, hook('array ' + String(key)));
    Object.defineProperty(Function.prototype, 'displayName', hook('displayName'));
    const loaded = [typeof globalThis['_'], typeof globalThis['mom' + 'ent'], typeof globalThis['for' + 'ge']];
    return [loaded, [...seen.keys()]];
    """
    result = attack(code, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    assert result["result"] == [["function", "function", "object"], []]


# Hijacks that only add keys to shared objects (accessor hooks on names the engine does not
# define): the loader takes those off while a library loads, so they must see nothing of it.
# The others replace a built-in member (a method, `Map.prototype.size`, `Promise[Symbol.species]`,
# `Object.prototype.__proto__`): a library loaded after that sees the replacement, as a script
# would (docs/SECURITY.md "Libraries"); it may then call it on its own objects.
ADDS_KEYS_ONLY = {
    "Array.prototype index accessors", "Object.prototype accessors 0 value get set",
    "Object.prototype accessors then toJSON", "Object.prototype accessors headers logs actions",
    "Object.prototype accessors of internal records", "Object.prototype Symbol hooks",
}


@pytest.mark.parametrize("name", list(HIJACKS))
def test_hijack_then_first_read_of_the_libraries(
    name: str, attack: Attack, origin_server: Any
) -> None:
    """Each hijack of the shim suite, then the first reads of `_`, `moment` and `forge`, then the
    whole shim exercise. A load either works or throws the user's own poison (a built-in method
    it calls while loading was replaced); a hook that only added a key never meets an object the
    user cannot reach (the `leaks` walk, which covers the library globals too); the shims still
    call no replaced built-in (tests/security/test_shim_hijacking.py proves the rest)."""
    reads = """
    out.libraries = { __proto__: null };
    const names = { __proto__: null, length: 3, 0: '_', 1: 'moment', 2: 'forge' };
    for (let i = 0; i < names.length; i++) {
      try { out.libraries[names[i]] = typeof globalThis[names[i]]; } catch (e) { out.libraries[names[i]] = 'threw ' + (e && e.message); }
    }
    """
    program = SETUP + f"const ORIGIN = {json.dumps(origin_server.url(''))};\n" + HIJACKS[name] + "\n" + EXERCISE.replace(
        "const out = { __proto__: null };", "const out = { __proto__: null };\n" + reads, 1
    ) + CHECK
    result = attack(program, **BASE_FIELDS)
    assert result["ok"], result["error"]
    libraries = result["result"]["out"]["libraries"]
    for lib, outcome in libraries.items():
        assert outcome in ("function", "object") or outcome.startswith("threw hijacked "), (lib, outcome)
    if name in ADDS_KEYS_ONLY:
        assert all(outcome in ("function", "object") for outcome in libraries.values()), libraries
        assert result["result"]["leaks"] == {}, "a hook saw an object of a library being loaded"
        assert result["result"]["poisoned"] == {}
