// shims/web/46_structured_clone.js: structuredClone (HTML structured serialize/deserialize).
// Exposes: `structuredClone` (90_install publishes it), `DataCloneError`.
// Hides:   nothing.
// Needs:   00_primordials, 08_encode (brand checks), 41_webidl; 55_memory at call time (cloned
//          buffers are charged to the evaluation's memory budget).
// Load:    lazy (first call).
//
// One pass, serialising and deserialising together, with a memo for shared and cyclic
// references. What V8 cannot clone (functions, symbols, promises, weak collections) throws a
// DataCloneError; `transfer` detaches the listed buffers after the copy.
(function (boot) {
  "use strict";
  const {
    ArrayBufferPrototypeGetByteLength, ArrayIsArray, BigIntPrototypeValueOf,
    BooleanPrototypeValueOf, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength,
    DataViewPrototypeGetByteOffset, DatePrototypeGetTime, Error, Map, MapPrototypeForEach,
    MapPrototypeGet, MapPrototypeHas, MapPrototypeSet, NumberPrototypeValueOf,
    ObjectDefineProperty, ObjectKeys, ObjectPrototypeIsPrototypeOf, PromisePrototype, RangeError,
    RegExpPrototypeGetFlags, RegExpPrototypeGetSource, Set, SetPrototypeAdd, SetPrototypeForEach,
    String, StringPrototypeValueOf, TypeError, TypedArrayPrototypeGetBuffer,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetLength,
    TypedArrayPrototypeGetSymbolToStringTag, WeakMapPrototypeHas, WeakSetPrototypeHas, listPush,
    newList,
  } = boot.primordials;
  const ObjectCtor = boot.primordials.Object;
  const { brand, isDate, isError, isMap, isSet } = boot.encode;
  const { domErrorClass } = boot.webidl;
  const DataCloneError = domErrorClass("DataCloneError");

  // -- structuredClone (HTML structured serialize/deserialize, in one pass) ------------------
  const ERROR_NAMES = {
    __proto__: null, Error: true, EvalError: true, RangeError: true, ReferenceError: true,
    SyntaxError: true, TypeError: true, URIError: true,
  };

  function structuredClone(value, options) {
    if (arguments.length === 0) {
      throw new TypeError("structuredClone: 1 argument required, but only 0 present.");
    }
    const memo = new Map();
    const memory = boot.memory;

    function cloneError(what) {
      return new DataCloneError(what + " could not be cloned.");
    }

    function clone(input) {
      switch (typeof input) {
        case "undefined": case "boolean": case "number": case "string": case "bigint":
          return input;
        case "symbol": throw cloneError("Symbol()");
        case "function": throw cloneError("function");
      }
      if (input === null) return null;
      if (MapPrototypeHas(memo, input)) return MapPrototypeGet(memo, input);
      let output;
      if (brand(BooleanPrototypeValueOf, input)) {
        output = ObjectCtor(BooleanPrototypeValueOf(input));
      } else if (brand(NumberPrototypeValueOf, input)) {
        output = ObjectCtor(NumberPrototypeValueOf(input));
      } else if (brand(StringPrototypeValueOf, input)) {
        output = ObjectCtor(StringPrototypeValueOf(input));
      } else if (brand(BigIntPrototypeValueOf, input)) {
        output = ObjectCtor(BigIntPrototypeValueOf(input));
      } else if (isDate(input)) {
        output = new boot.primordials.Date(DatePrototypeGetTime(input));
      } else if (brand(RegExpPrototypeGetSource, input)) {
        output = new boot.primordials.RegExp(RegExpPrototypeGetSource(input),
          RegExpPrototypeGetFlags(input));
      } else if (brand(ArrayBufferPrototypeGetByteLength, input)) {
        output = memory.copyArrayBuffer(input);
      } else if (brand(TypedArrayPrototypeGetLength, input)) {
        const buffer = clone(TypedArrayPrototypeGetBuffer(input));
        const Ctor = memory.typedArrayConstructor(TypedArrayPrototypeGetSymbolToStringTag(input));
        output = new Ctor(buffer, TypedArrayPrototypeGetByteOffset(input),
          TypedArrayPrototypeGetLength(input));
      } else if (brand(DataViewPrototypeGetByteLength, input)) {
        const buffer = clone(DataViewPrototypeGetBuffer(input));
        output = new boot.primordials.DataView(buffer, DataViewPrototypeGetByteOffset(input),
          DataViewPrototypeGetByteLength(input));
      } else if (isMap(input)) {
        output = new boot.primordials.Map();
        MapPrototypeSet(memo, input, output);
        const entries = newList();
        MapPrototypeForEach(input, (v, k) => {
          listPush(entries, k);
          listPush(entries, v);
        });
        for (let i = 0; i < entries.length; i += 2) {
          MapPrototypeSet(output, clone(entries[i]), clone(entries[i + 1]));
        }
        return output;
      } else if (isSet(input)) {
        output = new Set();
        MapPrototypeSet(memo, input, output);
        const items = newList();
        SetPrototypeForEach(input, (v) => listPush(items, v));
        for (let i = 0; i < items.length; i++) SetPrototypeAdd(output, clone(items[i]));
        return output;
      } else if (isError(input)) {
        let name = "Error";
        try {
          const n = input.name;
          if (typeof n === "string" && ERROR_NAMES[n] === true) name = n;
        } catch { /* keep Error */ }
        const message = input.message;
        output = new boot.primordials[name](message === undefined ? undefined : String(message));
        MapPrototypeSet(memo, input, output);
        const stack = input.stack;
        if (typeof stack === "string") {
          ObjectDefineProperty(output, "stack", {
            __proto__: null, value: stack, writable: true, configurable: true,
          });
        }
        if ("cause" in input) {
          ObjectDefineProperty(output, "cause", {
            __proto__: null, value: clone(input.cause), writable: true, configurable: true,
          });
        }
        return output;
      } else if (ArrayIsArray(input)) {
        output = [];
        output.length = input.length;
        MapPrototypeSet(memo, input, output);
        const keys = ObjectKeys(input);
        for (let i = 0; i < keys.length; i++) {
          ObjectDefineProperty(output, keys[i], {
            __proto__: null, value: clone(input[keys[i]]), writable: true, enumerable: true,
            configurable: true,
          });
        }
        return output;
      } else {
        if (isUncloneable(input)) throw cloneError("#<Object>");
        output = {};
        MapPrototypeSet(memo, input, output);
        const keys = ObjectKeys(input);
        for (let i = 0; i < keys.length; i++) {
          ObjectDefineProperty(output, keys[i], {
            __proto__: null, value: clone(input[keys[i]]), writable: true, enumerable: true,
            configurable: true,
          });
        }
        return output;
      }
      MapPrototypeSet(memo, input, output);
      return output;
    }

    const result = clone(value);
    if (options !== undefined && options !== null && typeof options === "object") {
      const transfer = options.transfer;
      if (transfer !== undefined) {
        const length = transfer.length;
        for (let i = 0; i < length; i++) memory.detach(transfer[i]);
      }
    }
    return result;
  }

  // Objects V8 refuses to clone (promises, weak collections), found by brand.
  function isUncloneable(input) {
    if (ObjectPrototypeIsPrototypeOf(PromisePrototype, input)) return true;
    return brand((v) => WeakMapPrototypeHas(v, input), input) ||
      brand((v) => WeakSetPrototypeHas(v, input), input);
  }

  return {
    __proto__: null, structuredClone, DataCloneError,
  };
});
