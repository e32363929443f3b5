// shims/fetch/20_headers.js: Headers (Fetch standard), and the header rules fetch applies.
// Exposes: the `Headers` global (90_install publishes it); for the other fetch modules:
//          `headersList`, `headersGuard`, `createHeaders(guard, list)`, `isHeaders`,
//          `makeEntry`, `appendEntry(list, guard, name, value)` (the guard's rules applied),
//          `fillHeaders(list, guard, init)` (HeadersInit), `combined(list, lower)`, `isToken`.
// Hides:   each Headers' entry list and guard (private fields).
// Needs:   00_primordials, 05_host (`tables.fetch`: the rule tables), 41_webidl.
// Load:    lazy (first use of Headers, Request, Response or fetch).
//
// The rule tables (forbidden request headers and prefixes, method-override headers, forbidden
// methods, token characters, hidden response headers) come from the host at prepare
// (evaluator/capabilities/fetch/_rules.py): the host applies the same ones, authoritatively.
// Guards: "request" silently drops forbidden request headers (credentials are omitted: no
// Cookie, Host, Origin, Sec-*, ...), "response" drops Set-Cookie, "immutable" refuses changes.
// An entry keeps the name as first written; reads combine values in the standard's order.
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, ArrayPrototypeSymbolIterator, ObjectDefineProperty,
    ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, ObjectSetPrototypeOf, ReflectApply,
    ReflectOwnKeys, StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToLowerCase,
    StringPrototypeToUpperCase, SymbolIterator, TypeError, listPush, newList,
  } = boot.primordials;
  const P = boot.primordials;
  const {
    fail, requireArgs, toByteString, isObject, readSequence, markClass, setTag,
  } = boot.webidl;
  const { setOf } = boot.host;
  const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf(
    ArrayPrototypeSymbolIterator(newList())));

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only

  // The Fetch standard's tables, as the host owns them (evaluator/capabilities/fetch/_rules.py).
  const rules = boot.host.tables.fetch;
  const FORBIDDEN_REQUEST = setOf(rules.forbiddenRequestHeaders);
  const FORBIDDEN_PREFIXES = rules.forbiddenRequestPrefixes;
  const METHOD_OVERRIDES = setOf(rules.methodOverrideHeaders);
  const FORBIDDEN_METHODS = setOf(rules.forbiddenMethods);
  const HIDDEN_RESPONSE = setOf(rules.hiddenResponseHeaders);
  const TOKEN_CODES = { __proto__: null };
  for (let i = 0; i < rules.tokenCharacters.length; i++) {
    TOKEN_CODES[StringPrototypeCharCodeAt(rules.tokenCharacters, i)] = true;
  }

  // -- HTTP tokens and header rules ----------------------------------------------------------
  function isToken(text) {
    if (text.length === 0) return false;
    for (let i = 0; i < text.length; i++) {
      if (TOKEN_CODES[StringPrototypeCharCodeAt(text, i)] !== true) return false;
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

  function isForbiddenRequestHeader(lower, value) {
    if (FORBIDDEN_REQUEST[lower] === true) return true;
    for (let i = 0; i < FORBIDDEN_PREFIXES.length; i++) {
      const prefix = FORBIDDEN_PREFIXES[i];
      if (StringPrototypeSlice(lower, 0, prefix.length) === prefix) return true;
    }
    if (METHOD_OVERRIDES[lower] === true) {
      const parts = P.stringSplit(value, ",");
      for (let i = 0; i < parts.length; i++) {
        if (FORBIDDEN_METHODS[StringPrototypeToUpperCase(normalizeValue(parts[i]))] === true) return true;
      }
    }
    return false;
  }

  function isHiddenResponseHeader(lower) {
    return HIDDEN_RESPONSE[lower] === true;
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
    if (guardKind === "response" && isHiddenResponseHeader(lower)) return;
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
      if (this.#guard === "response" && isHiddenResponseHeader(lower)) return;
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

  return {
    __proto__: null, Headers, headersList, headersGuard, createHeaders, isHeaders, makeEntry,
    appendEntry, fillHeaders, combined, isToken,
  };
});
