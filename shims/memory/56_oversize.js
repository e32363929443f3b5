// shims/memory/56_oversize.js: refuse the inputs on which V8 aborts the whole process.
// Exposes: nothing new; String.prototype.split, RegExp.prototype[Symbol.split],
//          RegExp.prototype[Symbol.match] (and so String.prototype.match), JSON.parse and
//          Array.prototype.{sort,toSorted,toReversed,toSpliced,with} are wrapped, each printing
//          as native code with its own name and length; the global `Proxy` is wrapped (it
//          remembers the proxies it makes, in a WeakSet).
// Hides:   the intrinsic methods and the intrinsic Proxy (unreachable once wrapped).
// Needs:   00_primordials.
// Load:    eager (it patches shared intrinsics, like 55_memory).
//
// V8 answers some results too large for one array not with a RangeError but by aborting the
// process ("Fatal JavaScript invalid size error", crbug.com/1201626): `'a,'.repeat(2 ** 27 + 8)
// .split(',')` (30 bytes of code) killed the isolate's process, and with it every evaluation
// running there (the API itself with JSEVAL_WORKERS=0). These builtins can make one result
// element per input character (two for JSON), so an input at least that long is refused first
// with the RangeError V8 uses for arrays too large. No program within a memory budget of a few
// hundred MiB splits a string of 134 million characters.
//
// The Array methods abort alike on an array-like's `length` alone: `[].sort.call({length:
// 2 ** 27 + 8})` ("invalid array length", in 0.05 s), `toSorted` alike, and `toReversed`,
// `with`, `toSpliced` ("invalid table size") from about 2 ** 31, a sparse real array included.
// Below 2 ** 27 each ends as `memory` or `timeout` (measured at every power of two up to 2 ** 32
// and a 512 MiB budget), and no evaluation finishes one of them on a length past it, so a
// length at least MAX_ELEMENTS is a RangeError. The check must see the length the intrinsic will
// see: a getter, a `valueOf` or a Proxy trap could answer the check with 5 and the intrinsic
// with 2 ** 32. So the intrinsic runs on the receiver itself only when its `length` is an own
// data property holding a number (reading it again runs no user code), and the receiver is not
// a Proxy (a trap could lie about that descriptor: hence the Proxy registry); otherwise it runs
// on a view whose `length` is the one value read (a Proxy that forwards everything else to the
// receiver, with the receiver as `this` for getters and setters).
//
// V8 paths not listed here are left to the worker process layer (docs/SECURITY.md).
(function (boot) {
  "use strict";
  const {
    ArrayPrototype, JSON, MathTrunc, NumberIsNaN, Object, ObjectDefineProperty,
    ObjectGetOwnPropertyDescriptor, ObjectHasOwn, Proxy, RangeError, ReflectApply,
    ReflectConstruct, ReflectGet, ReflectSet, RegExpPrototype, StringPrototype, TypeError,
    WeakSet, WeakSetPrototypeAdd, WeakSetPrototypeHas, globalThis, nativeLooking,
  } = boot.primordials;
  const SymbolSplit = boot.primordials.Symbol.split;
  const SymbolMatch = boot.primordials.Symbol.match;

  // Elements V8 can put in one FixedArray (2 ** 27 with pointer compression), with a margin.
  const MAX_ELEMENTS = 134217728 - 1024;

  // ToString as the intrinsics do it (a Symbol throws; String(symbol) would not).
  function toText(value) {
    return `${value}`;
  }

  function check(text, perElement) {
    if (text.length / perElement >= MAX_ELEMENTS) throw new RangeError("Invalid array length");
    return text;
  }

  // Replace holder[key] by make(original), keeping its name, length and attributes.
  function wrap(holder, key, make) {
    const original = holder[key];
    if (typeof original !== "function") return;
    const replacement = make(original);
    ObjectDefineProperty(replacement, "name", { __proto__: null, value: original.name });
    ObjectDefineProperty(replacement, "length", { __proto__: null, value: original.length });
    nativeLooking(replacement);
    ObjectDefineProperty(holder, key, {
      __proto__: null, value: replacement, writable: true, enumerable: false, configurable: true,
    });
  }

  // The receiver is converted here (RequireObjectCoercible, then ToString) and the intrinsic
  // gets the string: for a string receiver nothing observable changes; for an object, its
  // toString now runs before the separator's Symbol.split is looked up, and a custom splitter
  // receives the string rather than the object.
  wrap(StringPrototype, "split", (original) => function split(separator, limit) {
    if (this === undefined || this === null) {
      throw new TypeError("String.prototype.split called on null or undefined");
    }
    return ReflectApply(original, check(toText(this), 1), [separator, limit]);
  });
  wrap(RegExpPrototype, SymbolSplit, (original) => function (string, limit) {
    return ReflectApply(original, this, [check(toText(string), 1), limit]);
  });
  wrap(RegExpPrototype, SymbolMatch, (original) => function (string) {
    return ReflectApply(original, this, [check(toText(string), 1)]);
  });
  wrap(JSON, "parse", (original) => function parse(text, reviver) {
    return ReflectApply(original, JSON, [check(toText(text), 2), reviver]);
  });

  // -- the Proxy registry ------------------------------------------------------------------
  const proxies = new WeakSet(); // every Proxy user code made: its traps may lie
  const IntrinsicProxy = Proxy;
  const WrappedProxy = new IntrinsicProxy(IntrinsicProxy, {
    __proto__: null,
    construct(target, args, newTarget) {
      const proxy = ReflectConstruct(IntrinsicProxy, args, newTarget);
      WeakSetPrototypeAdd(proxies, proxy);
      return proxy;
    },
  });
  nativeLooking(WrappedProxy);
  wrap(IntrinsicProxy, "revocable", (original) => function revocable(target, handler) {
    const result = ReflectApply(original, IntrinsicProxy, [target, handler]);
    WeakSetPrototypeAdd(proxies, result.proxy);
    return result;
  });
  ObjectDefineProperty(globalThis, "Proxy", {
    __proto__: null, value: WrappedProxy, writable: true, enumerable: false, configurable: true,
  });

  // -- Array methods that allocate by `length` -----------------------------------------------
  // ECMA-262 ToLength, done once (ToNumber may run a valueOf; a BigInt or a Symbol throws).
  function toLength(value) {
    const n = +value;
    if (NumberIsNaN(n) || n <= 0) return 0;
    return n > 9007199254740991 ? 9007199254740991 : MathTrunc(n);
  }

  function checkLength(length) {
    if (length >= MAX_ELEMENTS) throw new RangeError("Invalid array length");
  }

  // The length the intrinsic reads again without running user code, or undefined.
  function stableLength(receiver) {
    if (WeakSetPrototypeHas(proxies, receiver)) return undefined;
    const desc = ObjectGetOwnPropertyDescriptor(receiver, "length");
    if (desc === undefined || !ObjectHasOwn(desc, "value")) return undefined;
    const value = desc.value;
    return typeof value === "number" ? value : undefined;
  }

  function byLength(original, checksComparator) {
    return function (...args) {
      // What the intrinsic refuses before it reads the length, it refuses itself.
      if (this === undefined || this === null) return ReflectApply(original, this, args);
      if (checksComparator && args.length > 0 && args[0] !== undefined &&
          typeof args[0] !== "function") {
        return ReflectApply(original, this, args);
      }
      const receiver = Object(this);
      const stable = stableLength(receiver);
      if (stable !== undefined) {
        checkLength(toLength(stable));
        return ReflectApply(original, this, args);
      }
      const length = toLength(receiver.length); // the one read of `length`
      checkLength(length);
      const view = new IntrinsicProxy(receiver, {
        __proto__: null,
        get: (target, key) => (key === "length" ? length : ReflectGet(target, key)),
        set: (target, key, value) => ReflectSet(target, key, value),
      });
      const result = ReflectApply(original, view, args);
      return result === view ? receiver : result;
    };
  }

  wrap(ArrayPrototype, "sort", (original) => byLength(original, true));
  wrap(ArrayPrototype, "toSorted", (original) => byLength(original, true));
  wrap(ArrayPrototype, "toReversed", (original) => byLength(original, false));
  wrap(ArrayPrototype, "toSpliced", (original) => byLength(original, false));
  wrap(ArrayPrototype, "with", (original) => byLength(original, false));

  return { __proto__: null };
});
