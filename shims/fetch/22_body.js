// shims/fetch/22_body.js: bodies of Request and Response (Fetch standard "body mixin").
// Exposes: `textBody`, `bytesBody`, `base64Body` (the three kinds of body record),
//          `extractBody(value)` -> {body, type}, `cloneBody`, `consume(body, signal, where,
//          kind)` (text, json, arrayBuffer, bytes).
// Hides:   nothing of its own: a body record lives in its Request's or Response's private state.
// Needs:   00_primordials, 06_utf8, 41_webidl, 49_abort; 55_memory at call time (bytes are
//          charged to the evaluation's memory budget).
// Load:    lazy (first use of Request, Response or fetch).
//
// A body is {text} (a string), {bytes} (a Uint8Array we own) or {b64} (base64 from the host),
// plus `used`. Text stays text until bytes are asked for, so JSON responses cost no decoding;
// bytes are decoded by the runtime's one UTF-8 decoder (06_utf8), with replacement, and a
// leading BOM is dropped, as the standard's "UTF-8 decode" does.
(function (boot) {
  "use strict";
  const {
    JSONParse, StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToWellFormed,
    SymbolToStringTag, TypedArrayPrototypeGetBuffer, TypedArrayPrototypeGetByteLength,
    TypedArrayPrototypeSet, Uint8ArrayPrototypeSetFromBase64,
  } = boot.primordials;
  const { fail, toUSVString, isObject, bufferView } = boot.webidl;
  const { utf8Encode, utf8Decode } = boot.utf8;
  const { signalAborted, signalReason } = boot.abort;

  function textBody(text) {
    return { __proto__: null, text, bytes: undefined, b64: undefined, used: false };
  }

  function bytesBody(bytes) {
    return { __proto__: null, text: undefined, bytes, b64: undefined, used: false };
  }

  function base64Body(b64) {
    return { __proto__: null, text: undefined, bytes: undefined, b64, used: false };
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
    return body.text !== undefined ? textBody(body.text) : base64Body(body.b64);
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
    const bytes = body.bytes !== undefined ? body.bytes : base64Bytes(body.b64);
    return stripBOM(utf8Decode(bytes, TypedArrayPrototypeGetByteLength(bytes), false, false).text);
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

  return {
    __proto__: null, textBody, bytesBody, base64Body, extractBody, cloneBody, consume,
  };
});
