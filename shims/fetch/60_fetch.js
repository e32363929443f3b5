// shims/fetch/60_fetch.js: fetch, Headers, Request, Response, AbortController, AbortSignal (SPEC §5).
// Exposes: the six globals (90_install publishes them); for the runtime: `inFlight()` (pending
//          fetches), `deliver(message)` (the host's results: {op:"deliver", items:[...]}) and
//          `sweep()` (report rejected fetch promises nobody handled; 70_run calls it at the start
//          of every op, when the microtasks of the previous one have run).
// Hides:   the pending-fetch table, every object's internal state (private fields, so user code
//          can neither read nor forge it) and the host records. A request leaves as a record on
//          the `fetch_out` channel: {kind:"request", id, method, url, headers, redirect, body|text};
//          {kind:"cancel", id} when its signal aborts; {kind:"failed", id, method, url, error} for a
//          call refused here (recorded in `fetches`, never sent). The host parses and checks the
//          URL (evaluator/capabilities/fetch/_policy.py): this file only normalises it lightly for Request.url.
// Needs:   00_primordials, 05_host (emit, json helpers, config.fetchMaxRequests when set),
//          18_framework (guard), 55_memory (response bytes are charged to memory_mb); 70_run
//          (reportUnhandled, reportUncaught) and 20_timers (AbortSignal.timeout) at call time.
// Load:    lazy (first use of fetch or one of its classes).
//
// Fetch standard with credentials "omit": no cookies are sent or kept, Set-Cookie never shows, and
// forbidden request headers set by user code are ignored (here, by the "request" headers guard,
// and again by the host, which is authoritative). Inputs are read once, in the order WebIDL reads
// them, and copied (bodies included), so a getter that answers differently later changes nothing.
// Every failure of fetch rejects with a TypeError "fetch failed: <reason>"; the host writes the
// reasons of network and policy failures. Errors thrown by user code itself (a throwing getter)
// reject with that error, as in a browser.
//
// fetch returns a Promise subclass (named Promise) whose `then` notes that someone handled it; a
// fetch promise (or one derived from it) that rejects with no handler is reported at the next op
// as "Uncaught (in promise) TypeError: fetch failed: ...". This is the one deviation visible to
// code: Object.getPrototypeOf(fetch(u)) is not Promise.prototype (instanceof Promise still holds).
(function (boot) {
  "use strict";
  const P = boot.primordials;
  const {
    ArrayBufferPrototypeGetByteLength, ArrayPrototypeJoin, ArrayPrototypeSymbolIterator,
    DataViewPrototypeGetBuffer, DataViewPrototypeGetByteLength, DataViewPrototypeGetByteOffset,
    Error, JSONParse, JSONStringify, Map, MapPrototypeDelete, MapPrototypeGet,
    MapPrototypeGetSize, MapPrototypeSet, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor,
    ObjectGetPrototypeOf, ObjectHasOwn, ObjectSetPrototypeOf, Promise, PromisePrototypeThen,
    RangeError, ReflectApply, ReflectOwnKeys, StringFromCharCode, StringPrototypeCharCodeAt,
    StringPrototypeLastIndexOf, StringPrototypeSlice, StringPrototypeToLowerCase,
    StringPrototypeToUpperCase, StringPrototypeToWellFormed, SymbolIterator, SymbolToStringTag,
    TypeError, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeGetByteOffset, TypedArrayPrototypeSet, Uint8ArrayPrototypeSetFromBase64,
    Uint8ArrayPrototypeToBase64, WeakSet, WeakSetPrototypeAdd, WeakSetPrototypeHas, listPush,
    newList, nativeLooking,
  } = P;
  const IntrinsicUint8Array = P.Uint8Array;
  const host = boot.host;
  const { utf8Encode } = host;
  const { emit, jsonString, jsonNumber } = host;
  const { guard } = boot.framework;
  const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf(
    ArrayPrototypeSymbolIterator(newList())));

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only
  const ourErrors = new WeakSet(); // TypeErrors raised by this file's own validation

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

  // -- errors with DOMException's names (there is no DOMException global here) ---------------
  function domError(name, code) {
    const cls = class extends Error {};
    ObjectDefineProperty(cls.prototype, "name", {
      __proto__: null, value: name, writable: true, enumerable: false, configurable: true,
    });
    ObjectDefineProperty(cls.prototype, "code", {
      __proto__: null, value: code, writable: true, enumerable: false, configurable: true,
    });
    return markClass(cls);
  }
  const AbortError = domError("AbortError", 20);
  const TimeoutError = domError("TimeoutError", 23);

  // -- HTTP tokens and header rules ----------------------------------------------------------
  function isTokenCode(c) {
    // RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
      c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 45 || c === 46 ||
      c === 94 || c === 95 || c === 96 || c === 124 || c === 126;
  }

  function isToken(text) {
    if (text.length === 0) return false;
    for (let i = 0; i < text.length; i++) {
      if (!isTokenCode(StringPrototypeCharCodeAt(text, i))) return false;
    }
    return true;
  }

  function isHTTPWhitespace(c) {
    return c === 9 || c === 10 || c === 13 || c === 32;
  }

  function normalizeValue(text) {
    let start = 0;
    let end = text.length;
    while (start < end && isHTTPWhitespace(StringPrototypeCharCodeAt(text, start))) start++;
    while (end > start && isHTTPWhitespace(StringPrototypeCharCodeAt(text, end - 1))) end--;
    return StringPrototypeSlice(text, start, end);
  }

  function checkValue(value) {
    for (let i = 0; i < value.length; i++) {
      const c = StringPrototypeCharCodeAt(value, i);
      if (c === 0 || c === 10 || c === 13) fail("Invalid header value.");
    }
  }

  const FORBIDDEN_REQUEST = {
    __proto__: null, "accept-charset": true, "accept-encoding": true,
    "access-control-request-headers": true, "access-control-request-method": true,
    connection: true, "content-length": true, cookie: true, cookie2: true, date: true, dnt: true,
    expect: true, host: true, "keep-alive": true, origin: true, referer: true, "set-cookie": true,
    te: true, trailer: true, "transfer-encoding": true, upgrade: true, via: true,
  };
  const METHOD_OVERRIDES = {
    __proto__: null, "x-http-method": true, "x-http-method-override": true,
    "x-method-override": true,
  };
  const FORBIDDEN_METHODS = { __proto__: null, CONNECT: true, TRACE: true, TRACK: true };
  const NORMALIZED_METHODS = {
    __proto__: null, DELETE: true, GET: true, HEAD: true, OPTIONS: true, POST: true, PUT: true,
  };

  function isForbiddenRequestHeader(lower, value) {
    if (FORBIDDEN_REQUEST[lower] === true) return true;
    if (StringPrototypeSlice(lower, 0, 6) === "proxy-" || StringPrototypeSlice(lower, 0, 4) === "sec-") {
      return true;
    }
    if (METHOD_OVERRIDES[lower] === true) {
      const parts = P.stringSplit(value, ",");
      for (let i = 0; i < parts.length; i++) {
        if (FORBIDDEN_METHODS[StringPrototypeToUpperCase(normalizeValue(parts[i]))] === true) return true;
      }
    }
    return false;
  }

  // -- Headers ---------------------------------------------------------------------------------
  let headersList;   // (headers) -> its entry list
  let headersGuard;  // (headers) -> its guard
  let isHeaders;     // (value) -> brand check
  let createHeaders; // (guard, list) -> a Headers over `list`

  function makeEntry(name, value) {
    return { __proto__: null, name, lower: StringPrototypeToLowerCase(name), value };
  }

  function appendEntry(list, guardKind, name, value) {
    const lower = StringPrototypeToLowerCase(name);
    if (guardKind === "immutable") fail("Headers are immutable.");
    if (guardKind === "request" && isForbiddenRequestHeader(lower, value)) return;
    if (guardKind === "response" && (lower === "set-cookie" || lower === "set-cookie2")) return;
    // Appending to a name present keeps its first spelling (the Fetch standard's header list).
    for (let i = 0; i < list.length; i++) {
      if (list[i].lower === lower) {
        name = list[i].name;
        break;
      }
    }
    listPush(list, makeEntry(name, value));
  }

  function checkedName(value) {
    const name = toByteString(value);
    if (!isToken(name)) fail("Invalid header name: '" + name + "'.");
    return name;
  }

  function checkedValue(value) {
    const normalized = normalizeValue(toByteString(value));
    checkValue(normalized);
    return normalized;
  }

  // Fill a header list from HeadersInit (a Headers, a sequence of pairs, or a record).
  function fillHeaders(list, guardKind, init) {
    if (!isObject(init)) {
      fail("The provided value is not of type '(record<ByteString, ByteString> or " +
        "sequence<sequence<ByteString>>)'.");
    }
    if (isHeaders(init)) {
      const source = headersList(init);
      const copy = newList();
      for (let i = 0; i < source.length; i++) listPush(copy, source[i]);
      for (let i = 0; i < copy.length; i++) appendEntry(list, guardKind, copy[i].name, copy[i].value);
      return;
    }
    const method = init[SymbolIterator];
    if (method !== undefined && method !== null) {
      const pairs = readSequence(init, method);
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        if (!isObject(pair)) fail("The provided value cannot be converted to a sequence.");
        const items = readSequence(pair, pair[SymbolIterator]);
        if (items.length !== 2) fail("Invalid value: each header pair must have two items.");
        appendEntry(list, guardKind, checkedName(items[0]), checkedValue(items[1]));
      }
      return;
    }
    const keys = ReflectOwnKeys(init);
    const entries = newList();
    for (let i = 0; i < keys.length; i++) {
      const desc = ObjectGetOwnPropertyDescriptor(init, keys[i]);
      if (desc === undefined || !desc.enumerable) continue;
      const name = checkedName(keys[i]);
      listPush(entries, name);
      listPush(entries, checkedValue(init[keys[i]]));
    }
    for (let i = 0; i < entries.length; i += 2) appendEntry(list, guardKind, entries[i], entries[i + 1]);
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

  // Sort-and-combine (Fetch standard): lower-case names in code-unit order, values joined by
  // ", ", except set-cookie whose values stay apart. Pairs are ordinary arrays: user code
  // destructures them.
  function sortedPairs(list) {
    const names = newList();
    for (let i = 0; i < list.length; i++) {
      const lower = list[i].lower;
      let at = 0;
      let seen = false;
      while (at < names.length) {
        if (names[at] === lower) {
          seen = true;
          break;
        }
        if (names[at] > lower) break;
        at++;
      }
      if (seen) continue;
      for (let k = names.length; k > at; k--) names[k] = names[k - 1];
      names[at] = lower;
    }
    const pairs = newList();
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      if (name === "set-cookie") {
        for (let i = 0; i < list.length; i++) {
          if (list[i].lower === name) listPush(pairs, [name, list[i].value]);
        }
      } else {
        listPush(pairs, [name, combined(list, name)]);
      }
    }
    return pairs;
  }

  function combined(list, lower) {
    const values = newList();
    for (let i = 0; i < list.length; i++) {
      if (list[i].lower === lower) listPush(values, list[i].value);
    }
    return values.length === 0 ? null : ArrayPrototypeJoin(values, ", ");
  }

  class Headers {
    #list;
    #guard;

    constructor(init = undefined) {
      this.#list = newList();
      this.#guard = "none";
      if (init !== undefined) fillHeaders(this.#list, "none", init);
    }

    static {
      headersList = (headers) => headers.#list;
      headersGuard = (headers) => headers.#guard;
      isHeaders = (value) => isObject(value) && #list in value;
      createHeaders = (guardKind, list) => {
        const headers = new Headers();
        headers.#guard = guardKind;
        headers.#list = list;
        return headers;
      };
    }

    append(name, value) {
      requireArgs(2, arguments.length, "'append' on 'Headers'");
      appendEntry(this.#list, this.#guard, checkedName(name), checkedValue(value));
    }

    delete(name) {
      requireArgs(1, arguments.length, "'delete' on 'Headers'");
      const lower = StringPrototypeToLowerCase(checkedName(name));
      if (this.#guard === "immutable") fail("Headers are immutable.");
      if (this.#guard === "request" && isForbiddenRequestHeader(lower, "")) return;
      const kept = newList();
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i].lower !== lower) listPush(kept, list[i]);
      this.#list = kept;
    }

    get(name) {
      requireArgs(1, arguments.length, "'get' on 'Headers'");
      return combined(this.#list, StringPrototypeToLowerCase(checkedName(name)));
    }

    getSetCookie() {
      const values = newList();
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i].lower === "set-cookie") listPush(values, list[i].value);
      const out = [];
      for (let i = 0; i < values.length; i++) {
        ObjectDefineProperty(out, i, {
          __proto__: null, value: values[i], writable: true, enumerable: true, configurable: true,
        });
      }
      return out;
    }

    has(name) {
      requireArgs(1, arguments.length, "'has' on 'Headers'");
      return combined(this.#list, StringPrototypeToLowerCase(checkedName(name))) !== null;
    }

    set(name, value) {
      requireArgs(2, arguments.length, "'set' on 'Headers'");
      const checked = checkedName(name);
      const normalized = checkedValue(value);
      const lower = StringPrototypeToLowerCase(checked);
      if (this.#guard === "immutable") fail("Headers are immutable.");
      if (this.#guard === "request" && isForbiddenRequestHeader(lower, normalized)) return;
      if (this.#guard === "response" && (lower === "set-cookie" || lower === "set-cookie2")) return;
      const list = this.#list;
      const kept = newList();
      let placed = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i].lower !== lower) {
          listPush(kept, list[i]);
        } else if (!placed) {
          listPush(kept, makeEntry(list[i].name, normalized));
          placed = true;
        }
      }
      if (!placed) listPush(kept, makeEntry(checked, normalized));
      this.#list = kept;
    }

    forEach(callback, thisArg = undefined) {
      requireArgs(1, arguments.length, "'forEach' on 'Headers'");
      if (typeof callback !== "function") {
        fail("Failed to execute 'forEach' on 'Headers': The callback provided as parameter 1 is " +
          "not a function.");
      }
      let pairs = sortedPairs(this.#list);
      for (let i = 0; i < pairs.length; i++) {
        ReflectApply(callback, thisArg, [pairs[i][1], pairs[i][0], this]);
        pairs = sortedPairs(this.#list);
      }
    }

    entries() {
      return makeHeadersIterator(this, "entries");
    }

    keys() {
      return makeHeadersIterator(this, "keys");
    }

    values() {
      return makeHeadersIterator(this, "values");
    }
  }
  setTag(Headers, "Headers");
  ObjectDefineProperty(Headers.prototype, SymbolIterator, {
    __proto__: null, value: Headers.prototype.entries, writable: true, enumerable: false,
    configurable: true,
  });
  markClass(Headers);

  class HeadersIterator {
    #headers;
    #kind;
    #index;

    constructor(token, headers, kind) {
      if (token !== INTERNAL) throw new TypeError("Illegal constructor");
      this.#headers = headers;
      this.#kind = kind;
      this.#index = 0;
    }

    next() {
      const pairs = sortedPairs(headersList(this.#headers));
      if (this.#index >= pairs.length) return { value: undefined, done: true };
      const pair = pairs[this.#index++];
      const kind = this.#kind;
      return { value: kind === "keys" ? pair[0] : kind === "values" ? pair[1] : pair, done: false };
    }
  }
  ObjectSetPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
  setTag(HeadersIterator, "Headers Iterator");
  markClass(HeadersIterator);

  function makeHeadersIterator(headers, kind) {
    headersList(headers); // brand check: a TypeError for anything but a Headers
    return new HeadersIterator(INTERNAL, headers, kind);
  }

  // -- bodies ------------------------------------------------------------------------------------
  // A body is {text} (a string), {bytes} (a Uint8Array we own) or {b64} (base64 from the host),
  // plus `used`. Text stays text until bytes are asked for, so JSON responses cost no decoding.

  function textBody(text) {
    return { __proto__: null, text, bytes: undefined, b64: undefined, used: false };
  }

  function bytesBody(bytes) {
    return { __proto__: null, text: undefined, bytes, b64: undefined, used: false };
  }

  function isBrand(check, value) {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  }

  // A view on the bytes of a BufferSource (no copy), or undefined if `value` is none.
  function bufferView(value) {
    if (isBrand(ArrayBufferPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(value, 0, ArrayBufferPrototypeGetByteLength(value));
    }
    if (isBrand(TypedArrayPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(TypedArrayPrototypeGetBuffer(value),
        TypedArrayPrototypeGetByteOffset(value), TypedArrayPrototypeGetByteLength(value));
    }
    if (isBrand(DataViewPrototypeGetByteLength, value)) {
      return new IntrinsicUint8Array(DataViewPrototypeGetBuffer(value),
        DataViewPrototypeGetByteOffset(value), DataViewPrototypeGetByteLength(value));
    }
    return undefined;
  }

  function copyBytes(view) {
    const copy = boot.memory.newUint8Array(TypedArrayPrototypeGetByteLength(view));
    TypedArrayPrototypeSet(copy, view);
    return copy;
  }

  // Extract a body (Fetch standard): {body, type}. Bytes are copied now: later writes to the
  // caller's buffer change nothing.
  function extractBody(value) {
    if (typeof value === "string") {
      return { __proto__: null, body: textBody(StringPrototypeToWellFormed(value)),
        type: "text/plain;charset=UTF-8" };
    }
    const view = isObject(value) ? bufferView(value) : undefined;
    if (view !== undefined) return { __proto__: null, body: bytesBody(copyBytes(view)), type: null };
    if (isObject(value) && value[SymbolToStringTag] === "URLSearchParams") {
      return { __proto__: null, body: textBody(toUSVString(value)),
        type: "application/x-www-form-urlencoded;charset=UTF-8" };
    }
    // Any other value is a USVString (WebIDL's union fallback): {a: 1} sends "[object Object]".
    return { __proto__: null, body: textBody(toUSVString(value)), type: "text/plain;charset=UTF-8" };
  }

  function cloneBody(body) {
    if (body === null) return null;
    if (body.bytes !== undefined) return bytesBody(copyBytes(body.bytes));
    return { __proto__: null, text: body.text, bytes: undefined, b64: body.b64, used: false };
  }

  // UTF-8 decode with replacement (Encoding standard), into a string.
  function utf8Decode(bytes) {
    const units = newList();
    let text = "";
    let n = 0;
    const length = TypedArrayPrototypeGetByteLength(bytes);
    let i = 0;
    while (i < length) {
      const b = bytes[i];
      let cp = 0xfffd;
      let size = 1;
      if (b < 0x80) {
        cp = b;
      } else {
        let need = 0;
        let lower = 0x80;
        let upper = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2; cp = b & 0x0f;
          if (b === 0xe0) lower = 0xa0;
          if (b === 0xed) upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3; cp = b & 0x07;
          if (b === 0xf0) lower = 0x90;
          if (b === 0xf4) upper = 0x8f;
        }
        if (need === 0) {
          cp = 0xfffd;
        } else {
          let k = 1;
          for (; k <= need; k++) {
            const next = i + k < length ? bytes[i + k] : -1;
            if (next < lower || next > upper) break;
            lower = 0x80;
            upper = 0xbf;
            cp = (cp << 6) | (next & 0x3f);
          }
          if (k <= need) {
            cp = 0xfffd;
            size = k;
          } else {
            size = need + 1;
          }
        }
      }
      i += size;
      if (cp >= 0x10000) {
        units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
        units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      } else {
        units[n++] = cp;
      }
      if (n >= 8192) {
        units.length = n;
        text += ReflectApply(StringFromCharCode, undefined, units);
        n = 0;
      }
    }
    units.length = n;
    if (n > 0) text += ReflectApply(StringFromCharCode, undefined, units);
    return text;
  }

  function base64Bytes(b64) {
    let padding = 0;
    if (b64.length > 0 && b64[b64.length - 1] === "=") padding++;
    if (b64.length > 1 && b64[b64.length - 2] === "=") padding++;
    const bytes = boot.memory.newUint8Array((b64.length / 4) * 3 - padding);
    Uint8ArrayPrototypeSetFromBase64(bytes, b64);
    return bytes;
  }

  function stripBOM(text) {
    return text.length > 0 && StringPrototypeCharCodeAt(text, 0) === 0xfeff ?
      StringPrototypeSlice(text, 1) : text;
  }

  function bodyText(body) {
    if (body === null) return "";
    if (body.text !== undefined) return stripBOM(body.text);
    return stripBOM(utf8Decode(body.bytes !== undefined ? body.bytes : base64Bytes(body.b64)));
  }

  function bodyBytes(body) {
    if (body === null) return boot.memory.newUint8Array(0);
    if (body.bytes !== undefined) return body.bytes;
    if (body.b64 !== undefined) return base64Bytes(body.b64);
    return utf8Encode(body.text);
  }

  // Read a body once: the checks happen at the call, the work before the promise settles.
  function consume(body, signal, where, kind) {
    if (body !== null) {
      if (body.used) fail("Failed to execute '" + kind + "' on '" + where + "': body stream already read");
      body.used = true;
    }
    if (signal !== null && signalAborted(signal)) throw signalReason(signal);
    if (kind === "text") return bodyText(body);
    if (kind === "json") return JSONParse(bodyText(body));
    const bytes = bodyBytes(body);
    if (body !== null) body.bytes = undefined; // handed over: the body is spent
    if (kind === "bytes") return bytes;
    return TypedArrayPrototypeGetBuffer(bytes);
  }

  // -- light URL normalisation for Request.url (the host parses for real) ----------------------
  function isC0OrSpace(c) {
    return c <= 0x20;
  }

  function isAlpha(c) {
    return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  }

  // Request.url for `text`, or null if it is not an absolute URL (there is no base URL here).
  function normalizeURL(text) {
    let start = 0;
    let end = text.length;
    while (start < end && isC0OrSpace(StringPrototypeCharCodeAt(text, start))) start++;
    while (end > start && isC0OrSpace(StringPrototypeCharCodeAt(text, end - 1))) end--;
    let s = "";
    for (let i = start; i < end; i++) {
      const c = text[i];
      if (c !== "\t" && c !== "\n" && c !== "\r") s += c;
    }
    if (s.length === 0 || !isAlpha(StringPrototypeCharCodeAt(s, 0))) return null;
    let i = 1;
    while (i < s.length) {
      const c = StringPrototypeCharCodeAt(s, i);
      if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) break;
      i++;
    }
    if (s[i] !== ":") return null;
    const scheme = StringPrototypeToLowerCase(StringPrototypeSlice(s, 0, i));
    let rest = StringPrototypeSlice(s, i + 1);
    if (scheme !== "http" && scheme !== "https") return scheme + ":" + rest;
    let j = 0;
    while (j < rest.length && (rest[j] === "/" || rest[j] === "\\")) j++;
    rest = StringPrototypeSlice(rest, j);
    let stop = 0;
    while (stop < rest.length && rest[stop] !== "/" && rest[stop] !== "\\" && rest[stop] !== "?" &&
      rest[stop] !== "#") stop++;
    const authority = StringPrototypeSlice(rest, 0, stop);
    let tail = StringPrototypeSlice(rest, stop);
    const at = StringPrototypeLastIndexOf(authority, "@");
    const userinfo = at >= 0 ? StringPrototypeSlice(authority, 0, at + 1) : "";
    let hostPort = StringPrototypeToLowerCase(StringPrototypeSlice(authority, at + 1));
    const defaultPort = scheme === "http" ? ":80" : ":443";
    if (StringPrototypeSlice(hostPort, -defaultPort.length) === defaultPort) {
      hostPort = StringPrototypeSlice(hostPort, 0, -defaultPort.length);
    } else if (hostPort[hostPort.length - 1] === ":") {
      hostPort = StringPrototypeSlice(hostPort, 0, -1);
    }
    if (hostPort.length === 0) return null;
    let path = "";
    let k = 0;
    while (k < tail.length && tail[k] !== "?" && tail[k] !== "#") {
      path += tail[k] === "\\" ? "/" : tail[k];
      k++;
    }
    tail = (path.length === 0 ? "/" : path) + StringPrototypeSlice(tail, k);
    return scheme + "://" + userinfo + hostPort + tail;
  }

  // -- AbortSignal / AbortController ---------------------------------------------------------
  let signalAborted;  // (signal) -> bool
  let signalReason;   // (signal) -> reason
  let signalOn;       // (signal, algorithm) -> handle with .active
  let abortSignalNow; // (signal, reason)
  let newSignal;      // () -> AbortSignal
  let followSignals;  // (sources list) -> dependent AbortSignal
  let isSignal;       // (value) -> brand check

  class AbortSignal {
    #aborted;
    #reason;
    #listeners;
    #algorithms;
    #dependents;
    #handler;

    constructor(token) {
      if (token !== INTERNAL) throw new TypeError("Illegal constructor");
      this.#aborted = false;
      this.#reason = undefined;
      this.#listeners = newList();
      this.#algorithms = newList();
      this.#dependents = newList();
      this.#handler = null;
    }

    static {
      isSignal = (value) => isObject(value) && #aborted in value;
      signalAborted = (signal) => signal.#aborted;
      signalReason = (signal) => signal.#reason;
      newSignal = () => new AbortSignal(INTERNAL);
      signalOn = (signal, algorithm) => {
        const handle = { __proto__: null, algorithm, active: true };
        listPush(signal.#algorithms, handle);
        return handle;
      };
      abortSignalNow = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason === undefined ?
          new AbortError("signal is aborted without reason") : reason;
        const dependents = newList();
        const list = signal.#dependents;
        for (let i = 0; i < list.length; i++) {
          const dependent = list[i];
          if (!dependent.#aborted) {
            dependent.#aborted = true;
            dependent.#reason = signal.#reason;
            listPush(dependents, dependent);
          }
        }
        signal.#runAbortSteps();
        for (let i = 0; i < dependents.length; i++) dependents[i].#runAbortSteps();
      };
      followSignals = (sources) => {
        const result = new AbortSignal(INTERNAL);
        for (let i = 0; i < sources.length; i++) {
          if (sources[i].#aborted) {
            result.#aborted = true;
            result.#reason = sources[i].#reason;
            return result;
          }
        }
        for (let i = 0; i < sources.length; i++) listPush(sources[i].#dependents, result);
        return result;
      };
    }

    #runAbortSteps() {
      const algorithms = this.#algorithms;
      this.#algorithms = newList();
      for (let i = 0; i < algorithms.length; i++) {
        if (algorithms[i].active) algorithms[i].algorithm(this.#reason);
      }
      const event = {
        type: "abort", target: this, currentTarget: this, isTrusted: true, bubbles: false,
        cancelable: false, defaultPrevented: false, eventPhase: 2, timeStamp: 0,
      };
      const listeners = newList();
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) listPush(listeners, list[i]);
      for (let i = 0; i < listeners.length; i++) {
        const entry = listeners[i];
        if (entry.removed) continue;
        if (entry.once) this.#remove(entry.callback);
        const callback = entry.handler ? this.#handler : entry.callback;
        if (callback === null || callback === undefined) continue;
        try {
          if (typeof callback === "function") {
            ReflectApply(callback, this, [event]);
          } else {
            const handleEvent = callback.handleEvent;
            ReflectApply(handleEvent, callback, [event]);
          }
        } catch (error) {
          boot.run.reportUncaught(error);
        }
      }
    }

    #remove(callback) {
      const kept = newList();
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) {
        if (!list[i].handler && list[i].callback === callback) list[i].removed = true;
        else listPush(kept, list[i]);
      }
      this.#listeners = kept;
    }

    get aborted() {
      return this.#aborted;
    }

    get reason() {
      return this.#reason;
    }

    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }

    get onabort() {
      return this.#handler;
    }

    set onabort(value) {
      const handler = typeof value === "function" || isObject(value) ? value : null;
      if (this.#handler === null && handler !== null) {
        listPush(this.#listeners, { __proto__: null, handler: true, callback: null, once: false,
          removed: false });
      }
      this.#handler = handler;
    }

    addEventListener(type, callback, options = undefined) {
      requireArgs(2, arguments.length, "'addEventListener' on 'EventTarget'");
      const name = `${type}`;
      let once = false;
      let signal = null;
      if (isObject(options)) {
        once = !!options.once;
        signal = options.signal === undefined ? null : options.signal;
        if (signal !== null && !isSignal(signal)) fail("Failed to execute 'addEventListener': member signal is not of type 'AbortSignal'.");
      }
      if (name !== "abort" || callback === null || callback === undefined) return;
      if (signal !== null && signal.#aborted) return;
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) {
        if (!list[i].handler && list[i].callback === callback) return;
      }
      listPush(list, { __proto__: null, handler: false, callback, once, removed: false });
      if (signal !== null) {
        signalOn(signal, () => this.#remove(callback));
      }
    }

    removeEventListener(type, callback, options = undefined) {
      requireArgs(2, arguments.length, "'removeEventListener' on 'EventTarget'");
      if (`${type}` === "abort") this.#remove(callback);
    }

    static abort(reason = undefined) {
      const signal = new AbortSignal(INTERNAL);
      abortSignalNow(signal, reason);
      return signal;
    }

    static timeout(milliseconds) {
      requireArgs(1, arguments.length, "'timeout' on 'AbortSignal'");
      const delay = +milliseconds;
      if (!(delay >= 0) || delay > 18446744073709551615) {
        fail("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long " +
          "long' value range.");
      }
      const signal = new AbortSignal(INTERNAL);
      boot.timers.setTimeout(() => {
        abortSignalNow(signal, new TimeoutError("signal timed out"));
      }, delay);
      return signal;
    }

    static any(signals) {
      requireArgs(1, arguments.length, "'any' on 'AbortSignal'");
      if (!isObject(signals)) fail("Failed to execute 'any' on 'AbortSignal': The provided value cannot be converted to a sequence.");
      const items = readSequence(signals, signals[SymbolIterator]);
      for (let i = 0; i < items.length; i++) {
        if (!isSignal(items[i])) fail("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      }
      return followSignals(items);
    }
  }
  setTag(AbortSignal, "AbortSignal");
  markClass(AbortSignal);

  class AbortController {
    #signal;

    constructor() {
      this.#signal = newSignal();
    }

    get signal() {
      return this.#signal;
    }

    abort(reason = undefined) {
      abortSignalNow(this.#signal, reason);
    }
  }
  setTag(AbortController, "AbortController");
  markClass(AbortController);

  // -- Request ---------------------------------------------------------------------------------
  const REQUEST_MODES = { __proto__: null, "same-origin": true, "no-cors": true, cors: true };
  const CREDENTIALS = { __proto__: null, omit: true, "same-origin": true, include: true };
  const CACHE_MODES = {
    __proto__: null, default: true, "no-store": true, reload: true, "no-cache": true,
    "force-cache": true, "only-if-cached": true,
  };
  const REDIRECTS = { __proto__: null, follow: true, error: true, manual: true };
  const REFERRER_POLICIES = {
    __proto__: null, "": true, "no-referrer": true, "no-referrer-when-downgrade": true,
    "same-origin": true, origin: true, "strict-origin": true, "origin-when-cross-origin": true,
    "strict-origin-when-cross-origin": true, "unsafe-url": true,
  };
  const PRIORITIES = { __proto__: null, high: true, low: true, auto: true };

  function enumValue(value, table, member) {
    const text = `${value}`;
    if (table[text] !== true) {
      fail("The provided value '" + text + "' is not a valid enum value of type " + member + ".");
    }
    return text;
  }

  // The members of a RequestInit, each read once, in WebIDL's (lexicographic) order.
  const INIT_MEMBERS = [
    "body", "cache", "credentials", "duplex", "headers", "integrity", "keepalive", "method",
    "mode", "priority", "redirect", "referrer", "referrerPolicy", "signal", "window",
  ];

  function readInit(init) {
    const read = { __proto__: null };
    if (init === undefined || init === null) return read;
    if (!isObject(init)) fail("The provided value is not of type 'RequestInit'.");
    for (let i = 0; i < INIT_MEMBERS.length; i++) {
      const key = INIT_MEMBERS[i];
      const value = init[key];
      if (value === undefined) continue;
      switch (key) {
        case "body": read.body = value === null ? null : extractBody(value); break;
        case "cache": read.cache = enumValue(value, CACHE_MODES, "RequestCache"); break;
        case "credentials": read.credentials = enumValue(value, CREDENTIALS, "RequestCredentials"); break;
        case "duplex": read.duplex = enumValue(value, { __proto__: null, half: true }, "RequestDuplex"); break;
        case "headers": {
          const list = newList();
          fillHeaders(list, "none", value);
          read.headers = list;
          break;
        }
        case "integrity": read.integrity = toUSVString(value); break;
        case "keepalive": read.keepalive = !!value; break;
        case "method": read.method = toByteString(value); break;
        case "mode": read.mode = enumValue(value, REQUEST_MODES, "RequestMode"); break;
        case "priority": read.priority = enumValue(value, PRIORITIES, "RequestPriority"); break;
        case "redirect": read.redirect = enumValue(value, REDIRECTS, "RequestRedirect"); break;
        case "referrer": read.referrer = toUSVString(value); break;
        case "referrerPolicy": read.referrerPolicy = enumValue(value, REFERRER_POLICIES, "ReferrerPolicy"); break;
        case "signal":
          if (value !== null && !isSignal(value)) {
            fail("Failed to read the 'signal' property from 'RequestInit': Failed to convert " +
              "value to 'AbortSignal'.");
          }
          read.signal = value;
          break;
        case "window":
          if (value !== null) fail("The 'window' member of RequestInit can only be null.");
          break;
      }
    }
    return read;
  }

  function normalizeMethod(text) {
    if (!isToken(text)) fail("'" + text + "' is not a valid HTTP method.");
    const upper = StringPrototypeToUpperCase(text);
    if (FORBIDDEN_METHODS[upper] === true) fail("'" + text + "' HTTP method is unsupported.");
    return NORMALIZED_METHODS[upper] === true ? upper : text;
  }

  let requestState; // (request) -> its state, or undefined for anything else

  // The Request constructor's steps, as a state record: shared by `new Request` and fetch().
  // `lenientURL`: fetch() hands a URL it cannot read to the host, which says why it is refused.
  function buildRequest(input, init, lenientURL) {
    const source = requestState(input);
    let url;
    if (source === undefined) {
      const text = toUSVString(input);
      url = normalizeURL(text);
      if (url === null) {
        if (!lenientURL) fail("Failed to parse URL from " + text);
        url = text;
      }
    } else {
      url = source.url;
    }
    const read = readInit(init);
    const state = {
      __proto__: null,
      method: source === undefined ? "GET" : source.method,
      url,
      headers: null,
      body: null,
      signal: null,
      source: source === undefined ? null : source.signal,
      redirect: source === undefined ? "follow" : source.redirect,
      credentials: source === undefined ? "same-origin" : source.credentials,
      mode: source === undefined ? "cors" : source.mode,
      cache: source === undefined ? "default" : source.cache,
      referrer: source === undefined ? "about:client" : source.referrer,
      referrerPolicy: source === undefined ? "" : source.referrerPolicy,
      integrity: source === undefined ? "" : source.integrity,
      keepalive: source === undefined ? false : source.keepalive,
      priority: "auto",
    };
    if (read.method !== undefined) state.method = normalizeMethod(read.method);
    if (read.redirect !== undefined) state.redirect = read.redirect;
    if (read.credentials !== undefined) state.credentials = read.credentials;
    if (read.mode !== undefined) state.mode = read.mode;
    if (read.cache !== undefined) state.cache = read.cache;
    if (read.referrer !== undefined) state.referrer = read.referrer === "" ? "" : "about:client";
    if (read.referrerPolicy !== undefined) state.referrerPolicy = read.referrerPolicy;
    if (read.integrity !== undefined) state.integrity = read.integrity;
    if (read.keepalive !== undefined) state.keepalive = read.keepalive;
    if (read.priority !== undefined) state.priority = read.priority;
    if (read.signal !== undefined) state.source = read.signal;
    // Headers: guard "request" drops the forbidden names (Cookie, Host, Sec-*, ...).
    const headers = newList();
    const given = read.headers !== undefined ? read.headers :
      source === undefined ? newList() : headersList(source.headers);
    for (let i = 0; i < given.length; i++) {
      appendEntry(headers, "request", given[i].name, given[i].value);
    }
    const inputBody = source === undefined ? null : source.body;
    if ((read.body !== undefined && read.body !== null || inputBody !== null) &&
        (state.method === "GET" || state.method === "HEAD")) {
      fail("Request with GET/HEAD method cannot have body.");
    }
    if (read.body !== undefined && read.body !== null) {
      state.body = read.body.body;
      if (read.body.type !== null && combined(headers, "content-type") === null) {
        appendEntry(headers, "request", "Content-Type", read.body.type);
      }
    } else if (read.body === undefined && inputBody !== null) {
      if (inputBody.used) {
        fail("Cannot construct a Request with a Request object that has already been used.");
      }
      state.body = inputBody;
    }
    state.headers = createHeaders("request", headers);
    return state;
  }

  class Request {
    #state;

    constructor(input, init = undefined) {
      requireArgs(1, arguments.length, "'Request'");
      if (input === INTERNAL) {
        this.#state = init;
        return;
      }
      const state = buildRequest(input, init, false);
      // The input's body moves to the new request (the input counts as used).
      const source = requestState(input);
      if (source !== undefined && source.body !== null && state.body === source.body) {
        state.body = { __proto__: null, text: source.body.text, bytes: source.body.bytes,
          b64: source.body.b64, used: false };
        source.body.used = true;
      }
      state.signal = state.source === null ? newSignal() : followSignals([state.source]);
      this.#state = state;
    }

    static {
      requestState = (value) => (isObject(value) && #state in value ? value.#state : undefined);
    }

    get method() { return this.#state.method; }
    get url() { return this.#state.url; }
    get headers() { return this.#state.headers; }
    get destination() { this.#state; return ""; }
    get referrer() { return this.#state.referrer; }
    get referrerPolicy() { return this.#state.referrerPolicy; }
    get mode() { return this.#state.mode; }
    get credentials() { return this.#state.credentials; }
    get cache() { return this.#state.cache; }
    get redirect() { return this.#state.redirect; }
    get integrity() { return this.#state.integrity; }
    get keepalive() { return this.#state.keepalive; }
    get signal() { return this.#state.signal; }
    get duplex() { this.#state; return "half"; }
    get bodyUsed() { return this.#state.body !== null && this.#state.body.used; }

    clone() {
      const state = this.#state;
      if (state.body !== null && state.body.used) fail("Failed to execute 'clone' on 'Request': Request body is already used");
      const copy = { __proto__: null };
      const keys = ReflectOwnKeys(state);
      for (let i = 0; i < keys.length; i++) copy[keys[i]] = state[keys[i]];
      const list = newList();
      const source = headersList(state.headers);
      for (let i = 0; i < source.length; i++) listPush(list, source[i]);
      copy.headers = createHeaders(headersGuard(state.headers), list);
      copy.body = cloneBody(state.body);
      copy.signal = followSignals([state.signal]);
      return new Request(INTERNAL, copy);
    }

    async text() { return consume(this.#state.body, null, "Request", "text"); }
    async json() { return consume(this.#state.body, null, "Request", "json"); }
    async arrayBuffer() { return consume(this.#state.body, null, "Request", "arrayBuffer"); }
    async bytes() { return consume(this.#state.body, null, "Request", "bytes"); }
  }
  setTag(Request, "Request");
  markClass(Request);

  // -- Response ----------------------------------------------------------------------------------
  const NULL_BODY_STATUS = { __proto__: null, 101: true, 103: true, 204: true, 205: true, 304: true };
  const REDIRECT_STATUS = { __proto__: null, 301: true, 302: true, 303: true, 307: true, 308: true };

  function isReasonPhrase(text) {
    for (let i = 0; i < text.length; i++) {
      const c = StringPrototypeCharCodeAt(text, i);
      if (!(c === 9 || (c >= 32 && c !== 127 && c <= 255))) return false;
    }
    return true;
  }

  function responseState(type, status, statusText, url, redirected, headers, body, signal) {
    return { __proto__: null, type, status, statusText, url, redirected, headers, body, signal };
  }

  // ResponseInit, read once (headers, status, statusText), and applied (Fetch standard).
  function initResponse(init, body) {
    let status = 200;
    let statusText = "";
    let headerList = null;
    if (init !== undefined && init !== null) {
      if (!isObject(init)) fail("The provided value is not of type 'ResponseInit'.");
      const headersInit = init.headers;
      if (headersInit !== undefined) {
        headerList = newList();
        fillHeaders(headerList, "none", headersInit);
      }
      const statusValue = init.status;
      if (statusValue !== undefined) status = (+statusValue) & 0xffff;
      const textValue = init.statusText;
      if (textValue !== undefined) statusText = toByteString(textValue);
    }
    if (status < 200 || status > 599) {
      throw new RangeError("Failed to construct 'Response': The status provided (" + status +
        ") is outside the range [200, 599].");
    }
    if (!isReasonPhrase(statusText)) fail("Failed to construct 'Response': Invalid statusText");
    const list = newList();
    if (headerList !== null) {
      for (let i = 0; i < headerList.length; i++) {
        appendEntry(list, "response", headerList[i].name, headerList[i].value);
      }
    }
    let content = null;
    if (body !== null) {
      if (NULL_BODY_STATUS[status] === true) {
        fail("Failed to construct 'Response': Response with null body status cannot have body");
      }
      content = body.body;
      if (body.type !== null && combined(list, "content-type") === null) {
        appendEntry(list, "response", "Content-Type", body.type);
      }
    }
    return responseState("default", status, statusText, "", false,
      createHeaders("response", list), content, null);
  }

  let makeResponse; // (state) -> a Response
  let isResponse;   // (value) -> brand check

  class Response {
    #state;

    constructor(body = null, init = undefined) {
      if (body === INTERNAL) {
        this.#state = init;
        return;
      }
      const extracted = body === null || body === undefined ? null : extractBody(body);
      this.#state = initResponse(init, extracted);
    }

    static {
      makeResponse = (state) => new Response(INTERNAL, state);
      isResponse = (value) => isObject(value) && #state in value;
    }

    static error() {
      return new Response(INTERNAL, responseState("error", 0, "", "", false,
        createHeaders("immutable", newList()), null, null));
    }

    static json(data, init = undefined) {
      requireArgs(1, arguments.length, "'json' on 'Response'");
      const text = JSONStringify(data);
      if (text === undefined) fail("Failed to execute 'json' on 'Response': The data is not JSON serializable");
      const state = initResponse(init, { __proto__: null, body: textBody(text), type: null });
      if (combined(headersList(state.headers), "content-type") === null) {
        appendEntry(headersList(state.headers), "response", "Content-Type", "application/json");
      }
      return new Response(INTERNAL, state);
    }

    static redirect(url, status = 302) {
      requireArgs(1, arguments.length, "'redirect' on 'Response'");
      const text = toUSVString(url);
      const parsed = normalizeURL(text);
      if (parsed === null) fail("Failed to execute 'redirect' on 'Response': Failed to parse URL from " + text);
      const code = (+status) & 0xffff;
      if (REDIRECT_STATUS[code] !== true) {
        throw new RangeError("Failed to execute 'redirect' on 'Response': Invalid status code");
      }
      const list = newList();
      listPush(list, makeEntry("location", parsed));
      return new Response(INTERNAL, responseState("default", code, "", "", false,
        createHeaders("immutable", list), null, null));
    }

    get type() { return this.#state.type; }
    get url() { return this.#state.url; }
    get redirected() { return this.#state.redirected; }
    get status() { return this.#state.status; }
    get ok() { return this.#state.status >= 200 && this.#state.status <= 299; }
    get statusText() { return this.#state.statusText; }
    get headers() { return this.#state.headers; }
    get bodyUsed() { return this.#state.body !== null && this.#state.body.used; }

    clone() {
      const state = this.#state;
      if (state.body !== null && state.body.used) fail("Failed to execute 'clone' on 'Response': Response body is already used");
      const list = newList();
      const source = headersList(state.headers);
      for (let i = 0; i < source.length; i++) listPush(list, source[i]);
      return new Response(INTERNAL, responseState(state.type, state.status, state.statusText,
        state.url, state.redirected, createHeaders(headersGuard(state.headers), list),
        cloneBody(state.body), state.signal));
    }

    async text() { return consume(this.#state.body, this.#state.signal, "Response", "text"); }
    async json() { return consume(this.#state.body, this.#state.signal, "Response", "json"); }
    async arrayBuffer() { return consume(this.#state.body, this.#state.signal, "Response", "arrayBuffer"); }
    async bytes() { return consume(this.#state.body, this.#state.signal, "Response", "bytes"); }
  }
  setTag(Response, "Response");
  markClass(Response);

  // -- fetch -----------------------------------------------------------------------------------
  // Promises returned by fetch (and derived from them by then/catch/finally) note who handled
  // them, so that a rejection nobody handles can be reported as a browser would.
  const handled = new WeakSet();
  const pendingChecks = { __proto__: null, list: newList() };

  function noteRejected(promise, reason) {
    listPush(pendingChecks.list, { __proto__: null, promise, reason });
  }

  class FetchPromise extends Promise {
    constructor(executor) {
      super(executor);
    }

    then(onFulfilled, onRejected) {
      WeakSetPrototypeAdd(handled, this);
      const derived = PromisePrototypeThen(this, onFulfilled, onRejected);
      PromisePrototypeThen(derived, undefined, (reason) => noteRejected(derived, reason));
      return derived;
    }
  }
  ObjectDefineProperty(FetchPromise, "name", { __proto__: null, value: "Promise" });
  markClass(FetchPromise);

  const state = { __proto__: null, nextId: 0, calls: 0, overflowReported: false };
  const pending = new Map(); // id -> {resolve, reject, promise, signal, watch}

  function sweep() {
    const list = pendingChecks.list;
    if (list.length === 0) return;
    pendingChecks.list = newList();
    for (let i = 0; i < list.length; i++) {
      if (!WeakSetPrototypeHas(handled, list[i].promise)) boot.run.reportUnhandled(list[i].reason);
    }
  }

  function inFlight() {
    return MapPrototypeGetSize(pending);
  }

  function fetchFailure(reason) {
    return new TypeError("fetch failed: " + reason);
  }

  function failedRecord(id, method, url, error) {
    emit("fetch_out", "{\"kind\":\"failed\",\"id\":" + id + ",\"method\":" + jsonString(method) +
      ",\"url\":" + jsonString(url) + ",\"error\":" + jsonString(error) + "}");
  }

  function settle(entry, ok, value) {
    if (entry.watch !== null) entry.watch.active = false;
    if (ok) {
      entry.resolve(value);
    } else {
      entry.reject(value);
      noteRejected(entry.promise, value);
    }
  }

  function requestRecord(id, request) {
    const list = headersList(request.headers);
    const parts = newList();
    for (let i = 0; i < list.length; i++) {
      listPush(parts, "[" + jsonString(list[i].name) + "," + jsonString(list[i].value) + "]");
    }
    let body = "";
    const content = request.body;
    if (content !== null) {
      if (content.text !== undefined) body = ",\"text\":" + jsonString(content.text);
      else if (content.bytes !== undefined) body = ",\"body\":\"" + Uint8ArrayPrototypeToBase64(content.bytes) + "\"";
      else body = ",\"body\":\"" + content.b64 + "\"";
    }
    return "{\"kind\":\"request\",\"id\":" + id + ",\"method\":" + jsonString(request.method) +
      ",\"url\":" + jsonString(request.url) + ",\"headers\":[" + ArrayPrototypeJoin(parts, ",") +
      "],\"redirect\":" + jsonString(request.redirect) + body + "}";
  }

  function fetch(input, init = undefined) {
    guard("fetch");
    const given = arguments.length;
    const id = ++state.nextId;
    let resolve;
    let reject;
    const promise = new FetchPromise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry = { __proto__: null, resolve, reject, promise, watch: null };
    state.calls++;
    const cap = host.config.fetchMaxRequests;
    if (typeof cap === "number" && state.calls > cap) {
      const reason = "too many requests (at most " + cap + " per evaluation)";
      if (!state.overflowReported) {
        state.overflowReported = true;
        failedRecord(id, "GET", "", reason);
      }
      settle(entry, false, fetchFailure(reason));
      return promise;
    }
    let request;
    try {
      if (given === 0) fail("1 argument required, but only 0 present.");
      request = buildRequest(input, init, true);
    } catch (error) {
      if (WeakSetPrototypeHas(ourErrors, error)) {
        failedRecord(id, "GET", "", error.message);
        settle(entry, false, fetchFailure(error.message));
      } else {
        failedRecord(id, "GET", "", "the request could not be built");
        settle(entry, false, error);
      }
      return promise;
    }
    const source = requestState(input);
    if (source !== undefined && source.body !== null && request.body === source.body) {
      source.body.used = true;
    }
    const signal = request.source;
    if (signal !== null && signalAborted(signal)) {
      failedRecord(id, request.method, request.url, "aborted");
      settle(entry, false, signalReason(signal));
      return promise;
    }
    MapPrototypeSet(pending, id, entry);
    if (signal !== null) {
      entry.watch = signalOn(signal, (reason) => {
        if (MapPrototypeGet(pending, id) !== entry) return;
        MapPrototypeDelete(pending, id);
        emit("fetch_out", "{\"kind\":\"cancel\",\"id\":" + id + "}");
        settle(entry, false, reason);
      });
    }
    entry.signal = signal;
    emit("fetch_out", requestRecord(id, request));
    return promise;
  }
  nativeLooking(fetch);

  function responseFromHost(item, signal) {
    const list = newList();
    const headers = own(item, "headers");
    const count = isObject(headers) ? headers.length : 0;
    for (let i = 0; i < count; i++) {
      const pair = headers[i];
      listPush(list, makeEntry(`${pair[0]}`, `${pair[1]}`));
    }
    let body = null;
    const text = own(item, "text");
    const b64 = own(item, "body");
    if (typeof text === "string") body = textBody(text);
    else if (typeof b64 === "string") body = { __proto__: null, text: undefined, bytes: undefined, b64, used: false };
    const status = own(item, "status");
    return makeResponse(responseState("basic", status, `${own(item, "status_text")}`,
      `${own(item, "url")}`, own(item, "redirected") === true, createHeaders("immutable", list),
      body, signal));
  }

  // The host's results: settle each pending fetch (an aborted one is gone already).
  function deliver(message) {
    const items = own(message, "items");
    if (items === undefined) return;
    const count = items.length;
    for (let i = 0; i < count; i++) {
      const item = items[i];
      const id = own(item, "id");
      const entry = MapPrototypeGet(pending, id);
      if (entry === undefined) continue;
      MapPrototypeDelete(pending, id);
      if (own(item, "ok") === true) {
        settle(entry, true, responseFromHost(item, entry.signal));
      } else {
        settle(entry, false, fetchFailure(`${own(item, "error")}`));
      }
    }
  }

  return {
    __proto__: null, fetch, Headers, Request, Response, AbortController, AbortSignal, inFlight,
    deliver, sweep, isResponse,
  };
});
