// shims/fetch/23_response.js: Response (Fetch standard).
// Exposes: the `Response` global (90_install publishes it); for fetch: `makeResponse(state)`,
//          `responseState(...)` (a state record) and `isResponse` (brand check).
// Hides:   each Response's state (a private field).
// Needs:   00_primordials, 05_host (`tables.fetch`: null-body and redirect statuses),
//          20_headers, 21_request_url, 22_body, 41_webidl.
// Load:    lazy (first use of Response or fetch).
//
// ResponseInit is read once (headers, status, statusText) and applied as the standard says: a
// status outside 200-599 is a RangeError, a body with a null-body status a TypeError; headers get
// the "response" guard (no Set-Cookie). A response from the host is "basic" and immutable.
(function (boot) {
  "use strict";
  const {
    JSONStringify, RangeError, StringPrototypeCharCodeAt, listPush, newList,
  } = boot.primordials;
  const {
    fail, requireArgs, toUSVString, toByteString, isObject, markClass, setTag,
  } = boot.webidl;
  const {
    headersList, headersGuard, createHeaders, makeEntry, appendEntry, fillHeaders, combined,
  } = boot.headers;
  const { normalizeURL } = boot.request_url;
  const { textBody, extractBody, cloneBody, consume } = boot.body;
  const { setOf } = boot.host;

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only
  const rules = boot.host.tables.fetch;
  const NULL_BODY_STATUS = setOf(rules.nullBodyStatuses);
  const REDIRECT_STATUS = setOf(rules.redirectStatuses);

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

  return {
    __proto__: null, Response, makeResponse, responseState, isResponse,
  };
});
