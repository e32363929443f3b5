// shims/web/52_url.js: URL and URLSearchParams (the URL Standard's API).
// Exposes: `URL` (with `canParse`, `parse`) and `URLSearchParams` (90_install publishes both).
// Hides:   each object's URL record and list of pairs (class-private fields), the link between a
//          URL and its `searchParams` (updated in both directions, as the standard says).
// Needs:   00_primordials, 41_webidl, 50_url_parser.
// Load:    host (first read of `URL` or `URLSearchParams`; its source stays in the host until then).
//
// The parse is the standard's (50_url_parser.js), the same as the host's (ada): the
// web-platform-tests' data runs against both (tests/shims/web/test_url.py). Messages are
// Chrome's, which Appsmith's users see in their browsers. `URL.createObjectURL` and
// `revokeObjectURL` are absent: there are no Blobs here.
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeSymbolIterator, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor,
    ObjectGetPrototypeOf, ObjectSetPrototypeOf, ReflectApply, ReflectOwnKeys,
    StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolIterator, TypeError, newList,
  } = boot.primordials;
  const { fail, requireArgs, toUSVString, isObject, readSequence, markClass, setTag } =
    boot.webidl;
  const parser = boot.url_parser;
  const {
    parse, parseInto, serialize, serializeHost, serializePath, origin, hasOpaquePath,
    cannotHaveCredentialsOrPort, percentEncode, percentDecode, SET_USERINFO, SET_URLENCODED,
  } = parser;
  const IteratorPrototype = ObjectGetPrototypeOf(ObjectGetPrototypeOf(
    ArrayPrototypeSymbolIterator(newList())));

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only

  // -- application/x-www-form-urlencoded -------------------------------------------------------
  // A list of pairs is our own list of [name, value] records (null prototype).
  function pair(name, value) {
    return { __proto__: null, name, value };
  }

  function parseUrlencoded(text) {
    const list = newList();
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i < text.length && StringPrototypeCharCodeAt(text, i) !== 0x26) continue;
      if (i > start) {
        let equals = -1;
        for (let j = start; j < i; j++) {
          if (StringPrototypeCharCodeAt(text, j) === 0x3d) {
            equals = j;
            break;
          }
        }
        const name = StringPrototypeSlice(text, start, equals < 0 ? i : equals);
        const value = equals < 0 ? "" : StringPrototypeSlice(text, equals + 1, i);
        list[list.length] = pair(percentDecode(name, true), percentDecode(value, true));
      }
      start = i + 1;
    }
    return list;
  }

  function serializeUrlencoded(list) {
    let output = "";
    for (let i = 0; i < list.length; i++) {
      if (i > 0) output += "&";
      output += percentEncode(list[i].name, SET_URLENCODED, true) + "=" +
        percentEncode(list[i].value, SET_URLENCODED, true);
    }
    return output;
  }

  // -- URLSearchParams -------------------------------------------------------------------------
  let paramsList; // (params) -> its list
  let setParamsList; // (params, list) -> void
  let linkParams; // (params, url) -> void

  class URLSearchParams {
    #list;
    #url; // the URL object whose query this is, or null

    constructor(init = "") {
      this.#list = newList();
      this.#url = null;
      if (init === INTERNAL) return;
      if (isObject(init)) {
        const method = init[SymbolIterator];
        if (method !== undefined && method !== null) {
          const pairs = readSequence(init, method);
          for (let i = 0; i < pairs.length; i++) {
            const item = pairs[i];
            if (!isObject(item)) {
              fail("Failed to construct 'URLSearchParams': The provided value cannot be " +
                "converted to a sequence.");
            }
            const parts = readSequence(item, item[SymbolIterator]);
            if (parts.length !== 2) {
              fail("Failed to construct 'URLSearchParams': Invalid value: each query pair " +
                "must have two items.");
            }
            this.#list[this.#list.length] = pair(toUSVString(parts[0]), toUSVString(parts[1]));
          }
        } else {
          const keys = ReflectOwnKeys(init);
          for (let i = 0; i < keys.length; i++) {
            const desc = ObjectGetOwnPropertyDescriptor(init, keys[i]);
            if (desc === undefined || !desc.enumerable) continue;
            if (typeof keys[i] === "symbol") {
              fail("Failed to construct 'URLSearchParams': Cannot convert a Symbol value to " +
                "a string");
            }
            const name = toUSVString(keys[i]);
            const value = toUSVString(init[keys[i]]);
            this.#list[this.#list.length] = pair(name, value);
          }
        }
      } else {
        let text = toUSVString(init);
        if (text.length > 0 && text[0] === "?") text = StringPrototypeSlice(text, 1);
        this.#list = parseUrlencoded(text);
      }
    }

    static {
      paramsList = (params) => params.#list;
      setParamsList = (params, list) => {
        params.#list = list;
      };
      linkParams = (params, url) => {
        params.#url = url;
      };
    }

    // The URL's query follows every change of the list (the standard's "update steps").
    #update() {
      const url = this.#url;
      if (url === null) return;
      const query = serializeUrlencoded(this.#list);
      const record = urlRecord(url);
      record.query = query === "" ? null : query;
      if (record.query === null) stripTrailingSpaces(record);
    }

    get size() {
      return this.#list.length;
    }

    append(name, value) {
      requireArgs(2, arguments.length, "'append' on 'URLSearchParams'");
      const list = this.#list;
      list[list.length] = pair(toUSVString(name), toUSVString(value));
      this.#update();
    }

    delete(name, value = undefined) {
      requireArgs(1, arguments.length, "'delete' on 'URLSearchParams'");
      const key = toUSVString(name);
      const only = value === undefined ? undefined : toUSVString(value);
      const list = this.#list;
      const kept = newList();
      for (let i = 0; i < list.length; i++) {
        if (list[i].name === key && (only === undefined || list[i].value === only)) continue;
        kept[kept.length] = list[i];
      }
      this.#list = kept;
      this.#update();
    }

    get(name) {
      requireArgs(1, arguments.length, "'get' on 'URLSearchParams'");
      const key = toUSVString(name);
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i].name === key) return list[i].value;
      return null;
    }

    getAll(name) {
      requireArgs(1, arguments.length, "'getAll' on 'URLSearchParams'");
      const key = toUSVString(name);
      const list = this.#list;
      const values = [];
      let count = 0;
      for (let i = 0; i < list.length; i++) {
        if (list[i].name === key) {
          ObjectDefineProperty(values, count++, {
            __proto__: null, value: list[i].value, writable: true, enumerable: true,
            configurable: true,
          });
        }
      }
      return values;
    }

    has(name, value = undefined) {
      requireArgs(1, arguments.length, "'has' on 'URLSearchParams'");
      const key = toUSVString(name);
      const only = value === undefined ? undefined : toUSVString(value);
      const list = this.#list;
      for (let i = 0; i < list.length; i++) {
        if (list[i].name === key && (only === undefined || list[i].value === only)) return true;
      }
      return false;
    }

    set(name, value) {
      requireArgs(2, arguments.length, "'set' on 'URLSearchParams'");
      const key = toUSVString(name);
      const text = toUSVString(value);
      const list = this.#list;
      const kept = newList();
      let found = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i].name !== key) {
          kept[kept.length] = list[i];
        } else if (!found) {
          found = true;
          kept[kept.length] = pair(key, text);
        }
      }
      if (!found) kept[kept.length] = pair(key, text);
      this.#list = kept;
      this.#update();
    }

    // A stable sort by name, comparing code units (insertion sort on a merge: stable, and no
    // call of Array.prototype.sort, which user code can replace).
    sort() {
      const list = this.#list;
      const sorted = mergeSort(list, 0, list.length);
      this.#list = sorted;
      this.#update();
    }

    toString() {
      return serializeUrlencoded(this.#list);
    }

    forEach(callback, thisArg = undefined) {
      requireArgs(1, arguments.length, "'forEach' on 'URLSearchParams'");
      if (typeof callback !== "function") {
        fail("Failed to execute 'forEach' on 'URLSearchParams': The callback provided as " +
          "parameter 1 is not a function.");
      }
      for (let i = 0; i < this.#list.length; i++) {
        const entry = this.#list[i];
        ReflectApply(callback, thisArg, [entry.value, entry.name, this]);
      }
    }

    entries() {
      return new URLSearchParamsIterator(INTERNAL, this, "entries");
    }

    keys() {
      return new URLSearchParamsIterator(INTERNAL, this, "keys");
    }

    values() {
      return new URLSearchParamsIterator(INTERNAL, this, "values");
    }
  }
  setTag(URLSearchParams, "URLSearchParams");
  ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
    __proto__: null, value: URLSearchParams.prototype.entries, writable: true,
    enumerable: false, configurable: true,
  });
  markClass(URLSearchParams);

  function mergeSort(list, from, to) {
    const out = newList();
    if (to - from <= 1) {
      if (to > from) out[0] = list[from];
      return out;
    }
    const middle = (from + to) >> 1;
    const left = mergeSort(list, from, middle);
    const right = mergeSort(list, middle, to);
    let i = 0;
    let j = 0;
    while (i < left.length || j < right.length) {
      if (j >= right.length || (i < left.length && !(right[j].name < left[i].name))) {
        out[out.length] = left[i++];
      } else {
        out[out.length] = right[j++];
      }
    }
    return out;
  }

  // A pair iterator: live over the list (an index into the list as it is at each next()).
  class URLSearchParamsIterator {
    #params;
    #kind;
    #index;

    constructor(token, params, kind) {
      if (token !== INTERNAL) throw new TypeError("Illegal constructor");
      paramsList(params); // brand check: a TypeError for anything but a URLSearchParams
      this.#params = params;
      this.#kind = kind;
      this.#index = 0;
    }

    next() {
      const list = paramsList(this.#params);
      if (this.#index >= list.length) return { value: undefined, done: true };
      const entry = list[this.#index++];
      const kind = this.#kind;
      const value = kind === "keys" ? entry.name : kind === "values" ? entry.value :
        [entry.name, entry.value];
      return { value, done: false };
    }
  }
  ObjectSetPrototypeOf(URLSearchParamsIterator.prototype, IteratorPrototype);
  setTag(URLSearchParamsIterator, "URLSearchParams Iterator");
  markClass(URLSearchParamsIterator);

  // -- URL -------------------------------------------------------------------------------------
  let urlRecord; // (url) -> its record

  function parseOrNull(url, base) {
    let baseRecord;
    if (base !== undefined) {
      baseRecord = parse(toUSVString(base), undefined);
      if (baseRecord === null) return null;
    }
    return parse(toUSVString(url), baseRecord);
  }

  class URL {
    #url;
    #query;

    constructor(url, base = undefined) {
      if (arguments.length < 1) {
        fail("Failed to construct 'URL': 1 argument required, but only 0 present.");
      }
      const text = toUSVString(url);
      let baseRecord;
      if (base !== undefined) {
        baseRecord = parse(toUSVString(base), undefined);
        if (baseRecord === null) fail("Failed to construct 'URL': Invalid base URL");
      }
      const record = parse(text, baseRecord);
      if (record === null) fail("Failed to construct 'URL': Invalid URL");
      this.#url = record;
      const params = new URLSearchParams(INTERNAL);
      if (record.query !== null) setParamsList(params, parseUrlencoded(record.query));
      linkParams(params, this);
      this.#query = params;
    }

    static {
      urlRecord = (url) => url.#url;
    }

    static canParse(url, base = undefined) {
      requireArgs(1, arguments.length, "'canParse' on 'URL'");
      return parseOrNull(url, base) !== null;
    }

    static parse(url, base = undefined) {
      requireArgs(1, arguments.length, "'parse' on 'URL'");
      if (parseOrNull(url, base) === null) return null;
      return new URL(url, base);
    }

    get href() {
      return serialize(this.#url, false);
    }

    set href(value) {
      const record = parse(toUSVString(value), undefined);
      if (record === null) fail("Failed to set the 'href' property on 'URL': Invalid URL");
      this.#url = record;
      setParamsList(this.#query, record.query === null ? newList() : parseUrlencoded(record.query));
    }

    get origin() {
      return origin(this.#url);
    }

    get protocol() {
      return this.#url.scheme + ":";
    }

    set protocol(value) {
      parseInto(toUSVString(value) + ":", this.#url, parser.STATE_SCHEME_START);
    }

    get username() {
      return this.#url.username;
    }

    set username(value) {
      const text = toUSVString(value);
      if (cannotHaveCredentialsOrPort(this.#url)) return;
      this.#url.username = percentEncode(text, SET_USERINFO, false);
    }

    get password() {
      return this.#url.password;
    }

    set password(value) {
      const text = toUSVString(value);
      if (cannotHaveCredentialsOrPort(this.#url)) return;
      this.#url.password = percentEncode(text, SET_USERINFO, false);
    }

    get host() {
      const url = this.#url;
      if (url.host === null) return "";
      return serializeHost(url.host) + (url.port === null ? "" : ":" + url.port);
    }

    set host(value) {
      const text = toUSVString(value);
      if (hasOpaquePath(this.#url)) return;
      parseInto(text, this.#url, parser.STATE_HOST);
    }

    get hostname() {
      const host = this.#url.host;
      return host === null ? "" : serializeHost(host);
    }

    set hostname(value) {
      const text = toUSVString(value);
      if (hasOpaquePath(this.#url)) return;
      parseInto(text, this.#url, parser.STATE_HOSTNAME);
    }

    get port() {
      const port = this.#url.port;
      return port === null ? "" : "" + port;
    }

    set port(value) {
      const text = toUSVString(value);
      if (cannotHaveCredentialsOrPort(this.#url)) return;
      if (text === "") this.#url.port = null;
      else parseInto(text, this.#url, parser.STATE_PORT);
    }

    get pathname() {
      return serializePath(this.#url);
    }

    set pathname(value) {
      const text = toUSVString(value);
      if (hasOpaquePath(this.#url)) return;
      this.#url.path = newList();
      parseInto(text, this.#url, parser.STATE_PATH_START);
    }

    get search() {
      const query = this.#url.query;
      return query === null || query === "" ? "" : "?" + query;
    }

    set search(value) {
      const text = toUSVString(value);
      const url = this.#url;
      if (text === "") {
        url.query = null;
        setParamsList(this.#query, newList());
        stripTrailingSpaces(url);
        return;
      }
      url.query = "";
      parseInto(text[0] === "?" ? StringPrototypeSlice(text, 1) : text, url,
        parser.STATE_QUERY);
      setParamsList(this.#query, parseUrlencoded(url.query));
    }

    get searchParams() {
      return this.#query;
    }

    get hash() {
      const fragment = this.#url.fragment;
      return fragment === null || fragment === "" ? "" : "#" + fragment;
    }

    set hash(value) {
      const text = toUSVString(value);
      const url = this.#url;
      if (text === "") {
        url.fragment = null;
        stripTrailingSpaces(url);
        return;
      }
      url.fragment = "";
      parseInto(text[0] === "#" ? StringPrototypeSlice(text, 1) : text, url,
        parser.STATE_FRAGMENT);
    }

    toString() {
      return serialize(this.#url, false);
    }

    toJSON() {
      return serialize(this.#url, false);
    }
  }
  setTag(URL, "URL");
  markClass(URL);

  // An opaque path loses its trailing spaces once no query or fragment follows it (the
  // standard's "strip trailing spaces from an opaque path").
  function stripTrailingSpaces(url) {
    if (!hasOpaquePath(url) || url.fragment !== null || url.query !== null) return;
    let end = url.path.length;
    while (end > 0 && StringPrototypeCharCodeAt(url.path, end - 1) === 0x20) end--;
    url.path = StringPrototypeSlice(url.path, 0, end);
  }

  return { __proto__: null, URL, URLSearchParams };
});
