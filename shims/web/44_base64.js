// shims/web/44_base64.js: atob and btoa (HTML "forgiving-base64").
// Exposes: `atob`, `btoa` (90_install publishes them).
// Hides:   nothing.
// Needs:   00_primordials, 41_webidl (the InvalidCharacterError class).
// Load:    lazy (first call of either).
(function (boot) {
  "use strict";
  const {
    String, StringFromCharCode, StringPrototypeCharCodeAt, StringPrototypeSlice, TypeError,
  } = boot.primordials;
  const { domErrorClass } = boot.webidl;
  const InvalidCharacterError = domErrorClass("InvalidCharacterError");

  // -- base64 (forgiving-base64, HTML) ------------------------------------------------------
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const DECODE = { __proto__: null };
  for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET[i]] = i;

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("btoa: 1 argument required, but only 0 present.");
    const text = String(data);
    let out = "";
    for (let i = 0; i < text.length; i += 3) {
      const a = StringPrototypeCharCodeAt(text, i);
      const b = i + 1 < text.length ? StringPrototypeCharCodeAt(text, i + 1) : 0;
      const c = i + 2 < text.length ? StringPrototypeCharCodeAt(text, i + 2) : 0;
      if (a > 255 || b > 255 || c > 255) {
        throw new InvalidCharacterError(
          "Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.");
      }
      const n = (a << 16) | (b << 8) | c;
      out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63] +
        (i + 1 < text.length ? ALPHABET[(n >> 6) & 63] : "=") +
        (i + 2 < text.length ? ALPHABET[n & 63] : "=");
    }
    return out;
  }

  function atob(data) {
    if (arguments.length === 0) throw new TypeError("atob: 1 argument required, but only 0 present.");
    const input = String(data);
    let clean = "";
    for (let i = 0; i < input.length; i++) {
      const c = input[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\f" || c === "\r") continue;
      clean += c;
    }
    if (clean.length % 4 === 0) {
      if (clean[clean.length - 1] === "=") clean = StringPrototypeSlice(clean, 0, -1);
      if (clean[clean.length - 1] === "=") clean = StringPrototypeSlice(clean, 0, -1);
    }
    const invalid = () => new InvalidCharacterError(
      "Failed to execute 'atob': The string to be decoded is not correctly encoded.");
    if (clean.length % 4 === 1) throw invalid();
    let out = "";
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < clean.length; i++) {
      const value = DECODE[clean[i]];
      if (value === undefined) throw invalid();
      buffer = (buffer << 6) | value;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += StringFromCharCode((buffer >> bits) & 255);
      }
    }
    return out;
  }

  return {
    __proto__: null, atob, btoa,
  };
});
