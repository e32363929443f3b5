// shims/fetch/21_request_url.js: the light URL normalisation behind Request.url.
// Exposes: `normalizeURL(text)` -> the URL as Request.url shows it, or null when `text` is not
//          an absolute URL (there is no base URL in the sandbox).
// Hides:   nothing.
// Needs:   00_primordials.
// Load:    lazy (first use of Request, Response.redirect or fetch).
//
// The host parses every URL for real, with the WHATWG parser (evaluator/capabilities/fetch/
// _url.py), and decides on that parse alone; this only shapes what user code reads back
// (scheme and host lower-cased, default port dropped, backslashes as slashes, "/" for an empty
// path). A URL this cannot read is still handed to the host by fetch(), which says why it is
// refused.
(function (boot) {
  "use strict";
  const {
    StringPrototypeCharCodeAt, StringPrototypeLastIndexOf, StringPrototypeSlice,
    StringPrototypeToLowerCase,
  } = boot.primordials;

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

  return {
    __proto__: null, normalizeURL,
  };
});
