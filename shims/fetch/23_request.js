// shims/fetch/23_request.js: Request (Fetch standard), and the request steps fetch() shares.
// Exposes: the `Request` global (90_install publishes it); for fetch: `buildRequest(input, init,
//          lenientURL)` (the constructor's steps, as a state record) and `requestState(value)`
//          (a Request's state, or undefined for anything else).
// Hides:   each Request's state (a private field).
// Needs:   00_primordials, 05_host (`tables.fetch`), 20_headers, 21_request_url, 22_body,
//          41_webidl, 49_abort.
// Load:    lazy (first use of Request or fetch).
//
// RequestInit members are read once each, in WebIDL's (lexicographic) order, and copied, so a
// getter that answers differently later changes nothing. Forbidden methods (from the host's
// tables) throw; the usual ones are upper-cased. Headers get the "request" guard, which drops
// the forbidden names. A request's signal follows the init's (or the input's) signal.
(function (boot) {
  "use strict";
  const {
    ReflectOwnKeys, StringPrototypeToUpperCase, listPush, newList,
  } = boot.primordials;
  const {
    fail, requireArgs, toUSVString, toByteString, isObject, markClass, setTag,
  } = boot.webidl;
  const {
    headersList, headersGuard, createHeaders, appendEntry, fillHeaders, combined, isToken,
  } = boot.headers;
  const { normalizeURL } = boot.request_url;
  const { extractBody, cloneBody, consume } = boot.body;
  const { isSignal, newSignal, followSignals } = boot.abort;
  const { setOf } = boot.host;

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only
  const rules = boot.host.tables.fetch;
  const FORBIDDEN_METHODS = setOf(rules.forbiddenMethods);
  const NORMALIZED_METHODS = setOf(rules.normalizedMethods);

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

  return {
    __proto__: null, Request, buildRequest, requestState,
  };
});
