// shims/core/08_encode.js: JavaScript values to JSON text, by the result's rules.
// Exposes: `encode(value, options)` -> JSON text; `resultType(value)`; `EncodeFailure` (internal,
//          never seen by user code); `isError`, `isMap`, `isSet`, `isDate`, brand checks;
//          `cutText(text, maxBytes)` (a string cut to a UTF-8 size, ending with "…").
// Hides:   nothing global. User code runs only where JSON.stringify would run it (toJSON,
//          getters, Proxy traps), always inside the evaluation's budget.
// Needs:   00_primordials, 05_host.
// Load:    lazy (first object result, log, stored value or payload).
//
// Rules, at every depth: as JSON.stringify, except a BigInt is its decimal string, a Map an object
// of its entries (keys as strings), a Set an array, an Error {name, message}, a Symbol
// String(symbol). A cycle, a getter/toJSON that throws, or nesting past MAX_DEPTH (128) levels is
// an EncodeFailure("unserializable"); output past `maxBytes` is an EncodeFailure("limit"),
// detected while encoding so a huge value
// never becomes a huge string. Lone surrogates become U+FFFD so the host always gets valid UTF-8.
(function (boot) {
  "use strict";
  const {
    ArrayIsArray, BigIntPrototypeToString, BooleanPrototypeValueOf, DatePrototype,
    DatePrototypeGetTime, ErrorIsError, ErrorPrototype, FunctionPrototypeCall, JSONStringify,
    MapPrototype, MapPrototypeForEach, MapPrototypeGetSize, NumberIsFinite,
    NumberPrototypeValueOf, ObjectGetPrototypeOf, ObjectKeys, ObjectPrototype,
    ObjectPrototypeIsPrototypeOf, RangeError, RegExpPrototypeGetSource, SetPrototype,
    SetPrototypeAdd, SetPrototypeDelete,
    SetPrototypeForEach, SetPrototypeGetSize, SetPrototypeHas, String, StringPrototypeCharCodeAt,
    StringPrototypeSlice, StringPrototypeToWellFormed, StringPrototypeValueOf, Set,
    SymbolPrototypeToString, listPush, newList,
  } = boot.primordials;

  // An internal failure of encoding; `kind` is an error kind. The fields are declared, so the
  // constructor's assignments write own properties: a setter user code put on Object.prototype
  // for "kind" or "message" would otherwise be called with this internal object.
  class EncodeFailure {
    kind;
    message;

    constructor(kind, message) {
      this.kind = kind;
      this.message = message;
    }
  }

  const brand = boot.primordials.isBrand;
  const isMap = (value) => brand(MapPrototypeGetSize, value);
  const isSet = (value) => brand(SetPrototypeGetSize, value);
  const isDate = (value) => brand(DatePrototypeGetTime, value);

  // What built-in an object is: "array", "record" (plain object), "map", "set", "date", "regexp",
  // "error", "number", "string", "boolean", "bigint" (boxed primitives). A failed brand check
  // throws, and a throw costs V8 a stack capture (~6 us measured), so the common cases are told
  // apart by prototype first: an object whose prototype is Object.prototype or null is a record,
  // one whose prototype is Map.prototype is checked for the Map brand only. Only objects with
  // another prototype (class instances, subclasses) go through every check. An exotic object
  // given Object.prototype as prototype (Object.setPrototypeOf(new Map(), Object.prototype)) is
  // therefore a record.
  function classify(value) {
    if (ArrayIsArray(value)) return "array"; // may throw for a revoked Proxy: callers catch
    const proto = ObjectGetPrototypeOf(value);
    if (proto === ObjectPrototype || proto === null) return "record";
    if (proto === MapPrototype) return isMap(value) ? "map" : "record";
    if (proto === SetPrototype) return isSet(value) ? "set" : "record";
    if (proto === DatePrototype) return isDate(value) ? "date" : "record";
    if (isError(value)) return "error";
    if (brand(RegExpPrototypeGetSource, value)) return "regexp";
    if (isMap(value)) return "map";
    if (isSet(value)) return "set";
    if (isDate(value)) return "date";
    if (brand(NumberPrototypeValueOf, value)) return "number";
    if (brand(StringPrototypeValueOf, value)) return "string";
    if (brand(BooleanPrototypeValueOf, value)) return "boolean";
    if (brand(BigIntPrototypeToString, value)) return "bigint";
    return "record";
  }
  function isError(value) {
    if (ErrorIsError !== undefined) return ErrorIsError(value);
    try {
      return ObjectPrototypeIsPrototypeOf(ErrorPrototype, value);
    } catch {
      return false;
    }
  }

  // The result_type of a value (never runs user code except Proxy traps of IsArray).
  function resultType(value) {
    if (value === null) return "null";
    const type = typeof value;
    if (type !== "object") return type; // undefined boolean number string bigint symbol function
    let kind;
    try {
      kind = classify(value);
    } catch {
      return "object"; // a revoked Proxy, a throwing getPrototypeOf trap
    }
    switch (kind) {
      case "array": case "date": case "map": case "set": case "error": return kind;
      default: return "object";
    }
  }

  function quote(text) {
    return JSONStringify(StringPrototypeToWellFormed(text));
  }

  function describe(path) {
    return path === "" ? "the value" : path;
  }

  function pathJoin(path, key) {
    return path + "." + key;
  }

  // Levels of arrays and objects a value may nest. The host parses every reply and result with
  // JSON parsers that stop at about 200 levels (jiter, pydantic), counting the records around
  // the value: deeper values made the evaluation fail as `internal`. Past it: unserializable
  // (results, stored values, payloads) or "[Too deep]" (logs). Requests are held to the same.
  const MAX_DEPTH = 128;

  // encode(value, {maxBytes, onCycle: "fail"|"mark", onThrow: "fail"|"mark", root: "result"})
  function encode(value, options) {
    const maxBytes = options.maxBytes;
    const markCycles = options.onCycle === "mark";
    const markThrows = options.onThrow === "mark";
    const ancestors = new Set();
    let size = 0;

    function tooLarge() {
      return new EncodeFailure("limit", options.root + " is larger than " + maxBytes + " bytes");
    }

    function grow(text) {
      size += text.length;
      if (size > maxBytes) throw tooLarge();
      return text;
    }

    // A string's JSON text is at least its length plus the quotes: a string that cannot fit is
    // refused before it is read, so a huge (cons) string is never flattened and copied here.
    function quoteChecked(text) {
      if (size + text.length + 2 > maxBytes) throw tooLarge();
      return quote(text);
    }

    function failThrow(path, error) {
      if (markThrows) return "[Thrown]";
      let detail;
      try {
        detail = isError(error) ? String(error.name) + ": " + String(error.message)
          : String(error);
      } catch {
        detail = "a value that cannot be shown";
      }
      throw new EncodeFailure("unserializable",
        "cannot convert " + describe(path) + " to JSON: " + detail);
    }

    // Returns JSON text, or undefined for a value JSON omits (undefined, function).
    function serialize(holder, key, input, path) {
      let value = input;
      if (typeof value === "bigint") return grow(quoteChecked(BigIntPrototypeToString(value)));
      if (value !== null && typeof value === "object") {
        let toJSON;
        try {
          toJSON = value.toJSON;
        } catch (error) {
          const mark = failThrow(path, error);
          return grow(quoteChecked(mark));
        }
        if (typeof toJSON === "function") {
          try {
            value = FunctionPrototypeCall(toJSON, value, key);
          } catch (error) {
            const mark = failThrow(path, error);
            return grow(quoteChecked(mark));
          }
        }
      }
      switch (typeof value) {
        case "string": return grow(quoteChecked(value));
        case "number": return grow(NumberIsFinite(value) ? String(value) : "null");
        case "boolean": return grow(value ? "true" : "false");
        case "bigint": return grow(quoteChecked(BigIntPrototypeToString(value)));
        case "symbol": return grow(quoteChecked(SymbolPrototypeToString(value)));
        case "undefined": case "function": return undefined;
      }
      if (value === null) return grow("null");
      return serializeObject(value, path);
    }

    function serializeObject(value, path) {
      let kind;
      try {
        kind = classify(value);
      } catch (error) {
        return grow(quoteChecked(failThrow(path, error)));
      }
      switch (kind) {
        case "number": return serialize(undefined, "", NumberPrototypeValueOf(value), path);
        case "string": return serialize(undefined, "", StringPrototypeValueOf(value), path);
        case "boolean": return serialize(undefined, "", BooleanPrototypeValueOf(value), path);
        case "bigint": return serialize(undefined, "", BigIntPrototypeToString(value), path);
      }
      if (SetPrototypeHas(ancestors, value)) {
        if (markCycles) return grow(quoteChecked("[Circular]"));
        throw new EncodeFailure("unserializable",
          "cannot convert " + describe(path) + " to JSON: it is cyclic (Converting circular " +
          "structure to JSON)");
      }
      if (SetPrototypeGetSize(ancestors) >= MAX_DEPTH) {
        if (markCycles) return grow(quoteChecked("[Too deep]"));
        throw new EncodeFailure("unserializable",
          "cannot convert " + options.root + " to JSON: it is nested too deeply (more than " +
          MAX_DEPTH + " levels)");
      }
      SetPrototypeAdd(ancestors, value);
      try {
        switch (kind) {
          case "array": return serializeArray(value, path);
          case "map": return serializeMap(value, path);
          case "set": return serializeSet(value, path);
          case "error": return serializeError(value, path);
          default: return serializeRecord(value, path);
        }
      } finally {
        SetPrototypeDelete(ancestors, value);
      }
    }

    function serializeArray(value, path) {
      let length;
      try {
        length = value.length;
      } catch (error) {
        return grow(quoteChecked(failThrow(path, error)));
      }
      let out = grow("[");
      for (let i = 0; i < length; i++) {
        if (i > 0) out += grow(",");
        let item;
        try {
          item = value[i];
        } catch (error) {
          out += grow(quoteChecked(failThrow(path + "[" + i + "]", error)));
          continue;
        }
        const text = serialize(value, String(i), item, path + "[" + i + "]");
        out += text === undefined ? grow("null") : text;
      }
      return out + grow("]");
    }

    function serializeRecord(value, path) {
      let keys;
      try {
        keys = ObjectKeys(value);
      } catch (error) {
        return grow(quoteChecked(failThrow(path, error)));
      }
      let out = grow("{");
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        let item;
        try {
          item = value[key];
        } catch (error) {
          item = failThrow(pathJoin(path, key), error);
        }
        const text = serialize(value, key, item, pathJoin(path, key));
        if (text === undefined) continue;
        out += grow((first ? "" : ",") + quoteChecked(key) + ":") + text;
        first = false;
      }
      return out + grow("}");
    }

    function serializeMap(value, path) {
      const keys = newList();
      const values = newList();
      MapPrototypeForEach(value, (item, key) => {
        listPush(keys, key);
        listPush(values, item);
      });
      let out = grow("{");
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        let name;
        try {
          name = typeof keys[i] === "symbol" ? SymbolPrototypeToString(keys[i]) : String(keys[i]);
        } catch (error) {
          name = failThrow(path, error);
        }
        const text = serialize(value, name, values[i], pathJoin(path, name));
        if (text === undefined) continue;
        out += grow((first ? "" : ",") + quoteChecked(name) + ":") + text;
        first = false;
      }
      return out + grow("}");
    }

    function serializeSet(value, path) {
      const items = newList();
      SetPrototypeForEach(value, (item) => listPush(items, item));
      let out = grow("[");
      for (let i = 0; i < items.length; i++) {
        if (i > 0) out += grow(",");
        const text = serialize(value, String(i), items[i], path + "[" + i + "]");
        out += text === undefined ? grow("null") : text;
      }
      return out + grow("]");
    }

    function serializeError(value, path) {
      let name;
      let message;
      try {
        name = String(value.name);
        message = String(value.message);
      } catch (error) {
        return grow(quoteChecked(failThrow(path, error)));
      }
      return grow("{\"name\":" + quoteChecked(name) + ",\"message\":" + quoteChecked(message) + "}");
    }

    try {
      const text = serialize(undefined, "", value, "");
      return text === undefined ? "null" : text;
    } catch (error) {
      if (error instanceof EncodeFailure) throw error;
      // The engine's own RangeError (stack overflow) while descending a deep value.
      if (ObjectPrototypeIsPrototypeOf(RangeError.prototype, error)) {
        throw new EncodeFailure("unserializable",
          "cannot convert " + options.root + " to JSON: it is nested too deeply");
      }
      throw error;
    }
  }

  // `text` if its UTF-8 form fits in `maxBytes`, else its longest prefix that fits with "…"
  // (3 bytes) after it, a surrogate pair never split. Only the first `maxBytes` units are read
  // (a unit is at least one byte), so the cost is the cap's, never the string's: an error
  // message of 200 million characters once made the runtime's JSON.stringify abort V8.
  function cutText(text, maxBytes) {
    if (text.length * 3 <= maxBytes) return text;
    const head = text.length > maxBytes ? StringPrototypeSlice(text, 0, maxBytes) : text;
    const room = maxBytes - 3;
    let bytes = 0;
    let fitting = 0; // units of `head` that fit in `room`
    let i = 0;
    while (i < head.length) {
      const c = StringPrototypeCharCodeAt(head, i);
      let units = 1;
      let size;
      if (c < 0x80) size = 1;
      else if (c < 0x800) size = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < head.length &&
          (StringPrototypeCharCodeAt(head, i + 1) & 0xfc00) === 0xdc00) {
        size = 4;
        units = 2;
      } else size = 3;
      bytes += size;
      i += units;
      if (bytes <= room) fitting = i;
      else if (bytes > maxBytes) break;
    }
    if (head === text && bytes <= maxBytes) return text;
    return StringPrototypeSlice(head, 0, fitting) + "…";
  }

  return {
    __proto__: null, encode, resultType, EncodeFailure, classify, isError, isMap, isSet, isDate,
    brand,
    quote,
    cutText,
  };
});
