// shims/web/41_webidl.js: WebIDL conversions and checks shared by the web classes.
// Exposes: `fail(message)` (throw a TypeError marked as ours), `isOurError(error)`,
//          `requireArgs`, `toUSVString`, `toByteString`, `isObject`, `own` (an own property or
//          undefined), `readSequence` (a WebIDL sequence, read once), `bufferView` (the bytes of
//          a BufferSource, no copy), `markClass`, `setTag`, `domErrorClass(name, code)`.
// Hides:   the set of errors raised by the runtime's own validation (fetch turns those, and
//          only those, into "fetch failed: <message>").
// Needs:   00_primordials.
// Load:    lazy (first use of a class that needs it).
//
// Deno keeps these in ext/webidl; here they are one small module so that Headers, bodies,
// Request, Response, AbortSignal and TextDecoder convert their arguments the same way.
(function (boot) {
  "use strict";
  const {
    ArrayBufferPrototypeGetByteLength, DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength,
    DataViewPrototypeGetByteOffset, Error, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor,
    ObjectHasOwn, ReflectApply, ReflectOwnKeys, StringPrototypeCharCodeAt,
    StringPrototypeToWellFormed, SymbolToStringTag, TypeError, TypedArrayPrototypeGetBuffer,
    TypedArrayPrototypeGetByteLength, TypedArrayPrototypeGetByteOffset, WeakSet,
    WeakSetPrototypeAdd, WeakSetPrototypeHas, listPush, nativeLooking, newList,
  } = boot.primordials;
  const IntrinsicUint8Array = boot.primordials.Uint8Array;
  const brand = boot.primordials.isBrand;

  const ourErrors = new WeakSet(); // TypeErrors raised by the runtime's own validation

  function fail(message) {
    const error = new TypeError(message);
    WeakSetPrototypeAdd(ourErrors, error);
    throw error;
  }

  function requireArgs(count, given, where) {
    if (given < count) {
      fail("Failed to execute " + where + ": " + count + " argument" + (count === 1 ? "" : "s") +
        " required, but only " + given + " present.");
    }
  }

  // WebIDL conversions. A template literal is ToString (a Symbol throws, as WebIDL wants).
  function toUSVString(value) {
    return StringPrototypeToWellFormed(`${value}`);
  }

  function toByteString(value) {
    const text = `${value}`;
    for (let i = 0; i < text.length; i++) {
      if (StringPrototypeCharCodeAt(text, i) > 255) {
        fail("Value is not a valid ByteString.");
      }
    }
    return text;
  }

  function isObject(value) {
    return value !== null && (typeof value === "object" || typeof value === "function");
  }

  function own(record, key) {
    return isObject(record) && ObjectHasOwn(record, key) ? record[key] : undefined;
  }

  // Mark a class, its statics and its prototype's members as native code (no source printed).
  function markClass(cls) {
    nativeLooking(cls);
    const holders = [cls, cls.prototype];
    for (let h = 0; h < holders.length; h++) {
      const keys = ReflectOwnKeys(holders[h]);
      for (let i = 0; i < keys.length; i++) {
        const desc = ObjectGetOwnPropertyDescriptor(holders[h], keys[i]);
        if (ObjectHasOwn(desc, "value")) {
          if (typeof desc.value === "function" && keys[i] !== "constructor") nativeLooking(desc.value);
        } else {
          if (desc.get !== undefined) nativeLooking(desc.get);
          if (desc.set !== undefined) nativeLooking(desc.set);
        }
      }
    }
    return cls;
  }

  function setTag(cls, tag) {
    ObjectDefineProperty(cls.prototype, SymbolToStringTag, {
      __proto__: null, value: tag, writable: false, enumerable: false, configurable: true,
    });
  }

  function isOurError(error) {
    return WeakSetPrototypeHas(ourErrors, error);
  }

  // An error class with a DOMException name (there is no DOMException global here), and its
  // legacy `code` when it has one. User code reaches it as `error.constructor`: it prints as
  // native code, under its name.
  function domErrorClass(name, code) {
    const cls = class extends Error {};
    ObjectDefineProperty(cls.prototype, "name", {
      __proto__: null, value: name, writable: true, enumerable: false, configurable: true,
    });
    if (code !== undefined) {
      ObjectDefineProperty(cls.prototype, "code", {
        __proto__: null, value: code, writable: true, enumerable: false, configurable: true,
      });
    }
    ObjectDefineProperty(cls, "name", { __proto__: null, value: name, configurable: true });
    return markClass(cls);
  }

  // A WebIDL sequence: the iterator protocol of the user's object, run once, into our list.
  function readSequence(iterable, method) {
    if (typeof method !== "function") fail("The provided value cannot be converted to a sequence.");
    const iterator = ReflectApply(method, iterable, []);
    if (!isObject(iterator)) fail("Result of the Symbol.iterator method is not an object");
    const next = iterator.next;
    const items = newList();
    for (;;) {
      const step = ReflectApply(next, iterator, []);
      if (!isObject(step)) fail("Iterator result is not an object");
      if (step.done) return items;
      listPush(items, step.value);
    }
  }


  // A view on the bytes of a BufferSource (no copy), or undefined if `value` is none.
  function bufferView(value) {
    if (brand(ArrayBufferPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(value, 0, ArrayBufferPrototypeGetByteLength(value));
    }
    if (brand(TypedArrayPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(TypedArrayPrototypeGetBuffer(value),
        TypedArrayPrototypeGetByteOffset(value), TypedArrayPrototypeGetByteLength(value));
    }
    if (brand(DataViewPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(DataViewPrototypeGetBuffer(value),
        DataViewPrototypeGetByteOffset(value), DataViewPrototypeGetByteLength(value));
    }
    return undefined;
  }

  return {
    __proto__: null, fail, isOurError, requireArgs, toUSVString, toByteString, isObject, own,
    readSequence, bufferView, markClass, setTag, domErrorClass,
  };
});
