// shims/memory/55_memory.js: ArrayBuffer memory counted against `memory_mb`.
// Exposes: the wrapped ArrayBuffer and TypedArray constructors (installed as the globals and as
//          each prototype's `constructor`), `newUint8Array(n)`,
//          `copyArrayBuffer(buffer)`, `typedArrayConstructor(name)`, `detach(buffer)`, `used()`,
//          `chargeObject(object, bytes, what)` (memory another object holds outside the heap,
//          58_offheap: charged now, credited back when the object is collected).
// Hides:   the intrinsic constructors (unreachable once wrapped) and the byte counter.
// Needs:   00_primordials, 05_host (config: memoryBytes).
// Load:    eager. It patches intrinsics shared by the whole isolate (prototype methods, the
//          `constructor` of every TypedArray prototype), so it must never be half-loaded: loaded
//          lazily, at a nearly full stack, an interrupted load left some methods wrapped with the
//          counter of that attempt and the retry skipped them, so they charged a second budget.
//          Loading it while the sandbox is prepared costs a few tenths of a millisecond.
//
// V8 keeps ArrayBuffer backing stores outside its heap, so mini-racer's heap limit never sees
// them (measured: 8 x new Uint8Array(1e8) passed a 64 MB limit). Every way to allocate a backing
// store is therefore charged here before (or, where the size is bounded by an existing charged
// buffer, just after) it happens: the constructors (a Proxy `construct` trap, so subclasses and
// species go through it too), ArrayBuffer.prototype.{slice,resize,transfer,
// transferToFixedLength}, %TypedArray%.prototype.{slice,map,filter,toReversed,toSorted,with},
// Uint8Array.{fromBase64,fromHex}. Sizes are read once and passed on as primitives, so a getter
// cannot report one size to the charge and another to the allocation. Going past the budget ends
// the evaluation with kind "memory" (05_host abort). Collected buffers are credited back through
// a FinalizationRegistry, which V8 runs between tasks (not inside one synchronous run).
(function (boot) {
  "use strict";
  const P = boot.primordials;
  const {
    ArrayBufferPrototypeGetByteLength, ArrayBufferPrototypeGetMaxByteLength,
    ArrayBufferPrototypeGetResizable, ArrayFrom, FinalizationRegistry,
    FinalizationRegistryPrototypeRegister, Number, NumberIsNaN, ObjectDefineProperty,
    ObjectSetPrototypeOf, Proxy, RangeError, ReflectApply, ReflectConstruct, TypedArray,
    TypedArrayPrototype, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetLength,
    TypedArrayPrototypeSet, WeakSet,
    WeakSetPrototypeAdd, WeakSetPrototypeHas, MathTrunc, listPush, newList,
  } = P;
  const SymbolIterator = P.Symbol.iterator;
  const { abort } = boot.host;

  // The budget is the evaluation's (config.memoryBytes, set by 70_run's start): read when charging.
  const state = { __proto__: null, used: 0 };
  const charged = new WeakSet();
  const registry = new FinalizationRegistry((bytes) => {
    state.used -= bytes;
  });

  function used() {
    return state.used;
  }

  function charge(bytes, what) {
    if (!(bytes > 0)) return;
    const budget = boot.host.config.memoryBytes;
    if (!(state.used + bytes <= budget)) {
      abort("memory", (what === undefined ? "ArrayBuffer allocation" : what) + " of " + bytes +
        " bytes would exceed the memory budget of " + budget + " bytes", RangeError);
    }
    state.used += bytes;
  }

  // Charge `bytes` that `object` holds outside V8's heap; credited back once it is collected.
  function chargeObject(object, bytes, what) {
    charge(bytes, what);
    FinalizationRegistryPrototypeRegister(registry, object, bytes);
  }

  // Mark `buffer` as paid for (charging it now unless `prepaid`); credit it back when collected.
  function own(buffer, prepaid) {
    if (WeakSetPrototypeHas(charged, buffer)) return;
    const bytes = ArrayBufferPrototypeGetByteLength(buffer);
    if (!prepaid) charge(bytes);
    WeakSetPrototypeAdd(charged, buffer);
    if (bytes > 0) FinalizationRegistryPrototypeRegister(registry, buffer, bytes);
  }

  function ownView(view) {
    own(TypedArrayPrototypeGetBuffer(view), false);
    return view;
  }

  function toLength(value) {
    let n = Number(value);
    if (NumberIsNaN(n) || n <= 0) return 0;
    n = MathTrunc(n);
    return n > 9007199254740991 ? 9007199254740991 : n;
  }

  // ECMA-262 ToIndex, done once here so the allocation sees the same primitive.
  function toIndex(value) {
    if (value === undefined) return 0;
    let n = Number(value);
    if (NumberIsNaN(n)) n = 0;
    n = MathTrunc(n);
    if (n < 0 || n > 9007199254740991) throw new RangeError("Invalid array length");
    return n;
  }

  // -- ArrayBuffer -------------------------------------------------------------------------
  const IntrinsicArrayBuffer = P.ArrayBuffer;
  // Trap arguments are read by count, never past the end: an index getter user code may put on
  // Array.prototype must not answer for an argument that was not given.
  function arg(args, index) {
    return index < args.length ? args[index] : undefined;
  }

  function constructArrayBuffer(target, args, newTarget) {
    const length = toIndex(arg(args, 0));
    const options = arg(args, 1);
    let outArgs;
    if (options !== null && typeof options === "object") {
      const max = options.maxByteLength;
      outArgs = max === undefined ? [length] : [length, { __proto__: null, maxByteLength: toIndex(max) }];
    } else {
      outArgs = [length];
    }
    charge(length);
    const buffer = ReflectConstruct(IntrinsicArrayBuffer, outArgs, newTarget);
    own(buffer, true);
    return buffer;
  }
  const ArrayBuffer = new Proxy(IntrinsicArrayBuffer, {
    __proto__: null, construct: constructArrayBuffer,
  });

  const bufferProto = IntrinsicArrayBuffer.prototype;
  wrapMethod(bufferProto, "slice", (original) => function slice(start, end) {
    const result = ReflectApply(original, this, [start, end]);
    own(result, false);
    return result;
  });
  wrapMethod(bufferProto, "resize", (original) => function resize(newLength) {
    const length = toIndex(newLength);
    const current = ArrayBufferPrototypeGetByteLength(this);
    if (ArrayBufferPrototypeGetResizable(this) && length <= ArrayBufferPrototypeGetMaxByteLength(this)) {
      charge(length - current);
    }
    return ReflectApply(original, this, [length]);
  });
  const transfers = ["transfer", "transferToFixedLength"];
  for (let i = 0; i < transfers.length; i++) {
    wrapMethod(bufferProto, transfers[i], (original) => function (newLength) {
      const length = newLength === undefined ? ArrayBufferPrototypeGetByteLength(this)
        : toIndex(newLength);
      charge(length);
      const result = ReflectApply(original, this, [length]);
      WeakSetPrototypeAdd(charged, result);
      return result;
    });
  }

  // -- TypedArrays -------------------------------------------------------------------------
  const typedNames = [
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
    "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array",
    "BigUint64Array",
  ];
  const wrapped = { __proto__: null };

  function isArrayBuffer(value) {
    try {
      ArrayBufferPrototypeGetByteLength(value);
      return true;
    } catch {
      return false;
    }
  }

  function isTypedArray(value) {
    try {
      TypedArrayPrototypeGetLength(value);
      return true;
    } catch {
      return false;
    }
  }

  function makeTypedConstruct(Intrinsic) {
    const bytesPer = Intrinsic.BYTES_PER_ELEMENT;
    return function construct(target, args, newTarget) {
      const source = arg(args, 0);
      if (source === null || (typeof source !== "object" && typeof source !== "function")) {
        const length = toIndex(source);
        charge(length * bytesPer);
        const view = ReflectConstruct(Intrinsic, [length], newTarget);
        own(TypedArrayPrototypeGetBuffer(view), true);
        return view;
      }
      if (isArrayBuffer(source)) {
        // A view over an existing buffer allocates nothing.
        return ReflectConstruct(Intrinsic, [source, arg(args, 1), arg(args, 2)], newTarget);
      }
      if (isTypedArray(source)) {
        charge(TypedArrayPrototypeGetLength(source) * bytesPer);
        const view = ReflectConstruct(Intrinsic, [source], newTarget);
        own(TypedArrayPrototypeGetBuffer(view), true);
        return view;
      }
      // An iterable or an array-like: read it once into a list the engine copies by index. For
      // an array-like the length is charged before anything is read ({length: 2 ** 31} is cheap
      // to write and would take the budget's worth of time to copy).
      let values;
      const iterator = source[SymbolIterator];
      if (iterator === undefined || iterator === null) {
        const length = toLength(source.length);
        charge(length * bytesPer);
        values = newList();
        for (let k = 0; k < length; k++) listPush(values, source[k]);
        const view = ReflectConstruct(Intrinsic, [values], newTarget);
        own(TypedArrayPrototypeGetBuffer(view), true);
        return view;
      }
      values = ArrayFrom({ __proto__: null, [SymbolIterator]: () => ReflectApply(iterator, source, []) });
      ObjectSetPrototypeOf(values, null);
      charge(values.length * bytesPer);
      const view = ReflectConstruct(Intrinsic, [values], newTarget);
      own(TypedArrayPrototypeGetBuffer(view), true);
      return view;
    };
  }

  for (let i = 0; i < typedNames.length; i++) {
    const name = typedNames[i];
    const Intrinsic = P[name];
    if (Intrinsic === undefined) continue;
    const Wrapped = new Proxy(Intrinsic, {
      __proto__: null, construct: makeTypedConstruct(Intrinsic),
    });
    wrapped[name] = Wrapped;
    ObjectDefineProperty(Intrinsic.prototype, "constructor", {
      __proto__: null, value: Wrapped, writable: true, enumerable: false, configurable: true,
    });
  }
  ObjectDefineProperty(bufferProto, "constructor", {
    __proto__: null, value: ArrayBuffer, writable: true, enumerable: false, configurable: true,
  });

  // Methods whose result is a new array of at most the receiver's size: charge the result.
  const viewMethods = ["slice", "map", "filter", "toReversed", "toSorted", "with"];
  for (let i = 0; i < viewMethods.length; i++) {
    const name = viewMethods[i];
    wrapMethod(TypedArrayPrototype, name, (original) => function (...args) {
      return ownView(ReflectApply(original, this, args));
    });
  }
  const Uint8 = P.Uint8Array;
  const decoders = ["fromBase64", "fromHex"];
  for (let i = 0; i < decoders.length; i++) {
    wrapMethod(Uint8, decoders[i], (original) => function (...args) {
      return ownView(ReflectApply(original, this, args));
    });
  }

  // Replace `holder[name]` by make(original), keeping the descriptor's flags and the name.
  function wrapMethod(holder, name, make) {
    const original = holder[name];
    // Not there (an older V8), or already ours (never, since this shim loads once, eagerly).
    if (typeof original !== "function" || WeakSetPrototypeHas(P.nativeSet, original)) return;
    const replacement = make(original);
    ObjectDefineProperty(replacement, "name", { __proto__: null, value: name });
    ObjectDefineProperty(replacement, "length", { __proto__: null, value: original.length });
    ObjectDefineProperty(holder, name, {
      __proto__: null, value: replacement, writable: true, enumerable: false, configurable: true,
    });
    P.nativeLooking(replacement);
  }

  // -- helpers for other shims -------------------------------------------------------------
  function newUint8Array(length) {
    charge(length);
    const view = new Uint8(length);
    own(TypedArrayPrototypeGetBuffer(view), true);
    return view;
  }

  // A copy for structuredClone: allocated and filled here, never through
  // ArrayBuffer.prototype.slice, which would call the species constructor user code can put on
  // the buffer (`buffer.constructor`) and return whatever object that made.
  function copyArrayBuffer(buffer) {
    const length = ArrayBufferPrototypeGetByteLength(buffer);
    const options = ArrayBufferPrototypeGetResizable(buffer)
      ? { __proto__: null, maxByteLength: ArrayBufferPrototypeGetMaxByteLength(buffer) }
      : undefined;
    charge(length);
    const copy = new IntrinsicArrayBuffer(length, options);
    TypedArrayPrototypeSet(new Uint8(copy), new Uint8(buffer, 0, length));
    own(copy, true);
    return copy;
  }

  function typedArrayConstructor(name) {
    return wrapped[name];
  }

  function detach(buffer) {
    if (isArrayBuffer(buffer)) P.ArrayBufferPrototypeTransfer(buffer);
  }

  return {
    __proto__: null, ArrayBuffer, typed: wrapped, used, newUint8Array,
    copyArrayBuffer, typedArrayConstructor, detach, charge, chargeObject,
  };
});
