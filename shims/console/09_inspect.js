// shims/console/09_inspect.js: values as a console prints them (the `text` of a log entry).
// Exposes: `inspect(value, depth)` in the style of Node's and Deno's util.inspect, on one line:
//          { a: 1, b: 'x' }, [ 1, 2 ], Map(1) { 'k' => 1 }, [Function: f], [Getter], [Circular].
//          `format(args)` applies %s %d %i %f %o %O %j %c substitutions as a browser console does.
// Hides:   nothing global. Getters are shown as [Getter], never called.
// Needs:   00_primordials, 08_encode.
// Load:    lazy (first console call).
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, BigIntPrototypeToString, DatePrototypeGetTime,
    DatePrototypeToISOString, FunctionPrototypeToString, MapPrototypeForEach, MapPrototypeGetSize,
    MathTrunc, Number, NumberIsNaN, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf,
    ObjectHasOwn, ObjectIs, ObjectKeys, ObjectPrototype, RegExpPrototypeGetSource,
    SetPrototypeAdd, SetPrototypeDelete, SetPrototypeForEach, SetPrototypeGetSize,
    SetPrototypeHas, Set, String, StringPrototypeCharCodeAt, StringPrototypeIndexOf,
    StringPrototypeSlice, StringPrototypeStartsWith, StringPrototypeToWellFormed,
    SymbolPrototypeToString, RegExpPrototypeGetFlags, listPush, newList,
  } = boot.primordials;
  const { encode, EncodeFailure, classify } = boot.encode;

  const MAX_ITEMS = 100;
  const MAX_DEPTH = 2;

  // Character loops rather than regular expressions: a user may replace RegExp.prototype.exec,
  // which every RegExp method calls.
  function quoteString(text) {
    let out = "'";
    let last = 0;
    for (let i = 0; i < text.length; i++) {
      const code = StringPrototypeCharCodeAt(text, i);
      let escaped;
      if (code === 39) escaped = "\\'";
      else if (code === 92) escaped = "\\\\";
      else if (code === 10) escaped = "\\n";
      else if (code === 13) escaped = "\\r";
      else if (code === 9) escaped = "\\t";
      else continue;
      out += StringPrototypeSlice(text, last, i) + escaped;
      last = i + 1;
    }
    return out + StringPrototypeSlice(text, last) + "'";
  }

  function isIdentifier(text) {
    if (text.length === 0) return false;
    for (let i = 0; i < text.length; i++) {
      const c = StringPrototypeCharCodeAt(text, i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }

  function keyText(key) {
    if (typeof key === "symbol") return "[" + SymbolPrototypeToString(key) + "]";
    return isIdentifier(key) ? key : quoteString(key);
  }

  function safeString(value) {
    try {
      return String(value);
    } catch {
      return "[object]";
    }
  }

  function functionText(fn) {
    let name = "";
    try {
      const desc = ObjectGetOwnPropertyDescriptor(fn, "name");
      if (desc !== undefined && ObjectHasOwn(desc, "value") && typeof desc.value === "string") {
        name = desc.value;
      }
    } catch { /* a Proxy trap: no name */ }
    let source = "";
    try {
      source = FunctionPrototypeToString(fn);
    } catch { /* not a real function */ }
    if (StringPrototypeStartsWith(source, "class")) {
      return "[class " + (name || "(anonymous)") + "]";
    }
    let kind = "Function";
    if (StringPrototypeStartsWith(source, "async")) kind = "AsyncFunction";
    return "[" + kind + (name ? ": " + name : " (anonymous)") + "]";
  }

  function constructorName(value) {
    try {
      const proto = ObjectGetPrototypeOf(value);
      if (proto === null) return null;
      if (proto === ObjectPrototype) return "";
      const desc = ObjectGetOwnPropertyDescriptor(proto, "constructor");
      if (desc !== undefined && ObjectHasOwn(desc, "value") && typeof desc.value === "function") {
        const nameDesc = ObjectGetOwnPropertyDescriptor(desc.value, "name");
        if (nameDesc !== undefined && ObjectHasOwn(nameDesc, "value") &&
            typeof nameDesc.value === "string") return nameDesc.value;
      }
    } catch { /* Proxy traps */ }
    return "";
  }

  function inspect(value, depth, seen) {
    const visited = seen === undefined ? new Set() : seen;
    return inspectValue(value, depth === undefined ? MAX_DEPTH : depth, visited, true);
  }

  function inspectValue(value, depth, seen, top) {
    switch (typeof value) {
      case "string": return top ? value : quoteString(value);
      case "number": return ObjectIs(value, -0) ? "-0" : String(value);
      case "bigint": return BigIntPrototypeToString(value) + "n";
      case "boolean": return value ? "true" : "false";
      case "undefined": return "undefined";
      case "symbol": return SymbolPrototypeToString(value);
      case "function": return functionText(value);
    }
    if (value === null) return "null";
    if (SetPrototypeHas(seen, value)) return "[Circular]";
    let kind;
    try {
      kind = classify(value);
    } catch {
      kind = "record"; // a revoked Proxy, a throwing getPrototypeOf trap
    }
    if (kind === "date") {
      return NumberIsNaN(DatePrototypeGetTime(value)) ? "Invalid Date"
        : DatePrototypeToISOString(value);
    }
    if (kind === "regexp") {
      return "/" + RegExpPrototypeGetSource(value) + "/" + RegExpPrototypeGetFlags(value);
    }
    if (kind === "error") return errorText(value);
    SetPrototypeAdd(seen, value);
    try {
      if (kind === "map") return mapText(value, depth, seen);
      if (kind === "set") return setText(value, depth, seen);
      if (kind === "array") return arrayText(value, depth, seen);
      return objectText(value, depth, seen);
    } finally {
      SetPrototypeDelete(seen, value);
    }
  }

  function errorText(error) {
    const describeError = boot.errors && boot.errors.describeError;
    if (describeError !== undefined) {
      const info = describeError(error);
      return info.stack || info.name + ": " + info.message;
    }
    return safeString(error);
  }

  function propertyText(value, key, depth, seen) {
    let desc;
    try {
      desc = ObjectGetOwnPropertyDescriptor(value, key);
    } catch {
      return "[Thrown]";
    }
    if (desc === undefined) return "undefined";
    if (!ObjectHasOwn(desc, "value")) {
      if (desc.get !== undefined && desc.set !== undefined) return "[Getter/Setter]";
      return desc.get !== undefined ? "[Getter]" : "[Setter]";
    }
    return inspectValue(desc.value, depth - 1, seen, false);
  }

  function arrayText(value, depth, seen) {
    let length = 0;
    try {
      length = value.length;
    } catch { /* Proxy */ }
    if (length === 0) return "[]";
    if (depth < 0) return "[Array]";
    const parts = newList();
    const shown = length < MAX_ITEMS ? length : MAX_ITEMS;
    for (let i = 0; i < shown; i++) listPush(parts, propertyText(value, String(i), depth, seen));
    if (length > shown) listPush(parts, "... " + (length - shown) + " more items");
    return "[ " + ArrayPrototypeJoin(parts, ", ") + " ]";
  }

  function objectText(value, depth, seen) {
    const name = constructorName(value);
    let keys;
    try {
      keys = ObjectKeys(value);
    } catch {
      keys = newList();
    }
    const prefix = name === null ? "[Object: null prototype] " : name ? name + " " : "";
    if (keys.length === 0) return prefix + "{}";
    if (depth < 0) return name ? "[" + name + "]" : "[Object]";
    const parts = newList();
    const shown = keys.length < MAX_ITEMS ? keys.length : MAX_ITEMS;
    for (let i = 0; i < shown; i++) {
      listPush(parts, keyText(keys[i]) + ": " + propertyText(value, keys[i], depth, seen));
    }
    if (keys.length > shown) listPush(parts, "... " + (keys.length - shown) + " more items");
    return prefix + "{ " + ArrayPrototypeJoin(parts, ", ") + " }";
  }

  function mapText(value, depth, seen) {
    const size = MapPrototypeGetSize(value);
    if (size === 0) return "Map(0) {}";
    if (depth < 0) return "[Map]";
    const parts = newList();
    MapPrototypeForEach(value, (item, key) => {
      if (parts.length < MAX_ITEMS) {
        listPush(parts, inspectValue(key, depth - 1, seen, false) + " => " +
          inspectValue(item, depth - 1, seen, false));
      }
    });
    if (size > MAX_ITEMS) listPush(parts, "... " + (size - MAX_ITEMS) + " more items");
    return "Map(" + size + ") { " + ArrayPrototypeJoin(parts, ", ") + " }";
  }

  function setText(value, depth, seen) {
    const size = SetPrototypeGetSize(value);
    if (size === 0) return "Set(0) {}";
    if (depth < 0) return "[Set]";
    const parts = newList();
    SetPrototypeForEach(value, (item) => {
      if (parts.length < MAX_ITEMS) listPush(parts, inspectValue(item, depth - 1, seen, false));
    });
    if (size > MAX_ITEMS) listPush(parts, "... " + (size - MAX_ITEMS) + " more items");
    return "Set(" + size + ") { " + ArrayPrototypeJoin(parts, ", ") + " }";
  }

  // %d and %i: integer part, as browsers print it (42.9 -> 42).
  function integerText(arg) {
    if (typeof arg === "bigint") return BigIntPrototypeToString(arg) + "n";
    if (typeof arg === "symbol") return "NaN";
    let n;
    try {
      n = Number(arg);
    } catch {
      return "NaN";
    }
    if (NumberIsNaN(n)) return "NaN";
    const truncated = MathTrunc(n);
    return ObjectIs(truncated, -0) ? "0" : String(truncated);
  }

  function floatText(arg) {
    if (typeof arg === "symbol") return "NaN";
    try {
      return String(Number(arg));
    } catch {
      return "NaN";
    }
  }

  function stringText(arg) {
    if (typeof arg === "string") return arg;
    if (typeof arg === "bigint") return BigIntPrototypeToString(arg) + "n";
    if (typeof arg === "symbol") return SymbolPrototypeToString(arg);
    if (arg !== null && (typeof arg === "object" || typeof arg === "function")) {
      return inspect(arg, 1);
    }
    return inspectValue(arg, 0, new Set(), true);
  }

  function jsonText(arg) {
    try {
      return encode(arg, { maxBytes: 65536, onCycle: "mark", onThrow: "mark", root: "%j" });
    } catch (error) {
      if (error instanceof EncodeFailure) return "[" + error.message + "]";
      throw error;
    }
  }

  // The line a browser console prints for console.log(...args).
  function format(args) {
    const parts = newList();
    let next = 0;
    if (args.length > 0 && typeof args[0] === "string" &&
        StringPrototypeIndexOf(args[0], "%") !== -1) {
      const template = args[0];
      next = 1;
      let out = "";
      let last = 0;
      for (let i = 0; i < template.length - 1; i++) {
        if (StringPrototypeCharCodeAt(template, i) !== 37) continue; // '%'
        const code = template[i + 1];
        let piece;
        if (code === "%") {
          piece = "%";
        } else if (next >= args.length) {
          continue;
        } else if (code === "s") {
          piece = stringText(args[next++]);
        } else if (code === "d" || code === "i") {
          piece = integerText(args[next++]);
        } else if (code === "f") {
          piece = floatText(args[next++]);
        } else if (code === "o" || code === "O") {
          piece = inspect(args[next++], code === "o" ? 4 : MAX_DEPTH);
        } else if (code === "j") {
          piece = jsonText(args[next++]);
        } else if (code === "c") {
          next++;
          piece = "";
        } else {
          continue;
        }
        out += StringPrototypeSlice(template, last, i) + piece;
        last = i + 2;
        i++;
      }
      listPush(parts, out + StringPrototypeSlice(template, last));
    }
    for (let i = next; i < args.length; i++) listPush(parts, inspect(args[i]));
    return StringPrototypeToWellFormed(ArrayPrototypeJoin(parts, " "));
  }

  return { __proto__: null, inspect, format, quoteString };
});
