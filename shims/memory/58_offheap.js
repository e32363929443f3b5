// shims/memory/58_offheap.js: Intl objects counted against `memory_mb` (SPEC section 3).
// Exposes: nothing new; the Intl constructors (Collator, DateTimeFormat, DisplayNames,
//          DurationFormat, ListFormat, Locale, NumberFormat, PluralRules, RelativeTimeFormat,
//          Segmenter, v8BreakIterator) are wrapped, each printing as native code with its own
//          name, length, statics and prototype (whose `constructor` is the wrapper), as are
//          Intl.Segmenter.prototype.segment, the iterator of its result, and
//          Intl.Locale.prototype.{maximize,minimize}.
// Hides:   the intrinsic constructors (unreachable once wrapped).
// Needs:   00_primordials, 55_memory (chargeObject).
// Load:    eager (it patches shared intrinsics, like 55_memory).
//
// Each Intl object keeps ICU state in C++ memory that mini-racer's heap limit never sees: with
// memory_mb 16, 107,080 kept `new Intl.Segmenter('en', {granularity: 'word'}).segment(...)`
// results took a worker to 1.2 GB, 780 MB of it still held after the isolate closed. Each object
// is now charged its measured ICU size (python -m bench.offheap) against the same budget as
// ArrayBuffers (55_memory), before user code gets it, and credited back once V8 collects it.
//
// Why charging, not a ballast on V8's heap (an array of the same size tied to each object, which
// the heap limit would see and the collector free with it): V8 allocates Intl objects where only
// a full collection frees them and pretenures the ballast beside them, so old space grew to
// 200 MB with no collection at all, and the heap limit, checked after a collection, never saw
// it (measured: 7,631 kept DateTimeFormats, 16 MiB budget, no `memory`). A charge is checked at
// once. Its cost: garbage counts until V8 collects it and the credit arrives between tasks, as
// for ArrayBuffers, so one synchronous loop making a budget's worth of formatters (some 2,300
// DateTimeFormats at 64 MiB, 65,000 NumberFormats) ends as `memory` even if it keeps none. That
// memory is really held meanwhile (5,000 such formatters, all garbage, grew a plain V8 process
// by 136 MB); code should make a formatter once and reuse it.
//
// Not charged, measured as small: Temporal objects (under 0.5 KiB each with their heap part),
// and the per-isolate formatter caches behind toLocaleString and localeCompare (one per kind).
(function (boot) {
  "use strict";
  const P = boot.primordials;
  const {
    ObjectDefineProperty, ObjectGetPrototypeOf, Proxy, ReflectApply, ReflectConstruct,
    WeakSet, WeakSetPrototypeAdd, WeakSetPrototypeHas, globalThis, nativeLooking,
  } = P;
  const SymbolIterator = P.Symbol.iterator;
  const Intl = globalThis.Intl; // read once, at load, before any user code
  const { chargeObject } = boot.memory;

  const KIB = 1024;
  // ICU state per object, measured (RSS per kept object, bench/offheap.py), rounded up.
  const CONSTRUCTORS = [
    ["DateTimeFormat", 28 * KIB], ["RelativeTimeFormat", 8 * KIB], ["Segmenter", 8 * KIB],
    ["v8BreakIterator", 8 * KIB], ["PluralRules", 3 * KIB], ["Collator", 2 * KIB],
    ["DisplayNames", 2 * KIB], ["DurationFormat", 2 * KIB], ["NumberFormat", KIB],
    ["ListFormat", KIB], ["Locale", KIB],
  ];
  const SEGMENTS_BYTES = 3 * KIB;
  const SEGMENT_ITERATOR_BYTES = 4 * KIB;
  const LOCALE_BYTES = KIB;

  const charged = new WeakSet(); // objects already paid for (a legacy call may return `this`)
  function weigh(object, bytes, what) {
    if (object !== null && typeof object === "object" && !WeakSetPrototypeHas(charged, object)) {
      chargeObject(object, bytes, what); // past the budget: ends the evaluation as `memory`
      WeakSetPrototypeAdd(charged, object);
    }
    return object;
  }

  function define(holder, key, value) {
    ObjectDefineProperty(holder, key, {
      __proto__: null, value, writable: true, enumerable: false, configurable: true,
    });
  }

  // Replace holder[key] by make(original), keeping its name and length.
  function wrapMethod(holder, key, make) {
    const original = holder[key];
    if (typeof original !== "function") return;
    const replacement = make(original);
    ObjectDefineProperty(replacement, "name", { __proto__: null, value: original.name });
    ObjectDefineProperty(replacement, "length", { __proto__: null, value: original.length });
    nativeLooking(replacement);
    define(holder, key, replacement);
  }

  function weighed(bytes, what) {
    return (original) => function (...args) {
      return weigh(ReflectApply(original, this, args), bytes, what);
    };
  }

  if (Intl !== undefined) {
    for (let i = 0; i < CONSTRUCTORS.length; i++) {
      const name = CONSTRUCTORS[i][0];
      const bytes = CONSTRUCTORS[i][1];
      const what = "Intl." + name;
      const Intrinsic = Intl[name];
      if (typeof Intrinsic !== "function") continue;
      // construct for `new` and subclasses, apply for the legacy call without `new`.
      const Wrapped = new Proxy(Intrinsic, {
        __proto__: null,
        construct: (target, args, newTarget) =>
          weigh(ReflectConstruct(target, args, newTarget), bytes, what),
        apply: (target, self, args) => weigh(ReflectApply(target, self, args), bytes, what),
      });
      nativeLooking(Wrapped);
      define(Intrinsic.prototype, "constructor", Wrapped);
      define(Intl, name, Wrapped);
    }

    // segment() returns a %Segments% object (a copy of the break iterator and the string);
    // its [Symbol.iterator] makes a %SegmentIterator% (another copy). That prototype is only
    // reachable through a %Segments% object: it is wrapped before the first one is returned.
    const segmenterProto = Intl.Segmenter === undefined ? undefined : Intl.Segmenter.prototype;
    const state = { __proto__: null, iteratorWrapped: false };
    if (segmenterProto !== undefined) {
      wrapMethod(segmenterProto, "segment", (original) => function segment(...args) {
        const segments = weigh(ReflectApply(original, this, args), SEGMENTS_BYTES,
          "Intl.Segmenter.prototype.segment");
        if (!state.iteratorWrapped) {
          state.iteratorWrapped = true;
          wrapMethod(ObjectGetPrototypeOf(segments), SymbolIterator,
            weighed(SEGMENT_ITERATOR_BYTES, "a segment iterator"));
        }
        return segments;
      });
    }
    const localeProto = Intl.Locale === undefined ? undefined : Intl.Locale.prototype;
    if (localeProto !== undefined) {
      wrapMethod(localeProto, "maximize", weighed(LOCALE_BYTES, "Intl.Locale"));
      wrapMethod(localeProto, "minimize", weighed(LOCALE_BYTES, "Intl.Locale"));
    }
  }

  return { __proto__: null };
});
