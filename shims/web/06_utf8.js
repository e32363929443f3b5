// shims/web/06_utf8.js: the runtime's one UTF-8 codec (Encoding standard).
// Exposes: `utf8Length(text)` (bytes the encoding takes), `utf8Encode(text)` (a Uint8Array
//          charged to the memory budget), `utf8Decode(bytes, length, fatal, stream)` ->
//          {text, rest}. TextEncoder/TextDecoder (45_encoding), fetch bodies (22_body) and the
//          log byte cap (10_console) all use these.
// Hides:   nothing.
// Needs:   00_primordials; 55_memory at call time (eager: loaded by then).
// Load:    lazy (first use of any of them).
//
// Encoding: a lone surrogate is encoded as U+FFFD (3 bytes), as TextEncoder does (USVString).
// Decoding follows the standard's decoder byte by byte: a malformed sequence yields one U+FFFD
// and the byte that broke it is read again as the start of the next, so every browser agrees on
// the text. `fatal` throws a TypeError at the first error instead; `stream` leaves an incomplete
// sequence at the end undecoded (`rest` is its length, for the caller to hand in next time).
(function (boot) {
  "use strict";
  const { ReflectApply, StringFromCharCode, StringPrototypeCharCodeAt, TypeError, newList } =
    boot.primordials;

  // Code units gathered before one String.fromCharCode call (arguments stay well under V8's cap).
  const CHUNK = 8192;

  function utf8Length(text) {
    let length = 0;
    for (let i = 0; i < text.length; i++) {
      const c = StringPrototypeCharCodeAt(text, i);
      if (c < 0x80) length += 1;
      else if (c < 0x800) length += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = StringPrototypeCharCodeAt(text, i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          length += 4;
          i++;
        } else {
          length += 3;
        }
      } else length += 3;
    }
    return length;
  }

  function utf8Encode(text) {
    const bytes = boot.memory.newUint8Array(utf8Length(text));
    let at = 0;
    for (let i = 0; i < text.length; i++) {
      let c = StringPrototypeCharCodeAt(text, i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < text.length ? StringPrototypeCharCodeAt(text, i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x80) {
        bytes[at++] = c;
      } else if (c < 0x800) {
        bytes[at++] = 0xc0 | (c >> 6);
        bytes[at++] = 0x80 | (c & 63);
      } else if (c < 0x10000) {
        bytes[at++] = 0xe0 | (c >> 12);
        bytes[at++] = 0x80 | ((c >> 6) & 63);
        bytes[at++] = 0x80 | (c & 63);
      } else {
        bytes[at++] = 0xf0 | (c >> 18);
        bytes[at++] = 0x80 | ((c >> 12) & 63);
        bytes[at++] = 0x80 | ((c >> 6) & 63);
        bytes[at++] = 0x80 | (c & 63);
      }
    }
    return bytes;
  }

  function malformed() {
    return new TypeError("The encoded data was not valid for encoding utf-8");
  }

  // The first `length` bytes of `bytes` (anything indexable: a Uint8Array, one of our lists).
  function utf8Decode(bytes, length, fatal, stream) {
    const units = newList();
    let n = 0;
    let text = "";
    let codePoint = 0;
    let needed = 0;
    let seen = 0;
    let lower = 0x80;
    let upper = 0xbf;
    let start = 0; // where the sequence being read began
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      let unit = -1;
      if (needed === 0) {
        start = i;
        if (b < 0x80) {
          unit = b;
        } else if (b >= 0xc2 && b <= 0xdf) {
          needed = 1;
          codePoint = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) lower = 0xa0;
          if (b === 0xed) upper = 0x9f;
          needed = 2;
          codePoint = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) lower = 0x90;
          if (b === 0xf4) upper = 0x8f;
          needed = 3;
          codePoint = b & 0x07;
        } else {
          if (fatal) throw malformed();
          unit = 0xfffd;
        }
      } else if (b < lower || b > upper) {
        // The sequence is broken: one U+FFFD for it, and this byte starts afresh.
        if (fatal) throw malformed();
        codePoint = 0;
        needed = 0;
        seen = 0;
        lower = 0x80;
        upper = 0xbf;
        unit = 0xfffd;
        i--;
      } else {
        lower = 0x80;
        upper = 0xbf;
        codePoint = (codePoint << 6) | (b & 0x3f);
        seen++;
        if (seen === needed) {
          unit = codePoint;
          codePoint = 0;
          needed = 0;
          seen = 0;
        }
      }
      if (unit < 0) continue;
      if (unit >= 0x10000) {
        units[n++] = 0xd800 + ((unit - 0x10000) >> 10);
        units[n++] = 0xdc00 + ((unit - 0x10000) & 0x3ff);
      } else {
        units[n++] = unit;
      }
      if (n >= CHUNK) {
        units.length = n;
        text += ReflectApply(StringFromCharCode, undefined, units);
        n = 0;
      }
    }
    let rest = 0;
    if (needed !== 0) {
      if (stream) {
        rest = length - start;
      } else {
        if (fatal) throw malformed();
        units[n++] = 0xfffd;
      }
    }
    units.length = n;
    if (n > 0) text += ReflectApply(StringFromCharCode, undefined, units);
    return { __proto__: null, text, rest };
  }

  return { __proto__: null, utf8Length, utf8Encode, utf8Decode };
});
