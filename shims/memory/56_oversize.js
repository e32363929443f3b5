// shims/memory/56_oversize.js: refuse the inputs on which V8 aborts the whole process.
// Exposes: nothing new; String.prototype.split, RegExp.prototype[Symbol.split],
//          RegExp.prototype[Symbol.match] (and so String.prototype.match) and JSON.parse are
//          wrapped, each printing as native code with its own name and length.
// Hides:   the intrinsic methods (unreachable once wrapped).
// Needs:   00_primordials.
// Load:    eager (it patches shared intrinsics, like 55_memory).
//
// V8 answers some results too large for one array not with a RangeError but by aborting the
// process ("Fatal JavaScript invalid size error", crbug.com/1201626): `'a,'.repeat(2 ** 27 + 8)
// .split(',')` (30 bytes of code) killed the isolate's process, and with it every evaluation
// running there (the API itself with JSEVAL_WORKERS=0). These builtins can make one result
// element per input character (two for JSON), so an input at least that long is refused first
// with the RangeError V8 uses for arrays too large. No program within a memory budget of a few
// hundred MiB splits a string of 134 million characters; V8 paths not listed here are left to
// the worker process layer (docs/SECURITY.md).
(function (boot) {
  "use strict";
  const {
    JSON, ObjectDefineProperty, RangeError, ReflectApply, RegExpPrototype, StringPrototype,
    TypeError, nativeLooking,
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

  return { __proto__: null };
});
