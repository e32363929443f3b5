"""The own keys of every intrinsic object in a bare V8 context, for the library loader.

While a library loads, the loader (shims/libraries/65_libraries.js) takes off every key that
user code added to an intrinsic (an `Object.prototype` setter, `Error.prepareStackTrace`, ...)
and puts it back afterwards. Telling added keys from the engine's own needs this list, and
computing it inside each sandbox would cost every evaluation; the host computes it once per
process, in a fresh isolate without the runtime, and hands it over with the library sources.
The runtime adds no key to any intrinsic (tests/security/test_host_reach.py checks it), so a
bare context's keys are exactly a sandbox's before user code runs.
"""

from __future__ import annotations

import threading

from evaluator._bridge import Isolate

__all__ = ["pristine_keys"]

# Holder names as 00_primordials.js names them (a constructor, `<Name>Prototype`, a namespace),
# plus the two iterator prototypes, which have no global name.
_PROBE = r"""
(function () {
  "use strict";
  const constructors = [
    "AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array",
    "Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry", "Float16Array",
    "Float32Array", "Float64Array", "Function", "Int16Array", "Int32Array", "Int8Array", "Map",
    "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError", "RegExp", "Set",
    "String", "Symbol", "SyntaxError", "TypeError", "URIError", "Uint16Array", "Uint32Array",
    "Uint8Array", "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet",
  ];
  const holders = {};
  for (const name of constructors) {
    const ctor = globalThis[name];
    if (typeof ctor !== "function") continue;
    holders[name] = ctor;
    if (ctor.prototype) holders[name + "Prototype"] = ctor.prototype;
  }
  for (const name of ["JSON", "Math", "Reflect"]) holders[name] = globalThis[name];
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  holders.TypedArray = TypedArray;
  holders.TypedArrayPrototype = TypedArray.prototype;
  holders.ArrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]());
  holders.IteratorPrototype = Object.getPrototypeOf(holders.ArrayIteratorPrototype);
  const wellKnown = new Map();
  for (const name of Object.getOwnPropertyNames(Symbol)) {
    if (typeof Symbol[name] === "symbol") wellKnown.set(Symbol[name], name);
  }
  const out = {};
  for (const [name, holder] of Object.entries(holders)) {
    const keys = {};
    const symbols = [];
    for (const key of Reflect.ownKeys(holder)) {
      if (typeof key === "symbol") {
        if (wellKnown.has(key)) symbols.push(wellKnown.get(key));
      } else {
        Object.defineProperty(keys, key, { value: 1, enumerable: true });
      }
    }
    out[name] = { keys, symbols };
  }
  return JSON.stringify(out);
})()
"""

_lock = threading.Lock()
_keys: str | None = None


def pristine_keys() -> str:
    """JSON text: holder name -> {"keys": {key: 1, ...}, "symbols": [well-known name, ...]},
    its own keys (a set the runtime reads with a plain own-property check). Cached."""
    global _keys
    with _lock:
        if _keys is None:
            isolate = Isolate()
            try:
                reply = isolate.eval(_PROBE).wait(30)
            finally:
                isolate.close()
            if reply is None or not reply.ok or not isinstance(reply.value, str):
                raise RuntimeError("could not list the intrinsic objects' keys")
            _keys = reply.value
        return _keys
