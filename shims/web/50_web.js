// shims/web/50_web.js: the small web APIs SPEC section 3 lists as present.
// Exposes: atob, btoa, TextEncoder, TextDecoder (UTF-8), structuredClone, queueMicrotask,
//          crypto ({getRandomValues, randomUUID}).
// Hides:   the ChaCha20 state behind crypto. Its 256-bit key comes from the host's entropy
//          (os.urandom) for each evaluation, or from `random_seed` when one is set, so seeded
//          evaluations are reproducible end to end, as Deno's --seed makes them.
// Needs:   00_primordials, 05_host (config: cryptoKey), 08_encode; 55_memory and 70_run at call
//          time (allocations are charged to the evaluation's memory budget).
// Load:    lazy (first use of any of them).
(function (boot) {
  "use strict";
  const {
    ArrayBufferPrototypeGetByteLength, ArrayBufferPrototypeSlice, ArrayIsArray,
    BigIntPrototypeValueOf, BooleanPrototypeValueOf, DataViewPrototypeGetBuffer,
    DataViewPrototypeGetByteLength, DataViewPrototypeGetByteOffset, DatePrototypeGetTime, Error,
    Map, MapPrototypeForEach, MapPrototypeGet, MapPrototypeHas, MapPrototypeSet, NumberParseInt,
    NumberPrototypeValueOf, ObjectKeys, ObjectPrototypeIsPrototypeOf, PromisePrototype, RangeError,
    StringPrototypeSlice, WeakMapPrototypeHas, WeakSetPrototypeHas, RegExpPrototypeGetFlags, RegExpPrototypeGetSource, Set, SetPrototypeAdd,
    SetPrototypeForEach, String, StringFromCharCode, StringPrototypeCharCodeAt,
    StringPrototypeCodePointAt, StringPrototypeToLowerCase, StringPrototypeTrim,
    StringPrototypeValueOf, TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeGetLength,
    TypedArrayPrototypeGetSymbolToStringTag, ReflectApply, ObjectDefineProperty, listPush, newList,
    ArrayPrototypeJoin, nativeLooking,
  } = boot.primordials;
  const ObjectCtor = boot.primordials.Object;
  const BooleanCtor = boot.primordials.Boolean;
  const { brand, isDate, isError, isMap, isSet } = boot.encode;

  // User code reaches these classes as `error.constructor`: they print as native code, under the
  // error's name, like the other functions the runtime hands out.
  function namedError(name) {
    const ErrorClass = class extends Error {};
    ObjectDefineProperty(ErrorClass.prototype, "name", {
      __proto__: null, value: name, writable: true, configurable: true,
    });
    ObjectDefineProperty(ErrorClass, "name", { __proto__: null, value: name, configurable: true });
    return nativeLooking(ErrorClass);
  }
  const InvalidCharacterError = namedError("InvalidCharacterError");
  const DataCloneError = namedError("DataCloneError");
  const QuotaExceededError = namedError("QuotaExceededError");
  const TypeMismatchError = namedError("TypeMismatchError");

  // -- base64 (forgiving-base64, HTML) ------------------------------------------------------
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const DECODE = { __proto__: null };
  for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET[i]] = i;

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("btoa: 1 argument required, but only 0 present.");
    const text = String(data);
    let out = "";
    for (let i = 0; i < text.length; i += 3) {
      const a = StringPrototypeCharCodeAt(text, i);
      const b = i + 1 < text.length ? StringPrototypeCharCodeAt(text, i + 1) : 0;
      const c = i + 2 < text.length ? StringPrototypeCharCodeAt(text, i + 2) : 0;
      if (a > 255 || b > 255 || c > 255) {
        throw new InvalidCharacterError(
          "Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.");
      }
      const n = (a << 16) | (b << 8) | c;
      out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63] +
        (i + 1 < text.length ? ALPHABET[(n >> 6) & 63] : "=") +
        (i + 2 < text.length ? ALPHABET[n & 63] : "=");
    }
    return out;
  }

  function atob(data) {
    if (arguments.length === 0) throw new TypeError("atob: 1 argument required, but only 0 present.");
    const input = String(data);
    let clean = "";
    for (let i = 0; i < input.length; i++) {
      const c = input[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\f" || c === "\r") continue;
      clean += c;
    }
    if (clean.length % 4 === 0) {
      if (clean[clean.length - 1] === "=") clean = StringPrototypeSlice(clean, 0, -1);
      if (clean[clean.length - 1] === "=") clean = StringPrototypeSlice(clean, 0, -1);
    }
    const invalid = () => new InvalidCharacterError(
      "Failed to execute 'atob': The string to be decoded is not correctly encoded.");
    if (clean.length % 4 === 1) throw invalid();
    let out = "";
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < clean.length; i++) {
      const value = DECODE[clean[i]];
      if (value === undefined) throw invalid();
      buffer = (buffer << 6) | value;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += StringFromCharCode((buffer >> bits) & 255);
      }
    }
    return out;
  }

  const { utf8Encode } = boot.host;

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }

    encode(input = "") {
      return utf8Encode(String(input));
    }

    encodeInto(source, destination) {
      const bytes = utf8Encode(String(source));
      const room = TypedArrayPrototypeGetLength(destination);
      let written = 0;
      let read = 0;
      const text = String(source);
      for (let i = 0; i < text.length; i++) {
        const c = StringPrototypeCodePointAt(text, i);
        const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + size > room) break;
        for (let k = 0; k < size; k++) destination[written + k] = bytes[written + k];
        written += size;
        read += size === 4 ? 2 : 1;
        if (size === 4) i++;
      }
      return { read, written };
    }
  }

  // Bytes of a BufferSource as a plain view we index: {bytes: Uint8Array-like, length}.
  function bytesOf(input) {
    if (brand(ArrayBufferPrototypeGetByteLength, input)) {
      return new boot.primordials.Uint8Array(input);
    }
    if (brand(TypedArrayPrototypeGetLength, input)) {
      return new boot.primordials.Uint8Array(TypedArrayPrototypeGetBuffer(input),
        TypedArrayPrototypeGetByteOffset(input), TypedArrayPrototypeGetByteLength(input));
    }
    if (brand(DataViewPrototypeGetByteLength, input)) {
      return new boot.primordials.Uint8Array(DataViewPrototypeGetBuffer(input),
        DataViewPrototypeGetByteOffset(input), DataViewPrototypeGetByteLength(input));
    }
    throw new TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
  }

  const UTF8_LABELS = { __proto__: null, "utf-8": true, "utf8": true, "unicode-1-1-utf-8": true };

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending;
    #bomSeen;

    // `options` has no `{}` default: an object made here would meet user hooks on
    // Object.prototype ("fatal", "stream") as `this`; WebIDL reads nothing from a missing one.
    constructor(label = "utf-8", options = undefined) {
      const name = StringPrototypeToLowerCase(StringPrototypeTrim(String(label)));
      if (UTF8_LABELS[name] !== true) {
        throw new RangeError("The encoding label provided ('" + String(label) + "') is invalid.");
      }
      const given = options !== null && typeof options === "object";
      this.#fatal = given && BooleanCtor(options.fatal);
      this.#ignoreBOM = given && BooleanCtor(options.ignoreBOM);
      this.#pending = newList();
      this.#bomSeen = false;
    }

    get encoding() {
      return "utf-8";
    }

    get fatal() {
      return this.#fatal;
    }

    get ignoreBOM() {
      return this.#ignoreBOM;
    }

    decode(input, options = undefined) {
      const stream = options !== null && typeof options === "object" && BooleanCtor(options.stream);
      const view = input === undefined ? newList() : bytesOf(input);
      const bytes = newList();
      for (let i = 0; i < this.#pending.length; i++) listPush(bytes, this.#pending[i]);
      for (let i = 0; i < view.length; i++) listPush(bytes, view[i]);
      this.#pending = newList();
      const units = newList();
      let text = "";
      const flush = () => {
        if (units.length > 0) {
          text += ReflectApply(StringFromCharCode, undefined, units);
          units.length = 0;
        }
      };
      const bad = () => {
        if (this.#fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
        listPush(units, 0xfffd);
      };
      let i = 0;
      while (i < bytes.length) {
        const b = bytes[i];
        let need = 0;
        let cp = 0;
        let min = 0;
        if (b < 0x80) {
          listPush(units, b);
          i++;
        } else {
          if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
          else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
          else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
          else {
            bad();
            i++;
            continue;
          }
          if (stream && i + need >= bytes.length) {
            // An incomplete sequence at the end of a streamed chunk waits for the next one.
            let prefixOk = true;
            for (let k = i + 1; k < bytes.length; k++) {
              if ((bytes[k] & 0xc0) !== 0x80) prefixOk = false;
            }
            if (prefixOk) {
              for (let k = i; k < bytes.length; k++) listPush(this.#pending, bytes[k]);
              break;
            }
          }
          let ok = true;
          let k = 1;
          for (; k <= need; k++) {
            const next = bytes[i + k];
            if (next === undefined || (next & 0xc0) !== 0x80) {
              ok = false;
              break;
            }
            cp = (cp << 6) | (next & 0x3f);
          }
          if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            bad();
            i += ok ? need + 1 : k;
            continue;
          }
          if (cp >= 0x10000) {
            const v = cp - 0x10000;
            listPush(units, 0xd800 | (v >> 10));
            listPush(units, 0xdc00 | (v & 0x3ff));
          } else {
            listPush(units, cp);
          }
          i += need + 1;
        }
        if (units.length >= 8192) flush();
      }
      flush();
      if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
        if (StringPrototypeCharCodeAt(text, 0) === 0xfeff) {
          text = StringPrototypeSlice(text, 1);
        }
      }
      if (text.length > 0) this.#bomSeen = true;
      if (!stream) this.#bomSeen = false;
      return text;
    }
  }

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

  // -- queueMicrotask -------------------------------------------------------------------------
  function queueMicrotask(callback) {
    if (typeof callback !== "function") {
      throw new TypeError("Failed to execute 'queueMicrotask': The callback provided as " +
        "parameter 1 is not a function.");
    }
    runMicrotask(callback);
  }

  async function runMicrotask(callback) {
    await undefined;
    try {
      ReflectApply(callback, undefined, []);
    } catch (error) {
      boot.run.reportUncaught(error);
    }
  }

  // -- crypto: ChaCha20 keystream ----------------------------------------------------------
  const key = new boot.primordials.Uint32Array(8);
  const block = new boot.primordials.Uint32Array(16);
  const working = new boot.primordials.Uint32Array(16);
  const blockBytes = new boot.primordials.Uint8Array(block.buffer);
  const stream = { __proto__: null, counter: 0, offset: 64 };

  const keyHex = boot.host.config.cryptoKey;
  for (let i = 0; i < 8; i++) {
    key[i] = NumberParseInt(StringPrototypeSlice(keyHex, i * 8, i * 8 + 8), 16);
  }

  function quarter(x, a, b, c, d) {
    x[a] = (x[a] + x[b]) | 0; x[d] ^= x[a]; x[d] = (x[d] << 16) | (x[d] >>> 16);
    x[c] = (x[c] + x[d]) | 0; x[b] ^= x[c]; x[b] = (x[b] << 12) | (x[b] >>> 20);
    x[a] = (x[a] + x[b]) | 0; x[d] ^= x[a]; x[d] = (x[d] << 8) | (x[d] >>> 24);
    x[c] = (x[c] + x[d]) | 0; x[b] ^= x[c]; x[b] = (x[b] << 7) | (x[b] >>> 25);
  }

  function refill() {
    const s = working;
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (let i = 0; i < 8; i++) s[4 + i] = key[i];
    s[12] = stream.counter; s[13] = 0; s[14] = 0; s[15] = 0;
    stream.counter = (stream.counter + 1) >>> 0;
    for (let i = 0; i < 16; i++) block[i] = s[i];
    for (let round = 0; round < 10; round++) {
      quarter(block, 0, 4, 8, 12); quarter(block, 1, 5, 9, 13);
      quarter(block, 2, 6, 10, 14); quarter(block, 3, 7, 11, 15);
      quarter(block, 0, 5, 10, 15); quarter(block, 1, 6, 11, 12);
      quarter(block, 2, 7, 8, 13); quarter(block, 3, 4, 9, 14);
    }
    for (let i = 0; i < 16; i++) block[i] = (block[i] + s[i]) | 0;
    stream.offset = 0;
  }

  function randomByte() {
    if (stream.offset >= 64) refill();
    return blockBytes[stream.offset++];
  }

  const INTEGER_ARRAYS = {
    __proto__: null, Int8Array: true, Uint8Array: true, Uint8ClampedArray: true, Int16Array: true,
    Uint16Array: true, Int32Array: true, Uint32Array: true, BigInt64Array: true,
    BigUint64Array: true,
  };

  function getRandomValues(array) {
    let tag;
    try {
      tag = TypedArrayPrototypeGetSymbolToStringTag(array);
    } catch {
      tag = undefined;
    }
    if (tag === undefined || INTEGER_ARRAYS[tag] !== true) {
      throw new TypeMismatchError("Failed to execute 'getRandomValues' on 'Crypto': The provided " +
        "ArrayBufferView is not an integer array type.");
    }
    const length = TypedArrayPrototypeGetByteLength(array);
    if (length > 65536) {
      throw new QuotaExceededError("Failed to execute 'getRandomValues' on 'Crypto': The " +
        "ArrayBufferView's byte length (" + length + ") exceeds the number of bytes of entropy " +
        "available via this API (65536).");
    }
    const bytes = new boot.primordials.Uint8Array(TypedArrayPrototypeGetBuffer(array),
      TypedArrayPrototypeGetByteOffset(array), length);
    for (let i = 0; i < length; i++) bytes[i] = randomByte();
    return array;
  }

  const HEX = "0123456789abcdef";
  function randomUUID() {
    const parts = newList();
    for (let i = 0; i < 16; i++) {
      let b = randomByte();
      if (i === 6) b = (b & 0x0f) | 0x40;
      if (i === 8) b = (b & 0x3f) | 0x80;
      if (i === 4 || i === 6 || i === 8 || i === 10) listPush(parts, "-");
      listPush(parts, HEX[b >> 4] + HEX[b & 15]);
    }
    return ArrayPrototypeJoin(parts, "");
  }

  const crypto = { getRandomValues, randomUUID };

  return {
    __proto__: null, atob, btoa, TextEncoder, TextDecoder, structuredClone, queueMicrotask,
    crypto, DataCloneError,
  };
});
