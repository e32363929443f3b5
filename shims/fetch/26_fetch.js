// shims/fetch/26_fetch.js: fetch() (Fetch standard, credentials "omit"), the JS half of the
// host's fetch capability (evaluator/capabilities/fetch/).
// Exposes: `fetch` (90_install publishes it); for the runtime's channel routing (70_run):
//          `inFlight()` (pending fetches), `deliver(items)` (the host's results) and `sweep()`
//          (report rejected fetch promises nobody handled; 70_run calls it at the start of every
//          op, when the microtasks of the previous one have run).
// Hides:   the pending-fetch table and the host records. A request leaves as a record on the
//          `fetch` channel: {kind:"request", id, method, url, headers, redirect, body|text};
//          {kind:"cancel", id} when its signal aborts; {kind:"failed", id, method, url, error}
//          for a call refused here (recorded in `fetches`, never sent). The host parses and
//          checks the URL: Request.url is only lightly normalised here (21_request_url).
//          `fetches` has one entry per call (SPEC section 2), calls past the request cap
//          included: their records stop once they could not all fit in an answer anyway
//          (max_output_bytes), so a loop of refused calls cannot fill the isolate or the host.
// Needs:   00_primordials, 05_host (emit, json helpers, config.limits.fetch_max_requests and
//          max_output_bytes),
//          18_framework (guard), 20_headers, 22_body, 23_request, 23_response, 41_webidl,
//          49_abort; 70_run (reportUnhandled) at call time.
// Load:    lazy (first use of fetch).
//
// No cookies are sent or kept, Set-Cookie never shows, and forbidden request headers set by
// user code are ignored (here, by the "request" headers guard, and again by the host, which is
// authoritative). Every failure of fetch rejects with a TypeError "fetch failed: <reason>"; the
// host writes the reasons of network and policy failures. Errors thrown by user code itself (a
// throwing getter) reject with that error, as in a browser.
//
// fetch returns a Promise subclass (named Promise) whose `then` notes that someone handled it; a
// fetch promise (or one derived from it) that rejects with no handler is reported at the next op
// as "Uncaught (in promise) TypeError: fetch failed: ...". This is the one deviation visible to
// code: Object.getPrototypeOf(fetch(u)) is not Promise.prototype (instanceof Promise still holds).
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, Map, MapPrototypeDelete, MapPrototypeGet, MapPrototypeGetSize,
    MapPrototypeSet, ObjectDefineProperty, Promise, PromisePrototypeThen, TypeError,
    StringPrototypeSlice, Uint8ArrayPrototypeToBase64, WeakSet, WeakSetPrototypeAdd,
    WeakSetPrototypeHas, listPush, nativeLooking, newList,
  } = boot.primordials;
  const host = boot.host;
  const { emit, jsonString } = host;
  const { guard } = boot.framework;
  const { fail, isOurError, isObject, own, markClass } = boot.webidl;
  const { headersList, createHeaders, makeEntry } = boot.headers;
  const { textBody, base64Body } = boot.body;
  const { buildRequest, requestState } = boot.request;
  const { makeResponse, responseState } = boot.response;
  const { signalAborted, signalReason, signalOn } = boot.abort;

  // The channel of the host's fetch capability (FetchCapability.channel).
  const CHANNEL = "fetch";

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

  // Bytes of `failed` records of calls past the request cap, and their budget: the answer's
  // cap (SPEC's default when the host sends none). Past it, the records already made fill an
  // answer, which the host trims (and says so), so later ones would only be dropped.
  const DEFAULT_OUTPUT_BYTES = 2 * 1024 * 1024;
  const MAX_RECORDED_URL = 2048;
  const MAX_RECORDED_METHOD = 32;
  const MAX_RECORDED_ERROR = 300;
  const state = { __proto__: null, nextId: 0, calls: 0, overflowBytes: 0 };
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
    const cap = host.config.limits.fetch_max_requests;
    const overCap = typeof cap === "number" && state.calls > cap;
    if (overCap) {
      const budget = host.config.limits.max_output_bytes;
      if (state.overflowBytes > (typeof budget === "number" ? budget : DEFAULT_OUTPUT_BYTES)) {
        return;
      }
    }
    const record = "{\"kind\":\"failed\",\"id\":" + id + ",\"method\":" +
      jsonString(StringPrototypeSlice(method, 0, MAX_RECORDED_METHOD)) + ",\"url\":" +
      jsonString(StringPrototypeSlice(url, 0, MAX_RECORDED_URL)) + ",\"error\":" +
      jsonString(StringPrototypeSlice(error, 0, MAX_RECORDED_ERROR)) + "}";
    if (overCap) state.overflowBytes += record.length;
    emit(CHANNEL, record);
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
    let request;
    try {
      if (given === 0) fail("1 argument required, but only 0 present.");
      request = buildRequest(input, init, true);
    } catch (error) {
      if (isOurError(error)) {
        failedRecord(id, "GET", "", error.message);
        settle(entry, false, fetchFailure(error.message));
      } else {
        failedRecord(id, "GET", "", "the request could not be built");
        settle(entry, false, error);
      }
      return promise;
    }
    // The cap is checked once the request is built, so that the call's record says which
    // request was refused (and a call that could not be built says why, as under the cap).
    const cap = host.config.limits.fetch_max_requests;
    if (typeof cap === "number" && state.calls > cap) {
      const reason = "too many requests (at most " + cap + " per evaluation)";
      failedRecord(id, request.method, request.url, reason);
      settle(entry, false, fetchFailure(reason));
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
        emit(CHANNEL, "{\"kind\":\"cancel\",\"id\":" + id + "}");
        settle(entry, false, reason);
      });
    }
    entry.signal = signal;
    emit(CHANNEL, requestRecord(id, request));
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
    else if (typeof b64 === "string") body = base64Body(b64);
    const status = own(item, "status");
    return makeResponse(responseState("basic", status, `${own(item, "status_text")}`,
      `${own(item, "url")}`, own(item, "redirected") === true, createHeaders("immutable", list),
      body, signal));
  }
  // The host's results: settle each pending fetch (an aborted one is gone already).
  function deliver(items) {
    if (!isObject(items)) return;
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
    __proto__: null, fetch, inFlight, deliver, sweep,
  };
});
