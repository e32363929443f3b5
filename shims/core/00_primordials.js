// shims/core/00_primordials.js: the built-ins every later shim uses, captured before user code runs.
// Exposes: a frozen null-prototype record: every constructor and namespace (`Map`, `JSON`), its
//          prototype (`MapPrototype`), and, by Deno's naming, the members the shims use:
//          `ArrayPrototypePush(a, x)` (uncurried method), `MapPrototypeGetSize(m)` (getter),
//          `ObjectKeys(o)` (static), `ArrayPrototypeSymbolIterator`; intrinsics without a global
//          name (AsyncFunction, TypedArray); and helpers (`newList`, `listPush`, `stringSplit`, `isBrand`).
// Hides:   nothing of its own; it reads globals once, at load.
// Needs:   `boot.needed`: the member names the shims use, collected by shims/__init__.py from
//          their sources, so only those are resolved (capturing every member of every built-in,
//          as Deno does once per process, would cost each fresh isolate a millisecond).
// Load:    eager, first.
(function (boot) {
  "use strict";
  const { apply, bind, call } = Function.prototype;
  // uncurryThis(f)(self, ...args) === f.call(self, ...args), without looking up `call` later.
  const uncurryThis = bind.bind(call);
  const stringToLower = uncurryThis(String.prototype.toLowerCase);
  const stringSlice = uncurryThis(String.prototype.slice);
  const stringStartsWith = uncurryThis(String.prototype.startsWith);
  const stringIndexOf = uncurryThis(String.prototype.indexOf);
  const getOwn = Reflect.getOwnPropertyDescriptor;
  const ReflectDefineProperty = Reflect.defineProperty;
  const ObjectSetPrototypeOf = Object.setPrototypeOf;

  const primordials = { __proto__: null };
  const holders = { __proto__: null }; // constructor/namespace name -> object

  const constructors = [
    "AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array",
    "Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry", "Float16Array",
    "Float32Array", "Float64Array", "Function", "Int16Array", "Int32Array", "Int8Array", "Map",
    "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError", "RegExp", "Set",
    "String", "Symbol", "SyntaxError", "TypeError", "URIError", "Uint16Array", "Uint32Array",
    "Uint8Array", "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet",
  ];
  for (let i = 0; i < constructors.length; i++) {
    const name = constructors[i];
    const ctor = globalThis[name];
    if (typeof ctor !== "function") continue;
    holders[name] = ctor;
    primordials[name] = ctor;
    if (ctor.prototype) primordials[name + "Prototype"] = ctor.prototype;
  }
  const namespaces = ["JSON", "Math", "Reflect"];
  for (let i = 0; i < namespaces.length; i++) {
    holders[namespaces[i]] = globalThis[namespaces[i]];
    primordials[namespaces[i]] = globalThis[namespaces[i]];
  }
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  holders.TypedArray = TypedArray;
  primordials.TypedArray = TypedArray;
  primordials.TypedArrayPrototype = TypedArray.prototype;
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  primordials.AsyncFunction = AsyncFunction;
  primordials.AsyncFunctionPrototype = AsyncFunction.prototype;
  primordials.Eval = globalThis.eval;
  primordials.DecodeURIComponent = globalThis.decodeURIComponent;
  primordials.EncodeURIComponent = globalThis.encodeURIComponent;
  primordials.ErrorIsError = typeof Error.isError === "function" ? Error.isError : undefined;
  primordials.globalThis = globalThis;
  primordials.uncurryThis = uncurryThis;
  primordials.applyBind = bind.bind(apply);
  // ReflectApply(f, self, args): the one way shims call user functions.
  primordials.ReflectApply = Reflect.apply;
  // The methods themselves, which the library loader puts back while a library loads.
  primordials.FunctionPrototypeRaw = Object.freeze({ __proto__: null, apply, bind, call });

  // "@@iterator" -> Symbol.iterator; anything else is a plain property key.
  function keyOf(text) {
    return stringStartsWith(text, "@@") ? Symbol[stringSlice(text, 2)] : text;
  }

  // Resolve one Deno-style name, parsed by the bundler (shims/__init__.py) into: the holder's
  // name, whether the member is on its prototype, the member's key, and for a getter or setter
  // the accessor's slot and key ("MapPrototypeGetSize" -> Map, 1, "getSize", "get", "size").
  // Throws if the name resolves to nothing, so a typo fails every test at once.
  function resolve(name, holderName, onPrototype, key, slot, accessorKey) {
    const holder = holders[holderName];
    if (holder === undefined) throw new Error("unknown primordial " + name);
    const target = onPrototype === 1 ? holder.prototype : holder;
    const value = target[keyOf(key)];
    if (typeof value === "function") return onPrototype === 1 ? uncurryThis(value) : value;
    if (value !== undefined) return value;
    if (slot !== "") {
      const accessor = getOwn(target, keyOf(accessorKey));
      if (accessor !== undefined && typeof accessor[slot] === "function") {
        return onPrototype === 1 ? uncurryThis(accessor[slot]) : accessor[slot];
      }
    }
    throw new Error("unknown primordial " + name);
  }

  // A list whose writes never reach Array.prototype setters (a user may define one for "0").
  primordials.newList = function newList() {
    return ObjectSetPrototypeOf([], null);
  };
  // Append to any array we own: a plain define, so inherited setters are never called.
  primordials.listPush = function listPush(list, value) {
    ReflectDefineProperty(list, list.length, {
      __proto__: null, value, writable: true, enumerable: true, configurable: true,
    });
  };
  // Splitting without String.prototype.split, which looks up Symbol.split on its argument (user
  // code can define one on String.prototype).
  primordials.stringSplit = function stringSplit(text, separator) {
    const parts = ObjectSetPrototypeOf([], null);
    let start = 0;
    for (;;) {
      const at = stringIndexOf(text, separator, start);
      const end = at === -1 ? text.length : at;
      ReflectDefineProperty(parts, parts.length, {
        __proto__: null, value: stringSlice(text, start, end), writable: true, enumerable: true,
        configurable: true,
      });
      if (at === -1) return parts;
      start = at + separator.length;
    }
  };
  // Whether `check(value)` accepts `value`: a brand check by a built-in's getter or method (which
  // throws a TypeError for anything else), with no user code run for a real instance.
  primordials.isBrand = function isBrand(check, value) {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
  // Functions the sandbox shows as `function name() { [native code] }` (90_install.js patches
  // Function.prototype.toString): everything the shims expose, so no shim source is printed.
  const nativeSet = new WeakSet();
  const weakSetAdd = uncurryThis(WeakSet.prototype.add);
  primordials.nativeSet = nativeSet;
  primordials.nativeLooking = function nativeLooking(fn) {
    weakSetAdd(nativeSet, fn);
    return fn;
  };

  // boot.needed: six entries per member the shims use (see resolve).
  const needed = boot.needed;
  for (let i = 0; i < needed.length; i += 6) {
    const name = needed[i];
    if (!(name in primordials)) {
      primordials[name] = resolve(name, needed[i + 1], needed[i + 2], needed[i + 3],
        needed[i + 4], needed[i + 5]);
    }
  }

  return Object.freeze(primordials);
});
