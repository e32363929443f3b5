"""Class 1, host reach: no path from user code leads out of the sandbox's own global object, to a
host object, a runtime internal or a name the sandbox removes. Every test runs the
attack through `attack()` (tests/security/conftest.py), which also checks the answer is clean,
in time, and that the service serves the next evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

Attack = Callable[..., dict[str, Any]]

# Names that must be `undefined` however they are looked up: the sandbox's absent list (shims/core/99_seal.js), what
# Node/Deno/d8/mini-racer would define, and the runtime's own names.
HOST_NAMES = [
    "window", "self", "document", "navigator", "Navigator", "location", "XMLHttpRequest",
    "WebSocket", "EventSource", "importScripts", "Worker", "SharedWorker", "indexedDB", "caches",
    "sessionStorage", "alert", "confirm", "prompt", "setImmediate", "process", "require",
    "module", "exports", "Deno", "Bun", "SharedArrayBuffer", "Atomics", "WebAssembly",
    "ShadowRealm", "global", "gc", "print", "version", "d8", "os", "quit", "load", "read",
    "readline", "__dirname", "__filename", "Buffer", "Performance", "__timer_manager",
    "__TimerManager", "__bootstrap", "boot", "primordials", "control", "bundle", "host",
    "config", "outbox", "signals", "nativeSet", "lazy", "loaded",
]

# Every way to evaluate a name "from the top": all must see the same sandbox global.
LOOKUPS = """
const names = NAMES;
const lookups = {
  direct: (n) => eval('typeof ' + n),
  indirect: (n) => (0, eval)('typeof ' + n),
  Function: (n) => Function('return typeof ' + n)(),
  strictFunction: (n) => Function('"use strict"; return typeof ' + n)(),
  globalThisOfFunction: (n) => typeof Function('return this')()[n],
  asyncFunction: (n) => 'skip',
};
const seen = {};
for (const [how, lookup] of Object.entries(lookups)) {
  for (const n of names) { const t = lookup(n); if (t !== 'undefined' && t !== 'skip') seen[how + ':' + n] = t; }
}
seen;
"""


def test_function_constructor_sees_no_host(attack: Attack) -> None:
    code = LOOKUPS.replace("NAMES", json.dumps(HOST_NAMES))
    result = attack(code)
    assert result["ok"], result["error"]
    assert result["result"] == {}


def test_every_mode_and_option_sees_the_same_global(attack: Attack) -> None:
    code = "Reflect.ownKeys(globalThis).filter((k) => NAMES.includes(String(k))).map(String)"
    code = code.replace("NAMES", json.dumps(HOST_NAMES))
    variants: list[dict[str, Any]] = [
        {}, {"mode": "expression"}, {"clock": "virtual", "now_ms": 0}, {"random_seed": 1},
        {"fetch": False}, {"globals": {"Table1": {"data": [1]}}},
    ]
    for fields in variants:
        body = code if fields.get("mode") != "function" else "return " + code
        result = attack(body, **fields)
        assert result["ok"] and result["result"] == [], (fields, result["error"])
    result = attack("return " + code, mode="function", args=[1])
    assert result["ok"] and result["result"] == []


def test_import_and_import_meta_and_wasm_and_shadow_realm_are_absent(attack: Attack) -> None:
    result = attack(
        "let dynamic; try { await import('node:process'); dynamic = 'loaded' } "
        "catch (e) { dynamic = e.name }\n"
        "return [dynamic, typeof WebAssembly, typeof ShadowRealm, typeof SharedArrayBuffer, "
        "typeof Atomics, 'WebAssembly' in globalThis, "
        "Object.getOwnPropertyNames(globalThis).some((n) => /wasm|assembly|realm/i.test(n))]",
        mode="function",
    )
    assert result["ok"], result["error"]
    dynamic, *rest = result["result"]
    assert dynamic == "TypeError"
    assert rest == ["undefined", "undefined", "undefined", "undefined", False, False]
    meta = attack("import.meta")
    assert meta["error"]["kind"] == "syntax"
    # import() from every mode and from inside a callback the runtime calls.
    for code, fields in [
        ("import('x').then(() => 'loaded', (e) => e.name + ': ' + e.message)", {}),
        ("new Promise((r) => setTimeout(() => import('x').then(() => r('loaded'), (e) => r(e.name + ': ' + e.message))))", {}),
    ]:
        result = attack(code, **fields)
        assert result["result"] == "TypeError: modules are not available", (code, result)
    # Expression mode refuses the promise itself (a data field), whatever it would settle to.
    result = attack("import('x').catch((e) => e.name)", mode="expression")
    assert result["error"]["kind"] == "runtime" and "Promise" in result["error"]["message"]


# Values each shim returns, rejects with or throws, one expression each (fetch against the
# origin server when ORIGIN is set). Expression mode is used separately for its own errors.
SHIM_VALUES = {
    "storeValue promise": "storeValue('a', 1)",
    "removeValue promise": "removeValue('a')",
    "clearStore promise": "clearStore()",
    "action promise": "showAlert('x')",
    "navigateTo promise": "navigateTo('p')",
    "postWindowMessage": "postWindowMessage('m', 'window', '*')",
    "timer id": "setTimeout(() => {}, 1)",
    "interval id": "setInterval(() => {}, 1, 'named')",
    "ActionValidationError": "showAlert(1).catch((e) => e)",
    "navigateTo rejection": "navigateTo('').catch((e) => e)",
    "uncopyable TypeError": "(() => { const o = {}; o.o = o; return storeValue('k', o).catch((e) => e) })()",
    "derived framework promise": "showAlert('x').then(() => 1)",
    "framework promise's then": "Object.getOwnPropertyDescriptor(showAlert('x'), 'then').value",
    "framework promise's constructor getter": "Object.getOwnPropertyDescriptor(storeValue('k', 1), 'constructor').get",
    "InvalidCharacterError": "(() => { try { atob('!') } catch (e) { return e } })()",
    "DataCloneError": "(() => { try { structuredClone(() => 1) } catch (e) { return e } })()",
    "TypeMismatchError": "(() => { try { crypto.getRandomValues(new Float32Array(1)) } catch (e) { return e } })()",
    "QuotaExceededError": "(() => { try { crypto.getRandomValues(new Uint8Array(70000)) } catch (e) { return e } })()",
    "TextDecoder RangeError": "(() => { try { new TextDecoder('latin2') } catch (e) { return e } })()",
    "encodeInto result": "new TextEncoder().encodeInto('a', new Uint8Array(2))",
    "encoded bytes": "new TextEncoder().encode('a')",
    "TextDecoder": "new TextDecoder()",
    "structuredClone result": "structuredClone({a: new Map([[1, 2]])})",
    "crypto": "crypto",
    "randomUUID": "crypto.randomUUID",
    "localStorage": "localStorage",
    "localStorage.getItem": "localStorage.getItem",
    "appsmith": "appsmith",
    "appsmith.store": "appsmith.store",
    "appsmith.store getter": "Object.getOwnPropertyDescriptor(appsmith, 'store').get",
    "console": "console",
    "console.log": "console.log",
    "typed array": "new Uint8Array(2)",
    "typed array slice": "new Uint8Array(2).slice()",
    "ArrayBuffer": "new ArrayBuffer(2, {maxByteLength: 4})",
    "fromHex": "Uint8Array.fromHex('00')",
    "FinalizationRegistry": "new FinalizationRegistry(() => {})",
    "Function.prototype.toString": "Function.prototype.toString",
    "queueMicrotask": "queueMicrotask",
    "Headers": "new Headers({a: '1'})",
    "Headers iterator": "new Headers({a: '1'}).entries()",
    "Headers iterator step": "new Headers({a: '1'}).entries().next()",
    "Response": "new Response('x')",
    "Request": "new Request('https://example.com/')",
    "AbortController": "new AbortController()",
    "AbortSignal": "AbortSignal.abort()",
    "abort reason": "AbortSignal.abort().reason",
    "fetch promise": "fetch(ORIGIN + '/echo')",
    "fetch response": "fetch(ORIGIN + '/echo')",  # awaited below
    "fetch json": "fetch(ORIGIN + '/echo').then((r) => r.json())",
    "fetch rejection": "fetch('http://10.255.255.1/').catch((e) => e)",
    "fetch refusal of a bad url": "fetch('file:///etc/passwd').catch((e) => e)",
    "response body promise": "new Response('x').text()",
    "response arrayBuffer": "new Response('x').arrayBuffer()",
    "performance": "performance",
    "performance.toJSON": "performance.toJSON()",
    "URL": "new URL('https://u:p@b\u00fccher.example/a?b=1#c')",
    "URL searchParams": "new URL('https://example.com/?a=1').searchParams",
    "URLSearchParams": "new URLSearchParams({a: '1'})",
    "URLSearchParams iterator": "new URLSearchParams('a=1').entries()",
    "URLSearchParams iterator step": "new URLSearchParams('a=1').entries().next()",
    "URLSearchParams getAll": "new URLSearchParams('a=1').getAll('a')",
    "URL TypeError": "(() => { try { new URL('nope') } catch (e) { return e } })()",
    "import() rejection": "import('x').catch((e) => e)",
}

CONSTRUCTOR_CHAIN = """
const ORIGIN = ORIGIN_JSON;
const out = {};
const entries = ENTRIES_JSON;
for (const [name, source] of entries) {
  let value;
  try { value = eval(source); } catch (e) { value = e; }
  if (value && typeof value.then === 'function' && name !== 'fetch promise') {
    try { value = await value; } catch (e) { value = e; }
  }
  const found = [];
  // Every constructor and prototype reachable in a few steps, and what its Function makes.
  const queue = [[value, 0]];
  const seen = new Set();
  while (queue.length) {
    const [v, depth] = queue.shift();
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v) || depth > 4) continue;
    seen.add(v);
    for (const step of ['constructor', '__proto__']) {
      let next;
      try { next = step === '__proto__' ? Object.getPrototypeOf(v) : v.constructor; } catch (e) { continue; }
      queue.push([next, depth + 1]);
    }
    if (typeof v === 'function') {
      try {
        const made = v.constructor('return this');
        const g = typeof made === 'function' ? made() : undefined;
        if (g !== undefined && g !== globalThis) found.push('another global via ' + name);
        const probe = v.constructor('return typeof process + typeof require + typeof __timer_manager + typeof boot');
        if (typeof probe === 'function' && probe() !== 'undefinedundefinedundefinedundefined') found.push('host names via ' + name);
      } catch (e) { /* not a constructor of functions */ }
    }
  }
  out[name] = found;
}
return out;
"""


def test_constructor_chain_from_every_shim_value_ends_in_the_sandbox(
    attack: Attack, origin_server: Any
) -> None:
    code = CONSTRUCTOR_CHAIN.replace("ORIGIN_JSON", json.dumps(origin_server.url(""))).replace(
        "ENTRIES_JSON", json.dumps(list(SHIM_VALUES.items()))
    )
    result = attack(code, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    assert set(result["result"]) == set(SHIM_VALUES)
    assert all(found == [] for found in result["result"].values()), result["result"]


def test_constructor_chain_from_data_field_errors(attack: Attack) -> None:
    code = (
        "(() => { try { showAlert('x') } catch (e) { "
        "return [e.name, e.constructor.constructor('return this')() === globalThis, "
        "e.constructor.constructor('return typeof process')()] } })()"
    )
    result = attack(code, mode="expression")
    assert result["result"] == ["ActionCalledInSyncFieldError", True, "undefined"]


PREPARE_STACK_TRACE = """
const leaks = [];
const inspect = (callsites) => {
  for (const c of callsites) {
    const user = c.getFileName() === '<code>' || String(c.getEvalOrigin()).includes('<code>') || c.getScriptNameOrSourceURL() === '<code>';
    if (user) continue;
    let self, fn;
    try { self = c.getThis(); } catch (e) {}
    try { fn = c.getFunction(); } catch (e) {}
    if (self !== undefined && self !== globalThis) leaks.push('this of ' + c.getFunctionName());
    if (fn !== undefined) leaks.push('function ' + c.getFunctionName());
  }
};
Error.prepareStackTrace = (error, callsites) => { inspect(callsites); return 'formatted'; };
const probe = () => {
  new Error('probe').stack;
  const holder = {}; Error.captureStackTrace(holder); holder.stack;
};
const hooks = { get x() { probe(); return 1 }, toJSON() { probe(); return {a: 1} }, valueOf() { probe(); return 1 }, toString() { probe(); return 'utf-8' } };
const iterable = { [Symbol.iterator]() { probe(); return [1, 2][Symbol.iterator]() } };
const tries = [
  () => storeValue('k', hooks), () => navigateTo('p', hooks), () => download(hooks, 'f'), () => copyToClipboard('d', hooks),
  () => postWindowMessage(hooks), () => console.log(hooks, '%s %d %f %j', hooks, hooks, hooks, hooks), () => console.table([hooks]),
  () => structuredClone(hooks), () => structuredClone(new Error('e', { cause: hooks })), () => new Uint8Array({ length: 2, get 0() { probe(); return 1 } }),
  () => new Uint8Array(iterable), () => new Uint8Array(hooks), () => new ArrayBuffer(hooks, { get maxByteLength() { probe(); return 8 } }),
  () => new ArrayBuffer(8, { maxByteLength: 16 }).resize(hooks), () => new ArrayBuffer(8).slice(hooks), () => new Uint8Array(4).map((x) => (probe(), x)),
  () => new Uint8Array(4).toSorted(() => (probe(), 0)), () => new Uint8Array(4).with(hooks, 2), () => btoa(hooks), () => atob({ toString() { probe(); return 'YQ==' } }),
  () => new TextEncoder().encode(hooks), () => new TextDecoder(hooks, { get fatal() { probe(); return false } }).decode(new Uint8Array(2), { get stream() { probe(); return false } }),
  () => queueMicrotask(probe), () => setTimeout(probe, hooks), () => setInterval(function () { probe(); clearInterval('iv') }, 0, 'iv'),
  () => localStorage.getItem(hooks), () => localStorage.setItem('k', hooks), () => crypto.getRandomValues(new Uint8Array(4)),
  () => structuredClone(new Uint8Array(4), { get transfer() { probe(); return [] } }), () => storeValue('m', new Map([[hooks, 1]])),
  () => Promise.resolve().then(probe), () => storeValue('z', 1).then(probe), () => new FinalizationRegistry(probe),
  () => new Headers(iterable.constructor === Object ? [['a', hooks]] : []), () => new Headers({ get a() { probe(); return 'x' } }),
  () => new Request('https://example.com/', { get method() { probe(); return 'POST' }, body: hooks }),
  () => new Response(hooks, { get status() { probe(); return 200 } }), () => { const c = new AbortController(); c.signal.addEventListener('abort', probe); c.abort(hooks); },
  () => new Headers({ a: '1' }).forEach(probe), () => AbortSignal.any(iterable),
  () => fetch(ORIGIN + '/echo', { get headers() { probe(); return {} } }).then((r) => r.text()).then(probe),
  () => fetch('http://10.255.255.1/').catch(probe),
];
for (const t of tries) { try { t() } catch (e) { String(e) } }
await new Promise((r) => setTimeout(r, 30));
throw new TypeError('thrown at the end: ' + leaks.join(', '));
"""


def test_prepare_stack_trace_callsites_of_the_runtime_reveal_nothing(
    attack: Attack, origin_server: Any
) -> None:
    """Every runtime function is strict, so a CallSite of a runtime frame gives no `this` and
    no function, whichever shim callback installed the hook or captured the stack."""
    code = f"const ORIGIN = {json.dumps(origin_server.url(''))};\n" + PREPARE_STACK_TRACE
    result = attack(code, mode="function", wait_for_timers=True, timeout_ms=3000)
    assert result["error"]["kind"] == "runtime"
    # The runtime read the final error's stack through the user's hook; the message says what
    # leaked (nothing), and the stack shown is the hook's own answer.
    assert result["error"]["message"] == "thrown at the end: "


def test_caller_and_callee_of_callbacks_the_runtime_calls_reveal_no_runtime_function(
    attack: Attack,
) -> None:
    """`f.caller` of a sloppy callback is null when a (strict) runtime function called it; it
    may only ever be one of the user's own functions."""
    code = """
    const mine = new Set();
    const results = [];
    const note = (caller) => results.push(caller === null ? 'null' : mine.has(caller) ? 'user' : 'RUNTIME');
    function sloppy() { note(sloppy.caller); return 1 }
    function viaArguments() { note(arguments.callee.caller); return 1 }
    const holder = { toJSON: sloppy, get g() { return viaArguments() } };
    const getters = [Object.getOwnPropertyDescriptor(holder, 'g').get];
    const clone = { get g() { return viaArguments() } };
    const arrayLike = { length: 1, get 0() { return sloppy() } };
    const headersInit = { get a() { sloppy(); return '1' } };
    const everyMs = function () { sloppy(); clearInterval('i') };
    for (const f of [sloppy, viaArguments, everyMs, ...getters, Object.getOwnPropertyDescriptor(clone, 'g').get,
      Object.getOwnPropertyDescriptor(arrayLike, '0').get, Object.getOwnPropertyDescriptor(headersInit, 'a').get]) mine.add(f);
    storeValue('k', holder); console.log(holder); structuredClone(clone); new Uint8Array(arrayLike);
    setTimeout(sloppy); setTimeout(viaArguments); queueMicrotask(sloppy); setInterval(everyMs, 1, 'i');
    new Headers(headersInit).forEach(viaArguments);
    const c = new AbortController(); c.signal.onabort = sloppy; c.signal.addEventListener('abort', viaArguments); c.abort();
    new FinalizationRegistry(sloppy);
    new Promise((r) => setTimeout(() => r(results), 10))
    """
    result = attack(code, wait_for_timers=True)
    assert result["ok"], result["error"]
    assert len(result["result"]) >= 12
    assert "RUNTIME" not in result["result"]
    assert result["result"].count("null") >= 8  # callbacks the runtime itself called


def test_species_on_promises_the_shims_return(attack: Attack) -> None:
    """`then` on a promise a shim returned never consults Symbol.species (its derived promise is
    a plain Promise the runtime owns, so a rejection dropped at the end of a chain is reported;
    docs/DECISIONS.md), its `constructor` cannot be replaced (an `await` of it could otherwise be
    routed through `then` again), and a global species change alters nothing the runtime does or
    records."""
    code = """
    const seen = [];
    class Spy extends Promise {
      constructor(executor) { seen.push(typeof executor); super(executor); }
      static get [Symbol.species]() { seen.push('species'); return Spy; }
    }
    Object.defineProperty(Promise, Symbol.species, { get() { seen.push('global species'); return Spy; } });
    const p = storeValue('k', 1);
    p.constructor = Spy;
    let strict;
    try { (() => { 'use strict'; p.constructor = Spy; })(); } catch (e) { strict = e.name; }
    const derived = p.then((v) => v);
    const q = showAlert('m').then(() => 'done');
    const results = await Promise.all([derived, q]);
    const failed = showAlert(1).then(() => 'never');
    return [seen, results, appsmith.store.k, p.constructor === Promise, strict,
      Object.getPrototypeOf(derived) === Promise.prototype, Object.getPrototypeOf(storeValue('j', 2)) === Promise.prototype];
    """
    result = attack(code, mode="function")
    assert result["ok"], result["error"]
    assert result["result"] == [[], [{}, "done"], 1, True, "TypeError", True, True]
    assert [a["type"] for a in result["actions"]] == ["STORE_VALUE", "SHOW_ALERT", "STORE_VALUE"]
    assert [entry["text"] for entry in result["logs"]] == [
        "Uncaught (in promise) ActionValidationError: "
        "showAlert expected STRING for 'message' argument but received NUMBER"
    ]


def test_promise_hooks_neither_break_nor_observe_rejection_tracking(attack: Attack) -> None:
    """The runtime watches its own promises for unhandled rejections with `await` and their own
    `then`: user replacements of Promise.prototype.then/catch/finally, of the Promise statics and
    of the global Promise, and a getter for Promise[@@species], are never called by it, and what
    is reported is what is reported without them. (The code below calls none of them itself:
    whatever reaches a hook was the runtime. Promise.prototype.constructor is left alone: the
    runtime awaits the user function's own promise, which reads it, as any `await` does.)"""
    hooks = r"""
    const calls = [];
    const P = Promise;
    for (const k of ['then', 'catch', 'finally']) {
      const original = P.prototype[k];
      P.prototype[k] = function (...a) { calls.push('Promise.prototype.' + k); return Reflect.apply(original, this, a); };
    }
    for (const k of ['resolve', 'reject', 'all', 'withResolvers']) {
      const original = P[k];
      P[k] = function (...a) { calls.push('Promise.' + k); return Reflect.apply(original, this, a); };
    }
    Object.defineProperty(P, Symbol.species, { get() { calls.push('species'); return P; }, configurable: true });
    globalThis.Promise = function Fake() { calls.push('global Promise'); };
    """
    body = r"""
    showAlert(1);
    showModal(2).then(() => 'never');
    let caught;
    try { await showAlert(3) } catch (e) { caught = e.name }
    navigateTo('').then(() => 'never', undefined);
    download('d', 'f').then(() => 'fine');
    const stored = await storeValue('k', 1);
    return [caught, stored, calls];
    """
    plain = attack("const calls = [];\n" + body, mode="function")
    hooked = attack(hooks + body, mode="function")
    assert plain["ok"] and hooked["ok"], (plain["error"], hooked["error"])
    assert plain["result"] == hooked["result"] == ["ActionValidationError", {}, []], hooked["result"]
    assert [e["text"] for e in plain["logs"]] == [e["text"] for e in hooked["logs"]]
    assert len(plain["logs"]) == 3 and plain["actions"] == hooked["actions"]


ACCESSOR_GLOBALS = [
    "console", "crypto", "TextEncoder", "TextDecoder", "Headers", "Response", "Request",
    "AbortController", "AbortSignal", "FinalizationRegistry", "performance", "URL",
    "URLSearchParams",
]


@pytest.mark.parametrize("name", ACCESSOR_GLOBALS)
def test_lazy_global_accessors_with_odd_receivers_and_values(attack: Attack, name: str) -> None:
    code = """
    const name = NAME;
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    const out = { accessor: typeof d.get === 'function', printed: [String(d.get), String(d.set)] };
    const receivers = [undefined, null, 1, 'x', {}, [], Symbol('s'), new Proxy({}, {}), globalThis, () => 1];
    out.got = receivers.map((r) => { try { return Reflect.apply(d.get, r, []) === d.get.call(globalThis) } catch (e) { return e.name } });
    const real = globalThis[name];
    const values = [undefined, null, 0, d.get, d.set, Symbol('v'), new Proxy({}, {}), { valueOf() { throw new Error('x') } }];
    out.set = values.map((v) => { try { Reflect.apply(d.set, 1, [v]); return globalThis[name] === v } catch (e) { return e.name } });
    globalThis[name] = real;
    out.works = typeof globalThis[name];
    out.descriptor = Object.getOwnPropertyDescriptor(globalThis, name).writable;
    out;
    """
    result = attack(code.replace("NAME", json.dumps(name)))
    assert result["ok"], result["error"]
    out = result["result"]
    assert out["accessor"] is True
    assert out["printed"] == [f"function get {name}() {{ [native code] }}", f"function set {name}() {{ [native code] }}"]
    assert out["got"] == [True] * 10  # the receiver changes nothing: it always loads the same
    assert out["set"] == [True] * 8  # assignment semantics: the value replaces the global
    assert out["works"] in ("object", "function") and out["descriptor"] is True


def test_appsmith_store_getter_and_proxy_cannot_write_the_store(attack: Attack) -> None:
    code = """
    'use strict';
    const get = Object.getOwnPropertyDescriptor(appsmith, 'store').get;
    const tries = {};
    const attempt = (name, f) => { try { tries[name] = f() } catch (e) { tries[name] = e.name } };
    attempt('getter receivers', () => [undefined, 1, {}, appsmith].every((r) => Reflect.apply(get, r, []) === appsmith.store));
    attempt('set', () => { appsmith.store.x = 1 });
    attempt('define', () => Object.defineProperty(appsmith.store, 'x', { value: 1 }));
    attempt('delete', () => delete appsmith.store.k);
    attempt('proto', () => Object.setPrototypeOf(appsmith.store, null));
    attempt('prevent', () => Object.preventExtensions(appsmith.store));
    attempt('nested', () => { appsmith.store.k.n = 2 });
    attempt('replace store', () => { appsmith.store = {} });
    attempt('replace appsmith', () => { globalThis.appsmith = {} });
    attempt('freeze twist', () => Object.isFrozen(appsmith.store.k));
    storeValue('after', 1);
    [tries, appsmith.store, Object.keys(appsmith.store)];
    """
    result = attack(code, store={"k": {"n": 1}})
    assert result["ok"], result["error"]
    tries, store, keys = result["result"]
    assert tries["getter receivers"] is True
    for name in ("set", "define", "delete", "proto", "prevent", "nested", "replace store", "replace appsmith"):
        assert tries[name] == "TypeError", name
    assert tries["freeze twist"] is True
    assert store == {"k": {"n": 1}, "after": 1} and keys == ["k", "after"]
    assert result["store"] == store  # what the code saw is what was recorded


def test_local_storage_stubs_and_paths_reach_nothing_internal(attack: Attack) -> None:
    code = """
    const touched = [];
    for (const key of ['zz', 'qq']) Object.defineProperty(Object.prototype, key, { get() { touched.push(this === appsmith.store ? 'store view' : Object.keys(this).join(',')); return undefined }, configurable: true });
    const stub = localStorage.getItem;
    const out = {
      receivers: [undefined, 1, {}, localStorage].map((r) => Reflect.apply(stub, r, ['k'])),
      paths: ['__proto__', 'constructor', 'constructor.constructor', '__proto__.constructor', 'zz.a', 'qq', 'k.zz', '[0]', '.', '..', '[', '][', 'k["n"]', "k['n']"].map((p) => { const v = localStorage.getItem(p); return typeof v === 'function' ? 'function' : v }),
      printed: Object.values(localStorage).map(String),
      readOnly: (() => { 'use strict'; try { localStorage = {}; return 'replaced' } catch (e) { return e.name } })(),
    };
    localStorage.setItem('x', 1); localStorage.removeItem('x'); localStorage.clear();
    out.after = [localStorage.getItem('k'), Object.keys(appsmith.store)];
    out.touched = touched;
    out;
    """
    result = attack(code, store={"k": {"n": 1}})
    assert result["ok"], result["error"]
    out = result["result"]
    assert out["receivers"] == [{"n": 1}] * 4
    # Inherited names resolve on the user's own stored values only (never the store's backing
    # object): the first path segment is looked up among the store's keys.
    assert out["paths"][:4] == [None, None, None, None]
    assert out["paths"][4:] == [None, None, None, None, None, None, None, None, 1, 1]
    assert out["touched"] == ["n"]  # 'k.zz': the getter ran on the user's stored value only
    assert all(text.endswith("() { [native code] }") for text in out["printed"])
    assert out["readOnly"] == "TypeError"
    assert out["after"] == [None, []]
    assert [op["op"] for op in result["store_ops"]] == ["set", "remove", "clear"]


def test_every_function_reachable_prints_as_native_code(attack: Attack, origin_server: Any) -> None:
    """No published or returned function shows runtime source (class bodies included)."""
    code = """
    const ORIGIN = ORIGIN_JSON;
    const roots = [globalThis];
    const grab = async (f) => { try { roots.push(await f()) } catch (e) { roots.push(e) } };
    for (const f of [() => showAlert(1), () => structuredClone(() => 1), () => atob('!'),
      () => crypto.getRandomValues(new Float32Array(1)), () => crypto.getRandomValues(new Uint8Array(70000)),
      () => storeValue('a', 1), () => new TextEncoder().encodeInto('a', new Uint8Array(2)),
      () => new Headers({a: '1'}).entries(), () => fetch(ORIGIN + '/echo'), () => fetch('http://10.255.255.1/'),
      () => new AbortController(), () => AbortSignal.abort(), () => new TextDecoder(), () => new FinalizationRegistry(() => {}),
      () => new Response('x'), () => new Request('https://example.com/'), () => new Uint8Array(1).slice(),
      () => [showAlert('x'), showAlert('y').then(() => 1)],
      () => performance, () => new URL('https://b\u00fccher.example/?a=1'), () => new URLSearchParams('a=1').keys(),
      () => new URL('nope'), () => import('x')]) await grab(f);
    const seen = new Set(); const bad = []; const queue = [...roots];
    while (queue.length && seen.size < 50000) {
      const o = queue.shift();
      if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
      seen.add(o);
      if (typeof o === 'function' && !/\\{ \\[native code\\] \\}$/.test(Function.prototype.toString.call(o))) bad.push(Function.prototype.toString.call(o).slice(0, 60));
      for (const k of Reflect.ownKeys(o)) {
        const d = Reflect.getOwnPropertyDescriptor(o, k);
        if ('value' in d) queue.push(d.value); else queue.push(d.get, d.set);
      }
      queue.push(Object.getPrototypeOf(o));
    }
    return [seen.size, bad];
    """.replace("ORIGIN_JSON", json.dumps(origin_server.url("")))
    result = attack(code, mode="function", timeout_ms=3000)
    assert result["ok"], result["error"]
    size, bad = result["result"]
    assert size > 1000 and bad == []


# The own keys of every intrinsic and its prototype, as JSON text (symbols by description).
INTRINSIC_KEYS = """
(() => {
  const TypedArray = Object.getPrototypeOf(Int8Array);
  const named = { TypedArray, AsyncFunction: (async () => {}).constructor,
    GeneratorFunction: (function* () {}).constructor, AsyncGeneratorFunction: (async function* () {}).constructor,
    ArrayIterator: Object.getPrototypeOf([][Symbol.iterator]()), IteratorPrototype: Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) };
  for (const name of ['Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Date',
    'RegExp', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError', 'Promise', 'Map', 'Set', 'WeakMap',
    'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Proxy', 'Reflect', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'DataView',
    'Uint8Array', 'Int32Array', 'Float64Array', 'BigInt64Array', 'Iterator', 'Temporal', 'DisposableStack']) named[name] = globalThis[name];
  const keys = (o) => Reflect.ownKeys(o).map((k) => typeof k === 'symbol' ? '@@' + k.description : k).sort();
  const out = {};
  for (const [name, value] of Object.entries(named)) {
    if (value === undefined) continue;
    out[name] = keys(value);
    if (typeof value === 'function' && value.prototype) out[name + '.prototype'] = keys(value.prototype);
  }
  return JSON.stringify(out);
})()
"""

TOUCH_EVERYTHING = """
console.log(1); setTimeout(() => {}); storeValue('k', 1); showAlert('x'); atob('YQ=='); new TextEncoder().encode('a');
new TextDecoder().decode(new Uint8Array(1)); structuredClone(new Map()); crypto.randomUUID(); new FinalizationRegistry(() => {});
new Headers(); new Response('x'); new AbortController(); fetch('http://10.255.255.1/').catch(() => {}); localStorage.getItem('k');
queueMicrotask(() => {}); new Uint8Array(2).slice(); try { showAlert(1) } catch (e) {}
performance.now(); new URL('https://b\u00fccher.example/?a=1').searchParams.sort(); [...new URLSearchParams('a=1')];
import('x').catch(() => {});
"""


def test_the_runtime_adds_no_name_to_any_intrinsic(attack: Attack) -> None:
    """Compared with a bare V8 isolate (no runtime): after every capability has loaded, every
    intrinsic and prototype has exactly the same own keys. The runtime wraps some values
    (ArrayBuffer and TypedArray methods, Function.prototype.toString) and adds no name."""
    from evaluator._bridge import Isolate

    bare = Isolate()
    try:
        reply = bare.eval(INTRINSIC_KEYS).wait(10)
    finally:
        bare.close()
    assert reply is not None and reply.ok
    expected = json.loads(reply.value)
    result = attack(TOUCH_EVERYTHING + "JSON.parse(" + INTRINSIC_KEYS.strip() + ")", timeout_ms=2000)
    assert result["ok"], result["error"]
    assert result["result"] == expected


def test_the_global_object_stays_the_allow_list_after_every_capability_loaded(attack: Attack) -> None:
    before = attack("Reflect.ownKeys(globalThis).map(String)")["result"]
    after = attack(TOUCH_EVERYTHING + "Reflect.ownKeys(globalThis).map(String)", timeout_ms=2000)
    assert after["ok"], after["error"]
    assert sorted(after["result"]) == sorted(before)
