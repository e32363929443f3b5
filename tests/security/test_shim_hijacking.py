"""Class 2, shim hijacking: user code replaces the built-ins the shims could use, then calls every
shim. Each test is one replacement. It must change nothing the shims do (the answer equals the
answer without it) and show the shims' internals nothing:

- a replaced function or constructor is a poison that records the call: no shim may call it;
- an accessor put on a shared prototype (`Object.prototype.then`, `Array.prototype[0]`, ...)
  records every object it is called on; each must be one the user can reach anyway (found by a
  walk from `globalThis`, the exercise's inputs and everything the shims handed back). Such hooks
  may fire where the API makes them observable (promise resolution reads `then` of the values
  user code receives; the JSON rules read `toJSON` of user values): that is correct behaviour,
  the walk tells it apart from a hook reaching an internal object.

The exercise touches every shim: console, timers, store, actions, localStorage, atob/btoa,
TextEncoder/TextDecoder, structuredClone, crypto, typed arrays and ArrayBuffer, queueMicrotask,
fetch (against the origin server), and returns a result full of Maps, Sets, BigInts and Errors.
It runs on the virtual clock with a seed, so two runs of it give the same answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

# Captured before any hijack: the exercise records, calls built-in methods and walks with these.
SETUP = r"""
'use strict';
const O = {
  apply: Reflect.apply, ownKeys: Reflect.ownKeys, gopd: Reflect.getOwnPropertyDescriptor,
  gpo: Reflect.getPrototypeOf, hasOwn: Object.hasOwn, defineProperty: Reflect.defineProperty,
  mapSet: Map.prototype.set, mapGet: Map.prototype.get, mapHas: Map.prototype.has,
  mapForEach: Map.prototype.forEach, setHas: Set.prototype.has, setForEach: Set.prototype.forEach,
  wsAdd: WeakSet.prototype.add, wsHas: WeakSet.prototype.has, tag: Object.prototype.toString,
  getTime: Date.prototype.getTime, Map, WeakSet, Promise, Error,
};
const TA = Object.getPrototypeOf(Uint8Array.prototype);
const U = {
  slice: TA.slice, map: TA.map, filter: TA.filter, toSorted: TA.toSorted, toReversed: TA.toReversed,
  with: TA.with, subarray: TA.subarray, bufferSlice: ArrayBuffer.prototype.slice,
  resize: ArrayBuffer.prototype.resize, transfer: ArrayBuffer.prototype.transfer,
  fromHex: Uint8Array.fromHex, fromBase64: Uint8Array.fromBase64,
};
const call = (fn, self, ...args) => O.apply(fn, self, args);
const hits = new O.Map();     // poison name -> true
const touched = new O.Map();  // object an accessor hook ran on -> hook name
const kept = new O.Map();     // everything the shims handed back, and what it resolved to
const note = (map, key, value) => O.apply(O.mapSet, map, [key, value]);
const keep = (value) => { note(kept, value, true); return value; };
const poison = (name) => function poisoned() { note(hits, name, true); throw new O.Error('hijacked ' + name); };
const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';
const hook = (name) => ({ __proto__: null, configurable: true,
  get() { 'use strict'; if (isObject(this)) note(touched, this, name); return undefined; },
  set(value) { 'use strict'; if (isObject(this)) note(touched, this, name); } });
const replace = (holder, key, name) => O.defineProperty(holder, key, { __proto__: null, value: poison(name), writable: true, configurable: true });
const replaceAll = (holder, label) => { const keys = O.ownKeys(holder); for (let i = 0; i < keys.length; i++) { const key = keys[i]; const d = O.gopd(holder, key); if (d && O.hasOwn(d, 'value') && typeof d.value === 'function' && key !== 'constructor') replace(holder, key, label + '.' + (typeof key === 'symbol' ? '@@' + key.description : key)); } };
const accessor = (holder, key, name) => O.defineProperty(holder, key, hook(name));
// Inputs, built before the hijack with ordinary code.
const input = {
  graph: { a: [1, { b: 2 }], m: new Map([[1, { c: 3 }]]), s: new Set([1, 'x']), d: new Date(0), r: /x+/gi, u: new Uint8Array([1, 2, 3]), e: new RangeError('range') },
  bytes: new Uint8Array([104, 195, 169, 240, 159, 152, 128, 255]),
  stream1: new Uint8Array([226, 130]), stream2: new Uint8Array([172]),
  typed: new Uint8Array([3, 1, 2]), f64: new Float64Array([1.5, -2]),
  buffer: new ArrayBuffer(8, { maxByteLength: 16 }), growable: { maxByteLength: 8 },
  tableRows: [{ a: 1, b: 'x' }, { a: 2 }],
  logged: { nested: [1, [2, [3, [4]]]], map: new Map([['k', 1]]), set: new Set([2]) },
  small: { a: 1 }, list: [1], json: { j: 1 }, dir: { d: 1 },
  typeError: new TypeError('te'), timerError: new RangeError('in a timer'),
  stored: { v: [1, 2, { w: 'x' }] }, lsValue: [1, { z: 2 }],
  params: { q: 1 }, data: { d: [1] }, options: { o: 1 }, message: { m: 1 },
  query: { q: 'x y', 'é': '&=' }, visit: (value, name) => console.log('param', name, value),
  stream: { stream: true }, fatal: { fatal: true },
  fetchInit: { method: 'POST', headers: { 'x-a': '1', 'x-b': 'two' }, body: 'payload' },
  double: (x) => x * 2, even: (x) => x % 2 === 0, byNumber: (a, b) => a - b,
  result: { big: 10n, map: new Map([['a', 1], [2, { b: [true] }]]), set: new Set([1, 'two']), err: new TypeError('shown'), sym: Symbol('s'), date: new Date(86400000), nested: [{ a: undefined, f: () => 1 }, null] },
};
input.graph.self = input.graph;
const sleep = (ms) => new O.Promise((resolve) => setTimeout(resolve, ms));
"""

# Only shim calls, literals, property reads, `+`, typeof and the captured methods from here on:
# a hijacked built-in called by this code itself would be a hit of the user, not of a shim.
EXERCISE = r"""
const out = { __proto__: null };
const t = (name, f) => { try { out[name] = f(); } catch (e) { out[name] = { threw: e && e.name, message: e && e.message }; } };
const ta = async (name, f) => { try { out[name] = await f(); } catch (e) { out[name] = { threw: e && e.name, message: e && e.message }; } };
t('console', () => {
  console.log('a', 1, input.logged, 'x%sy', 5);
  console.log('%s|%d|%i|%f|%o|%O|%j|%c.', 'str', 42.9, 7.1, 1.5, input.small, input.list, input.json, 'color');
  console.info('info'); console.warn('warn'); console.error(input.typeError); console.debug('dbg');
  console.table(input.tableRows); console.group('g'); console.log('in'); console.groupEnd();
  console.count(); console.count('c'); console.assert(false, 'as'); console.dir(input.dir); console.trace('tr');
  return 1;
});
t('store', () => { keep(storeValue('k', input.stored)); keep(removeValue('gone')); return keep(appsmith.store.k); });
t('storeCopy', () => { keep(storeValue('m', input.graph.m)); keep(storeValue('big', 10n)); return [keep(appsmith.store.m), appsmith.store.big]; });
t('localStorage', () => { localStorage.setItem('l', input.lsValue); const r = [keep(localStorage.getItem('l')), localStorage.getItem('l[1].z'), localStorage.getItem('init.a[1]'), localStorage.getItem('nope')]; localStorage.removeItem('l'); return r; });
t('actions', () => { keep(showAlert('hi', 'info')); keep(navigateTo('P', input.params, 'NEW_WINDOW')); keep(showModal('M')); keep(closeModal('M')); keep(download(input.data, 'f.json', 'application/json')); keep(copyToClipboard('c', input.options)); keep(resetWidget('W', false)); postWindowMessage(input.message, 'window', '*'); return 1; });
await ta('validation', async () => { try { await keep(showAlert(1)); } catch (e) { keep(e); return [e.name, e.message, e instanceof O.Error]; } });
await ta('uncopyable', async () => { try { await keep(storeValue('self', input.graph)); } catch (e) { keep(e); return [e.name, e.message]; } });
// Rejections nobody handles, of promises user code never holds: logged, and neither the
// promises nor their reasons may meet a hook.
t('unhandled', () => { showAlert(2); showModal(input.small).then(input.double); postWindowMessage(input.message, 'window'); localStorage.setItem('cyclic', input.graph); return 1; });
t('base64', () => { let bad; try { atob('!'); } catch (e) { keep(e); bad = e.name; } return [btoa('hello'), atob('aGVsbG8='), bad]; });
t('encoder', () => { const u = keep(new TextEncoder().encode('hé€😀')); return [u.length, u[0], u[1], u[3], u[6], u[9]]; });
t('encodeInto', () => { const d = new Uint8Array(5); const r = keep(new TextEncoder().encodeInto('hé€', d)); return [r.read, r.written, d[0], d[2], d[3]]; });
t('decoder', () => { const dec = new TextDecoder('utf-8'); let fatal; try { new TextDecoder('utf-8', input.fatal).decode(input.bytes); } catch (e) { keep(e); fatal = e.name; } return [new TextDecoder().decode(input.bytes), dec.decode(input.stream1, input.stream) + dec.decode(input.stream2), fatal]; });
t('clone', () => { const c = keep(structuredClone(input.graph)); return [c !== input.graph, c.self === c, c.a[1].b, call(O.mapGet, c.m, 1).c, call(O.setHas, c.s, 'x'), call(O.getTime, c.d), c.r.source, c.r.flags, c.u[2], c.e.message, c.e.name]; });
t('cloneBuffer', () => { const c = keep(structuredClone(input.buffer)); return [c.byteLength, c.resizable, c.maxByteLength]; });
t('crypto', () => { const a = crypto.getRandomValues(new Uint8Array(4)); return [a[0], a[1], a[2], a[3], crypto.randomUUID()]; });
t('typed', () => {
  const a = input.typed;
  const s = keep(call(U.slice, a, 1)); const m = keep(call(U.map, a, input.double)); const f = keep(call(U.filter, a, input.even));
  const so = keep(call(U.toSorted, a, input.byNumber)); const re = keep(call(U.toReversed, a)); const w = keep(call(U.with, a, 0, 9)); const sub = keep(call(U.subarray, a, 1, 2));
  return [s[0], s[1], m[0], m[2], f.length, f[0], so[0], so[2], re[0], w[0], sub[0], sub.length];
});
t('buffers', () => {
  const sl = keep(call(U.bufferSlice, new ArrayBuffer(4), 1)); const r = new ArrayBuffer(2, input.growable); call(U.resize, r, 6);
  const tr = keep(call(U.transfer, new ArrayBuffer(3), 5)); const h = keep(call(U.fromHex, Uint8Array, '0aff')); const b64 = keep(call(U.fromBase64, Uint8Array, 'AQI='));
  const copy = new Uint8Array(input.f64.buffer); const from = new Float64Array(input.f64);
  return [sl.byteLength, r.byteLength, tr.byteLength, h[0], h[1], b64[1], copy.length, from[0], from[1], new Int16Array(3).length];
});
t('timers', () => { setTimeout((x) => console.log('timeout', x), 5, 'arg'); setInterval((x) => { console.log('interval', x); clearInterval('iv'); }, 3, 'iv'); const id = setTimeout(() => console.log('never'), 1); clearTimeout(id); setTimeout(() => { throw input.timerError; }, 7); return typeof id; });
t('microtask', () => { queueMicrotask(() => console.log('microtask')); return 1; });
t('performance', () => [performance.now(), performance.timeOrigin, keep(performance.toJSON()).timeOrigin]);
t('url', () => {
  const u = keep(new URL('HTTPS://user:pw@Example.COM:8080/a/../b c?x=1&y=2&y=3#f'));
  const p = keep(u.searchParams);
  p.append('z', '\u00e9 +'); p.delete('x'); p.set('w', '1'); p.sort();
  const it = keep(p.entries()); const first = keep(it.next()); const pair = keep(first.value);
  p.forEach(input.visit);
  u.hostname = 'b\u00fccher.example'; u.port = '443'; u.hash = ''; u.pathname = '/r/./s';
  const q = keep(new URLSearchParams(input.query)); const r = keep(new URLSearchParams('?a=1&a=2'));
  const all = keep(r.getAll('a'));
  return [u.href, u.origin, u.host, u.protocol, u.username, u.password, u.search, u.toJSON(), p.toString(),
    p.size, p.get('y'), p.has('z'), p.has('y', '3'), pair[0], pair[1], q.toString(), all.length, all[1],
    URL.canParse('nope'), keep(URL.parse('/r?s', 'http://h')).href, URL.parse('::'), keep(keep(r.keys()).next()).value];
});
t('urlErrors', () => { try { new URL('not a url'); } catch (e) { keep(e); return [e.name, e.message]; } });
await ta('urlFetch', async () => { const r = keep(await keep(fetch(keep(new URL('/echo?via=url', ORIGIN))))); return keep(await keep(r.json())).target; });
await ta('fetch', async () => {
  const r = keep(await keep(fetch(ORIGIN + '/echo', input.fetchInit)));
  const j = keep(await keep(r.json()));
  const h = keep(r.headers);
  const refused = await keep(keep(fetch('http://10.255.255.1/')).then(() => 'reached', (e) => keep(e).name + ': ' + e.message));
  return [r.status, r.ok, r.statusText, h.get('content-type'), h.get('x-custom'), h.has('set-cookie'), j.method, j.body, refused];
});
await ta('awaited', async () => { keep(await keep(storeValue('after', 1))); keep(await keep(showAlert('awaited'))); return appsmith.store.after; });
await sleep(20);
out.result = input.result;
"""

# After the exercise: which objects could the user reach? A walk with the captured functions,
# from the global object, the inputs, the outputs and everything the shims handed back (promises
# included, with the values they resolved to).
CHECK = r"""
const promises = { __proto__: null, length: 0 };
O.apply(O.mapForEach, kept, [(_, value) => { if (value instanceof O.Promise) promises[promises.length++] = value; }]);
for (let i = 0; i < promises.length; i++) { try { keep(await promises[i]); } catch (e) { keep(e); } }
const visible = new O.WeakSet();
const queue = [globalThis, out, input, kept];
let count = 0;
const push = (value) => { if (isObject(value)) queue[queue.length] = value; };
while (count < queue.length && count < 200000) {
  const value = queue[count++];
  if (O.apply(O.wsHas, visible, [value])) continue;
  O.apply(O.wsAdd, visible, [value]);
  let keys;
  try { keys = O.ownKeys(value); } catch (e) { continue; }
  for (let i = 0; i < keys.length; i++) {
    let d;
    try { d = O.gopd(value, keys[i]); } catch (e) { continue; }
    if (d === undefined) continue;
    if (O.hasOwn(d, 'value')) push(d.value); else { push(d.get); push(d.set); }
  }
  try { push(O.gpo(value)); } catch (e) {}
  try { O.apply(O.mapForEach, value, [(v, k) => { push(v); push(k); }]); } catch (e) {}
  try { O.apply(O.setForEach, value, [(v) => push(v)]); } catch (e) {}
}
const leaks = new O.Map();
O.apply(O.mapForEach, touched, [(name, object) => { if (!O.apply(O.wsHas, visible, [object])) note(leaks, name + ' on ' + O.apply(O.tag, object, []), true); }]);
return { out, poisoned: hits, leaks };
"""

# name -> JavaScript that hijacks (runs after SETUP, before EXERCISE).
HIJACKS: dict[str, str] = {
    "JSON.stringify": "replace(JSON, 'stringify', 'JSON.stringify');",
    "JSON.parse": "replace(JSON, 'parse', 'JSON.parse');",
    "global Promise": "replace(globalThis, 'Promise', 'Promise');",
    "Promise statics": "replaceAll(Promise, 'Promise');",
    "Promise.prototype.then/catch/finally": "replaceAll(Promise.prototype, 'Promise.prototype');",
    "Promise[Symbol.species]": "accessor(Promise, Symbol.species, '@@species');",
    "Function.prototype.call/apply/bind": "replace(Function.prototype, 'call', 'call'); replace(Function.prototype, 'apply', 'apply'); replace(Function.prototype, 'bind', 'bind');",
    "Function.prototype.toString": "replace(Function.prototype, 'toString', 'Function.prototype.toString');",
    "Array.prototype methods": "replaceAll(Array.prototype, 'Array.prototype');",
    "Array statics": "replaceAll(Array, 'Array');",
    "Array.prototype[Symbol.iterator] and the iterator's next": "replace(Object.getPrototypeOf([][Symbol.iterator]()), 'next', 'ArrayIterator.next'); replace(Array.prototype, Symbol.iterator, 'Array@@iterator');",
    "Array.prototype index accessors": "for (const k of ['0', '1', '2', '3', 'length2']) accessor(Array.prototype, k, 'Array.prototype[' + k + ']');",
    "Object.prototype accessors 0 value get set": "for (const k of ['0', 'value', 'get', 'set']) accessor(Object.prototype, k, 'Object.prototype.' + k);",
    "Object.prototype accessors then toJSON": "for (const k of ['then', 'toJSON']) accessor(Object.prototype, k, 'Object.prototype.' + k);",
    "Object.prototype accessors headers logs actions": "for (const k of ['headers', 'logs', 'actions', 'store_ops', 'outcome', 'phase', 'op', 'items', 'limits']) accessor(Object.prototype, k, 'Object.prototype.' + k);",
    "Object.prototype accessors of internal records": "for (const k of ['kind', 'message', 'name', 'stack', 'done', 'next', 'id', 'due', 'args', 'callback', 'enumerable', 'writable', 'configurable', 'maxByteLength', 'used', 'budget', 'text', 'bytes', 'body', 'status', 'url', 'constructor2', 'prototype2', 'cause', 'stream', 'fatal', 'transfer']) accessor(Object.prototype, k, 'Object.prototype.' + k);",
    "Object.prototype Symbol hooks": "accessor(Object.prototype, Symbol.iterator, 'Object@@iterator'); accessor(Object.prototype, Symbol.toPrimitive, 'Object@@toPrimitive'); accessor(Object.prototype, Symbol.toStringTag, 'Object@@toStringTag'); accessor(Object.prototype, Symbol.species, 'Object@@species');",
    "Object.prototype methods": "replaceAll(Object.prototype, 'Object.prototype');",
    "Object statics": "replaceAll(Object, 'Object');",
    "Reflect": "replaceAll(Reflect, 'Reflect');",
    "String.prototype methods": "replaceAll(String.prototype, 'String.prototype');",
    "Symbol.split/replace/match/search on String and Object prototypes": "for (const s of ['split', 'replace', 'replaceAll', 'match', 'matchAll', 'search']) { replace(String.prototype, Symbol[s] || s, 'String@@' + s); replace(Object.prototype, Symbol[s] || s, 'Object@@' + s); }",
    "String statics": "replaceAll(String, 'String');",
    "RegExp.prototype": "replaceAll(RegExp.prototype, 'RegExp.prototype');",
    "Map Set WeakMap WeakSet prototypes": "for (const C of [Map, Set, WeakMap, WeakSet]) replaceAll(C.prototype, C.name + '.prototype');",
    "Map Set size getters": "accessor(Map.prototype, 'size', 'Map.size'); accessor(Set.prototype, 'size', 'Set.size');",
    "TypedArray prototype methods and statics": "replaceAll(Object.getPrototypeOf(Uint8Array.prototype), 'TypedArray.prototype'); replaceAll(Object.getPrototypeOf(Uint8Array), 'TypedArray'); replaceAll(Uint8Array, 'Uint8Array');",
    "ArrayBuffer prototype": "replaceAll(ArrayBuffer.prototype, 'ArrayBuffer.prototype');",
    # Date.prototype.toJSON and what it calls (@@toPrimitive, valueOf, toISOString) stay: the JSON rules
    # call them on the user's own Dates (the toJSON test below shows such hooks are honoured).
    "DataView and Date prototypes": "const { toJSON, toISOString, valueOf } = Date.prototype; const toPrimitive = Date.prototype[Symbol.toPrimitive]; replaceAll(DataView.prototype, 'DataView.prototype'); replaceAll(Date.prototype, 'Date.prototype'); replaceAll(Date, 'Date'); Object.defineProperty(Date.prototype, Symbol.toPrimitive, { value: toPrimitive, configurable: true }); Date.prototype.toJSON = toJSON; Date.prototype.toISOString = toISOString; Date.prototype.valueOf = valueOf;",
    "Number BigInt Boolean Symbol prototypes": "for (const C of [Number, BigInt, Boolean, Symbol]) replaceAll(C.prototype, C.name + '.prototype');",
    "Math and global functions": "replaceAll(Math, 'Math'); for (const k of ['parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'escape', 'eval']) replace(globalThis, k, k);",
    "global constructors": "for (const k of ['Object', 'Array', 'Function', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Error', 'TypeError', 'RangeError', 'Proxy', 'Symbol', 'String', 'Number', 'Boolean', 'BigInt', 'Date', 'RegExp', 'JSON', 'Reflect', 'Math', 'DataView', 'FinalizationRegistry', 'WeakRef']) replace(globalThis, k, k);",
    "globalThis Request Headers Response AbortController": "for (const k of ['Request', 'Headers', 'Response', 'AbortController', 'AbortSignal']) replace(globalThis, k, k);",
    "Error.captureStackTrace and stackTraceLimit": "replace(Error, 'captureStackTrace', 'Error.captureStackTrace');",
    "Iterator helpers": "replaceAll(Iterator.prototype, 'Iterator.prototype');",
    "Object.prototype.__proto__ accessor": "accessor(Object.prototype, '__proto__', 'Object.prototype.__proto__');",
}

BASE_FIELDS = {
    "mode": "function",
    "wait_for_timers": True,
    "clock": "virtual",
    "now_ms": 0,
    "random_seed": 7,
    "store": {"init": {"a": [0, "first"]}},
    "timeout_ms": 5000,
    "memory_mb": 64,
}


def program(origin: str, hijack: str) -> str:
    return (
        SETUP + f"const ORIGIN = {json.dumps(origin)};\n" + hijack + "\n" + EXERCISE + CHECK
    )


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """What two runs of the exercise must agree on (at_ms and stats are times)."""
    return {
        "ok": result["ok"],
        "error": result["error"],
        "out": result["result"]["out"] if result["ok"] else None,
        "logs": [(entry["level"], entry["text"], entry["args"]) for entry in result["logs"]],
        "logs_truncated": result["logs_truncated"],
        "actions": result["actions"],
        "store": result["store"],
        "store_ops": result["store_ops"],
        "timers": result["timers"],
        "fetches": [(f["method"], f["url"], f["status"], f["error"]) for f in result["fetches"]],
    }


@pytest.fixture(scope="module")
def exercise(
    attack: Callable[..., dict[str, Any]], origin_server: Any
) -> Callable[[str], dict[str, Any]]:
    origin = origin_server.url("")

    def run(hijack: str) -> dict[str, Any]:
        return attack(program(origin, hijack), **BASE_FIELDS)

    return run


@pytest.fixture(scope="module")
def baseline(exercise: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    result = exercise("")
    assert result["ok"], result["error"]
    assert result["result"]["poisoned"] == {} and result["result"]["leaks"] == {}
    out = result["result"]["out"]
    # The exercise itself worked: spot checks of every shim it drives.
    assert out["store"] == {"v": [1, 2, {"w": "x"}]}
    assert out["localStorage"] == [[1, {"z": 2}], 2, "first", None]
    assert out["validation"][0] == "ActionValidationError"
    assert out["base64"] == ["aGVsbG8=", "hello", "InvalidCharacterError"]
    assert out["clone"] == [True, True, 2, 3, True, 0, "x+", "gi", 3, "range", "RangeError"]
    assert out["cloneBuffer"] == [8, True, 16]
    assert out["fetch"][:3] == [200, True, "OK"] and out["fetch"][6:8] == ["POST", "payload"]
    assert out["fetch"][8].startswith("TypeError: fetch failed")
    assert out["awaited"] == 1
    assert out["performance"] == [0, 0, 0]
    assert out["url"][:9] == [
        "https://user:pw@xn--bcher-kva.example/r/s?w=1&y=2&y=3&z=%C3%A9+%2B", "https://xn--bcher-kva.example",
        "xn--bcher-kva.example", "https:", "user", "pw", "?w=1&y=2&y=3&z=%C3%A9+%2B",
        "https://user:pw@xn--bcher-kva.example/r/s?w=1&y=2&y=3&z=%C3%A9+%2B", "w=1&y=2&y=3&z=%C3%A9+%2B",
    ]
    assert out["url"][9:] == [
        4, "2", True, True, "w", "1", "q=x+y&%C3%A9=%26%3D", 2, "2", False, "http://h/r?s", None, "a",
    ]
    assert out["urlErrors"] == ["TypeError", "Failed to construct 'URL': Invalid URL"]
    assert out["urlFetch"] == "/echo?via=url"
    assert "param y 2" in [entry["text"] for entry in result["logs"]]
    texts = [entry["text"] for entry in result["logs"]]
    assert "microtask" in texts and "timeout arg" in texts and "interval iv" in texts
    assert "Uncaught RangeError: in a timer" in texts
    assert out["unhandled"] == 1
    assert texts.count("Please enter a target origin URL.") == 1
    uncaught = [text for text in texts if text.startswith("Uncaught (in promise) ")]
    assert uncaught == [
        "Uncaught (in promise) ActionValidationError: "
        "showAlert expected STRING for 'message' argument but received NUMBER",
        "Uncaught (in promise) TypeError: cannot convert .self to JSON: it is cyclic "
        "(Converting circular structure to JSON)",
        # the end of the showModal chain: it rejects a microtask after the others
        "Uncaught (in promise) ActionValidationError: "
        "showModal expected STRING for 'name' argument but received OBJECT",
    ], uncaught
    assert [a["type"] for a in result["actions"]][:4] == [
        "STORE_VALUE", "REMOVE_VALUE", "STORE_VALUE", "STORE_VALUE"
    ]
    return result


@pytest.mark.parametrize("name", list(HIJACKS))
def test_hijack_changes_nothing_and_sees_nothing(
    name: str, exercise: Callable[[str], dict[str, Any]], baseline: dict[str, Any]
) -> None:
    result = exercise(HIJACKS[name])
    assert result["ok"], result["error"]
    assert result["result"]["poisoned"] == {}, "a shim called a replaced built-in"
    assert result["result"]["leaks"] == {}, "a hook saw an object internal to the runtime"
    assert comparable(result) == comparable(baseline)


def test_user_to_json_on_object_prototype_is_honoured_as_json_stringify_would(
    attack: Callable[..., dict[str, Any]],
) -> None:
    """The result, stored values and payloads are copied by JSON.stringify's rules, so a
    toJSON user code defines on Object.prototype applies to them: correct behaviour, not a
    hole. The runtime's own replies are text, so the protocol is untouched."""
    code = (
        "Object.prototype.toJSON = function () { return 'T' };\n"
        "storeValue('k', {a: 1}); showAlert('m'); console.log({x: 1});\n"
        "({deep: {a: 1}})"
    )
    result = attack(code)
    assert result["ok"] and result["result"] == "T"
    assert result["store"] == {"k": "T"} and result["store_ops"][0]["value"] == "T"
    assert result["actions"][1] == {"type": "SHOW_ALERT", "payload": {"message": "m"}}
    assert result["logs"][0]["args"] == ["T"] and result["logs"][0]["text"] == "{ x: 1 }"
