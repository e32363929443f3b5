// shims/web/50_url_parser.js: the URL Standard's basic URL parser, host parser and serializers.
// Exposes: `parse(input, base)` (a URL record or null), `parseInto(input, url, state)` (a
//          setter's state override), the `STATE_*` overrides, `serialize(url, noFragment)`,
//          `serializeHost`, `serializePath`, `origin(url)`, `hasOpaquePath`,
//          `cannotHaveCredentialsOrPort`, `percentEncode(text, set, spaceAsPlus)`,
//          `percentDecode(text)`, the percent-encode sets `SET_*`.
// Hides:   nothing: URL records are plain null-prototype objects the URL class keeps private.
// Needs:   00_primordials, 06_utf8; 43_idna at call time (hosts outside ASCII only).
// Load:    host (first use of URL or URLSearchParams; its source stays in the host until then).
//
// A port of whatwg-url's url-state-machine.js (jsdom's URL, MIT; the structure and state names
// are kept so the two can be read side by side), written against primordials: a URL parse calls
// no method user code can replace and builds no object with a shared prototype, so a user hook
// on Array.prototype, String.prototype or Object.prototype neither sees nor changes it. The
// input is a list of code points (the caller made it a USVString); EOF is -1. Encoding is always
// UTF-8 (there is no document). The host's parser is ada (evaluator/capabilities/fetch/_url.py);
// tests/shims/web/test_url.py runs the web-platform-tests' data against both.
(function (boot) {
  "use strict";
  const {
    MathFloor, NumberParseInt, NumberPrototypeToString, StringFromCharCode, StringFromCodePoint,
    StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToLowerCase, newList,
  } = boot.primordials;
  const { utf8Encode, utf8Decode } = boot.utf8;

  const EOF = -1;
  const FAILURE = -2; // a state's answer: the parse fails
  const STOP = -3; // a state's answer: the parse ends (state overrides)

  // Special schemes and their default ports (file has none).
  const SPECIAL = { __proto__: null, ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };

  // -- states --------------------------------------------------------------------------------
  const SCHEME_START = 1, SCHEME = 2, NO_SCHEME = 3, SPECIAL_RELATIVE_OR_AUTHORITY = 4,
    PATH_OR_AUTHORITY = 5, RELATIVE = 6, RELATIVE_SLASH = 7, SPECIAL_AUTHORITY_SLASHES = 8,
    SPECIAL_AUTHORITY_IGNORE_SLASHES = 9, AUTHORITY = 10, HOST = 11, HOSTNAME = 12, PORT = 13,
    FILE = 14, FILE_SLASH = 15, FILE_HOST = 16, PATH_START = 17, PATH = 18, OPAQUE_PATH = 19,
    QUERY = 20, FRAGMENT = 21;

  // -- percent-encode sets: one bit each, for the ASCII code points ---------------------------
  const SET_C0 = 1, SET_FRAGMENT = 2, SET_QUERY = 4, SET_SPECIAL_QUERY = 8, SET_PATH = 16,
    SET_USERINFO = 32, SET_COMPONENT = 64, SET_URLENCODED = 128;
  const sets = new boot.primordials.Uint8Array(128);
  function addTo(bits, chars) {
    for (let i = 0; i < chars.length; i++) sets[StringPrototypeCharCodeAt(chars, i)] |= bits;
  }
  for (let c = 0; c < 128; c++) if (c <= 0x1f || c === 0x7f) sets[c] = 255; // C0 is in all
  addTo(SET_FRAGMENT, " \"<>`");
  addTo(SET_QUERY | SET_SPECIAL_QUERY | SET_PATH | SET_USERINFO | SET_COMPONENT | SET_URLENCODED,
    " \"#<>");
  addTo(SET_SPECIAL_QUERY, "'");
  addTo(SET_PATH | SET_USERINFO | SET_COMPONENT | SET_URLENCODED, "?^`{}");
  addTo(SET_USERINFO | SET_COMPONENT | SET_URLENCODED, "/:;=@[\\]|");
  addTo(SET_COMPONENT | SET_URLENCODED, "$%&+,");
  addTo(SET_URLENCODED, "!'()~");

  const HEX = "0123456789ABCDEF";
  function percentByte(byte) {
    return "%" + HEX[byte >> 4] + HEX[byte & 15];
  }

  // One code point, UTF-8 percent-encoded with `set`.
  function encodeCodePoint(c, set) {
    if (c < 0x80) return (sets[c] & set) !== 0 ? percentByte(c) : StringFromCharCode(c);
    if (c < 0x800) return percentByte(0xc0 | (c >> 6)) + percentByte(0x80 | (c & 63));
    if (c < 0x10000) {
      return percentByte(0xe0 | (c >> 12)) + percentByte(0x80 | ((c >> 6) & 63)) +
        percentByte(0x80 | (c & 63));
    }
    return percentByte(0xf0 | (c >> 18)) + percentByte(0x80 | ((c >> 12) & 63)) +
      percentByte(0x80 | ((c >> 6) & 63)) + percentByte(0x80 | (c & 63));
  }

  // The code point at `i` of a well-formed string, and how many units it takes (1 or 2).
  function codePointAt(text, i) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = StringPrototypeCharCodeAt(text, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
    }
    return c;
  }

  // A string, UTF-8 percent-encoded with `set` (`spaceAsPlus`: the urlencoded serializer).
  function percentEncode(text, set, spaceAsPlus) {
    let out = "";
    let plain = 0; // start of the run of code points that need no encoding
    for (let i = 0; i < text.length; i++) {
      const unit = StringPrototypeCharCodeAt(text, i);
      if (unit < 0x80 && (sets[unit] & set) === 0 && !(spaceAsPlus && unit === 0x20)) continue;
      out += StringPrototypeSlice(text, plain, i);
      if (spaceAsPlus && unit === 0x20) {
        out += "+";
      } else {
        const c = codePointAt(text, i);
        out += encodeCodePoint(c, set);
        if (c > 0xffff) i++;
      }
      plain = i + 1;
    }
    return plain === 0 ? text : out + StringPrototypeSlice(text, plain);
  }

  function isHexUnit(c) {
    return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
  }

  function hexValue(c) {
    return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
  }

  // String percent-decode, then UTF-8 decode without BOM (malformed bytes become U+FFFD).
  // `plusAsSpace`: the urlencoded parser's "+" -> " " first.
  function percentDecode(text, plusAsSpace) {
    let needed = false;
    for (let i = 0; i < text.length; i++) {
      const c = StringPrototypeCharCodeAt(text, i);
      if (c === 0x25 || (plusAsSpace && c === 0x2b)) {
        needed = true;
        break;
      }
    }
    if (!needed) return text;
    const bytes = utf8Encode(text);
    let length = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === 0x25 && i + 2 < bytes.length && isHexUnit(bytes[i + 1]) &&
          isHexUnit(bytes[i + 2])) {
        bytes[length++] = hexValue(bytes[i + 1]) * 16 + hexValue(bytes[i + 2]);
        i += 2;
      } else {
        bytes[length++] = plusAsSpace && byte === 0x2b ? 0x20 : byte;
      }
    }
    return utf8Decode(bytes, length, false, false).text;
  }

  // -- code points ---------------------------------------------------------------------------
  function isAlpha(c) {
    return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  }

  function isDigit(c) {
    return c >= 0x30 && c <= 0x39;
  }

  function lowerCodePoint(c) {
    return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  }

  // The input as code points, C0 controls and spaces trimmed (a fresh parse), tabs and
  // newlines removed.
  function codePoints(text, trim) {
    let start = 0;
    let end = text.length;
    if (trim) {
      while (start < end && StringPrototypeCharCodeAt(text, start) <= 0x20) start++;
      while (end > start && StringPrototypeCharCodeAt(text, end - 1) <= 0x20) end--;
    }
    const list = newList();
    for (let i = start; i < end; i++) {
      const c = codePointAt(text, i);
      if (c > 0xffff) i++;
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) list[list.length] = c;
    }
    return list;
  }

  function stringOf(list, from, to) {
    let text = "";
    for (let i = from; i < to; i++) text += StringFromCodePoint(list[i]);
    return text;
  }

  // -- hosts ---------------------------------------------------------------------------------
  // A host is null, a string (domain, opaque or empty host), a number (IPv4) or an IPv6 list.
  const FORBIDDEN_HOST = { __proto__: null };
  const forbiddenHostChars = "\u0000\t\n\r #/:<>?@[\\]^|";
  for (let i = 0; i < forbiddenHostChars.length; i++) {
    FORBIDDEN_HOST[StringPrototypeCharCodeAt(forbiddenHostChars, i)] = true;
  }

  function isForbiddenHost(c) {
    return FORBIDDEN_HOST[c] === true;
  }

  function isForbiddenDomain(c) {
    return isForbiddenHost(c) || c <= 0x1f || c === 0x25 || c === 0x7f;
  }

  function splitDots(text) {
    const parts = newList();
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i === text.length || StringPrototypeCharCodeAt(text, i) === 0x2e) {
        parts[parts.length] = StringPrototypeSlice(text, start, i);
        start = i + 1;
      }
    }
    return parts;
  }

  // An IPv4 number part: its value, or FAILURE.
  function parseIPv4Number(text) {
    if (text.length === 0) return FAILURE;
    let radix = 10;
    let start = 0;
    if (text.length >= 2 && text[0] === "0" && (text[1] === "x" || text[1] === "X")) {
      radix = 16;
      start = 2;
    } else if (text.length >= 2 && text[0] === "0") {
      radix = 8;
      start = 1;
    }
    if (start === text.length) return 0;
    for (let i = start; i < text.length; i++) {
      const c = StringPrototypeCharCodeAt(text, i);
      const ok = radix === 16 ? isHexUnit(c) : radix === 10 ? isDigit(c) : c >= 0x30 && c <= 0x37;
      if (!ok) return FAILURE;
    }
    return NumberParseInt(StringPrototypeSlice(text, start), radix);
  }

  function endsInANumber(text) {
    const parts = splitDots(text);
    let last = parts.length - 1;
    if (parts[last] === "") {
      if (parts.length === 1) return false;
      last--;
    }
    const part = parts[last];
    if (part.length > 0) {
      let digits = true;
      for (let i = 0; i < part.length; i++) {
        if (!isDigit(StringPrototypeCharCodeAt(part, i))) {
          digits = false;
          break;
        }
      }
      if (digits) return true;
    }
    return parseIPv4Number(part) !== FAILURE;
  }

  function parseIPv4(text) {
    const parts = splitDots(text);
    let count = parts.length;
    if (parts[count - 1] === "" && count > 1) count--;
    if (count > 4) return FAILURE;
    const numbers = newList();
    for (let i = 0; i < count; i++) {
      const n = parseIPv4Number(parts[i]);
      if (n === FAILURE) return FAILURE;
      numbers[i] = n;
    }
    for (let i = 0; i < count - 1; i++) if (numbers[i] > 255) return FAILURE;
    if (numbers[count - 1] >= 256 ** (5 - count)) return FAILURE;
    let ipv4 = numbers[count - 1];
    for (let i = 0; i < count - 1; i++) ipv4 += numbers[i] * 256 ** (3 - i);
    return ipv4;
  }

  function parseIPv6(input) { // input: code points, without the brackets
    const address = newList();
    for (let i = 0; i < 8; i++) address[i] = 0;
    let pieceIndex = 0;
    let compress = null;
    let pointer = 0;
    const at = (i) => (i < input.length ? input[i] : EOF);
    if (at(pointer) === 0x3a) {
      if (at(pointer + 1) !== 0x3a) return FAILURE;
      pointer += 2;
      pieceIndex++;
      compress = pieceIndex;
    }
    while (at(pointer) !== EOF) {
      if (pieceIndex === 8) return FAILURE;
      if (at(pointer) === 0x3a) {
        if (compress !== null) return FAILURE;
        pointer++;
        pieceIndex++;
        compress = pieceIndex;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4 && at(pointer) !== EOF && isHexUnit(at(pointer))) {
        value = value * 0x10 + hexValue(at(pointer));
        pointer++;
        length++;
      }
      if (at(pointer) === 0x2e) {
        if (length === 0) return FAILURE;
        pointer -= length;
        if (pieceIndex > 6) return FAILURE;
        let numbersSeen = 0;
        while (at(pointer) !== EOF) {
          let ipv4Piece = null;
          if (numbersSeen > 0) {
            if (at(pointer) === 0x2e && numbersSeen < 4) pointer++;
            else return FAILURE;
          }
          if (!isDigit(at(pointer))) return FAILURE;
          while (isDigit(at(pointer))) {
            const number = at(pointer) - 0x30;
            if (ipv4Piece === null) ipv4Piece = number;
            else if (ipv4Piece === 0) return FAILURE;
            else ipv4Piece = ipv4Piece * 10 + number;
            if (ipv4Piece > 255) return FAILURE;
            pointer++;
          }
          address[pieceIndex] = address[pieceIndex] * 0x100 + ipv4Piece;
          numbersSeen++;
          if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
        }
        if (numbersSeen !== 4) return FAILURE;
        break;
      } else if (at(pointer) === 0x3a) {
        pointer++;
        if (at(pointer) === EOF) return FAILURE;
      } else if (at(pointer) !== EOF) {
        return FAILURE;
      }
      address[pieceIndex] = value;
      pieceIndex++;
    }
    if (compress !== null) {
      let swaps = pieceIndex - compress;
      pieceIndex = 7;
      while (pieceIndex !== 0 && swaps > 0) {
        const temp = address[compress + swaps - 1];
        address[compress + swaps - 1] = address[pieceIndex];
        address[pieceIndex] = temp;
        pieceIndex--;
        swaps--;
      }
    } else if (pieceIndex !== 8) {
      return FAILURE;
    }
    return address;
  }

  function serializeIPv4(address) {
    let output = "";
    let n = address;
    for (let i = 1; i <= 4; i++) {
      output = (n % 256) + output;
      if (i !== 4) output = "." + output;
      n = MathFloor(n / 256);
    }
    return output;
  }

  function serializeIPv6(address) {
    // The first longest run of two or more zero pieces is compressed.
    let compress = null;
    let longest = 1;
    for (let i = 0; i < 8;) {
      if (address[i] !== 0) {
        i++;
        continue;
      }
      let end = i;
      while (end < 8 && address[end] === 0) end++;
      if (end - i > longest) {
        longest = end - i;
        compress = i;
      }
      i = end;
    }
    let output = "";
    let ignore0 = false;
    for (let i = 0; i <= 7; i++) {
      if (ignore0 && address[i] === 0) continue;
      ignore0 = false;
      if (compress === i) {
        output += i === 0 ? "::" : ":";
        ignore0 = true;
        continue;
      }
      output += NumberPrototypeToString(address[i], 16);
      if (i !== 7) output += ":";
    }
    return output;
  }

  function serializeHost(host) {
    if (typeof host === "number") return serializeIPv4(host);
    if (typeof host === "object" && host !== null) return "[" + serializeIPv6(host) + "]";
    return host;
  }

  function isASCII(text) {
    for (let i = 0; i < text.length; i++) {
      if (StringPrototypeCharCodeAt(text, i) > 0x7f) return false;
    }
    return true;
  }

  // Domain to ASCII (beStrict false). An ASCII domain is lowercased whatever it holds (the
  // standard's web-compatible reading, xn-- labels included); any other goes through UTS #46.
  function domainToASCII(domain) {
    let result;
    if (isASCII(domain)) {
      result = StringPrototypeToLowerCase(domain);
    } else {
      result = boot.idna.toASCII(domain);
      if (result === null) return FAILURE;
    }
    if (result.length === 0) return FAILURE;
    for (let i = 0; i < result.length; i++) {
      if (isForbiddenDomain(StringPrototypeCharCodeAt(result, i))) return FAILURE;
    }
    return result;
  }

  // The host parser; `input` is code points [from, to).
  function parseHost(input, from, to, isOpaque) {
    if (from < to && input[from] === 0x5b) {
      if (input[to - 1] !== 0x5d) return FAILURE;
      const inner = newList();
      for (let i = from + 1; i < to - 1; i++) inner[inner.length] = input[i];
      return parseIPv6(inner);
    }
    if (isOpaque) {
      let out = "";
      for (let i = from; i < to; i++) {
        if (isForbiddenHost(input[i])) return FAILURE;
        out += encodeCodePoint(input[i], SET_C0);
      }
      return out;
    }
    const domain = percentDecode(stringOf(input, from, to), false);
    const ascii = domainToASCII(domain);
    if (ascii === FAILURE) return FAILURE;
    if (endsInANumber(ascii)) return parseIPv4(ascii);
    return ascii;
  }

  // -- URL records ---------------------------------------------------------------------------
  function newURL() {
    return {
      __proto__: null, scheme: "", username: "", password: "", host: null, port: null,
      path: newList(), query: null, fragment: null,
    };
  }

  function copyPath(path) {
    const copy = newList();
    for (let i = 0; i < path.length; i++) copy[i] = path[i];
    return copy;
  }

  function popPath(path) {
    if (path.length > 0) path.length = path.length - 1;
  }

  function pushPath(path, segment) {
    path[path.length] = segment;
  }

  function isSpecial(url) {
    return url.scheme in SPECIAL;
  }

  function hasOpaquePath(url) {
    return typeof url.path === "string";
  }

  function includesCredentials(url) {
    return url.username !== "" || url.password !== "";
  }

  function cannotHaveCredentialsOrPort(url) {
    return url.host === null || url.host === "" || url.scheme === "file";
  }

  function defaultPort(scheme) {
    return scheme in SPECIAL ? SPECIAL[scheme] : undefined;
  }

  function isWindowsDriveLetter(text) {
    return text.length === 2 && isAlpha(StringPrototypeCharCodeAt(text, 0)) &&
      (text[1] === ":" || text[1] === "|");
  }

  function isNormalizedWindowsDriveLetter(text) {
    return text.length === 2 && isAlpha(StringPrototypeCharCodeAt(text, 0)) && text[1] === ":";
  }

  function startsWithWindowsDriveLetter(input, pointer) {
    const left = input.length - pointer;
    if (left < 2 || !isAlpha(input[pointer])) return false;
    if (input[pointer + 1] !== 0x3a && input[pointer + 1] !== 0x7c) return false;
    if (left === 2) return true;
    const c = input[pointer + 2];
    return c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23;
  }

  function shortenPath(url) {
    const path = url.path;
    if (path.length === 0) return;
    if (url.scheme === "file" && path.length === 1 && isNormalizedWindowsDriveLetter(path[0])) {
      return;
    }
    popPath(path);
  }

  function isSingleDot(buffer) {
    return buffer === "." || StringPrototypeToLowerCase(buffer) === "%2e";
  }

  function isDoubleDot(buffer) {
    if (buffer.length < 2 || buffer.length > 6) return false;
    const b = StringPrototypeToLowerCase(buffer);
    return b === ".." || b === "%2e." || b === ".%2e" || b === "%2e%2e";
  }

  // -- the state machine ---------------------------------------------------------------------
  // Returns the URL record (`url` itself for an override), or null on failure.
  function run(text, base, url, stateOverride) {
    const input = codePoints(text, url === null);
    if (url === null) url = newURL();
    let state = stateOverride === 0 ? SCHEME_START : stateOverride;
    let buffer = "";
    let atSignSeen = false;
    let insideBrackets = false;
    let passwordTokenSeen = false;
    const length = input.length;

    for (let pointer = 0; pointer <= length; pointer++) {
      const c = pointer < length ? input[pointer] : EOF;
      let verdict = 0;
      switch (state) {
        case SCHEME_START:
          if (isAlpha(c)) {
            buffer += StringFromCharCode(lowerCodePoint(c));
            state = SCHEME;
          } else if (stateOverride === 0) {
            state = NO_SCHEME;
            pointer--;
          } else {
            verdict = FAILURE;
          }
          break;

        case SCHEME:
          if (isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
            buffer += StringFromCharCode(lowerCodePoint(c));
          } else if (c === 0x3a) {
            if (stateOverride !== 0) {
              const bufferSpecial = buffer in SPECIAL;
              if (isSpecial(url) !== bufferSpecial) return url;
              if ((includesCredentials(url) || url.port !== null) && buffer === "file") return url;
              if (url.scheme === "file" && url.host === "") return url;
            }
            url.scheme = buffer;
            if (stateOverride !== 0) {
              if (url.port === defaultPort(url.scheme)) url.port = null;
              return url;
            }
            buffer = "";
            if (url.scheme === "file") {
              state = FILE;
            } else if (isSpecial(url) && base !== null && base.scheme === url.scheme) {
              state = SPECIAL_RELATIVE_OR_AUTHORITY;
            } else if (isSpecial(url)) {
              state = SPECIAL_AUTHORITY_SLASHES;
            } else if (pointer + 1 < length && input[pointer + 1] === 0x2f) {
              state = PATH_OR_AUTHORITY;
              pointer++;
            } else {
              url.path = "";
              state = OPAQUE_PATH;
            }
          } else if (stateOverride === 0) {
            buffer = "";
            state = NO_SCHEME;
            pointer = -1;
          } else {
            verdict = FAILURE;
          }
          break;

        case NO_SCHEME:
          if (base === null || (hasOpaquePath(base) && c !== 0x23)) {
            verdict = FAILURE;
          } else if (hasOpaquePath(base) && c === 0x23) {
            url.scheme = base.scheme;
            url.path = base.path;
            url.query = base.query;
            url.fragment = "";
            state = FRAGMENT;
          } else if (base.scheme === "file") {
            state = FILE;
            pointer--;
          } else {
            state = RELATIVE;
            pointer--;
          }
          break;

        case SPECIAL_RELATIVE_OR_AUTHORITY:
          if (c === 0x2f && pointer + 1 < length && input[pointer + 1] === 0x2f) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
            pointer++;
          } else {
            state = RELATIVE;
            pointer--;
          }
          break;

        case PATH_OR_AUTHORITY:
          if (c === 0x2f) {
            state = AUTHORITY;
          } else {
            state = PATH;
            pointer--;
          }
          break;

        case RELATIVE:
          url.scheme = base.scheme;
          if (c === 0x2f) {
            state = RELATIVE_SLASH;
          } else if (isSpecial(url) && c === 0x5c) {
            state = RELATIVE_SLASH;
          } else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            url.path = copyPath(base.path);
            url.query = base.query;
            if (c === 0x3f) {
              url.query = "";
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = "";
              state = FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              popPath(url.path);
              state = PATH;
              pointer--;
            }
          }
          break;

        case RELATIVE_SLASH:
          if (isSpecial(url) && (c === 0x2f || c === 0x5c)) {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          } else if (c === 0x2f) {
            state = AUTHORITY;
          } else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            state = PATH;
            pointer--;
          }
          break;

        case SPECIAL_AUTHORITY_SLASHES:
          state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          if (c === 0x2f && pointer + 1 < length && input[pointer + 1] === 0x2f) pointer++;
          else pointer--;
          break;

        case SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== 0x2f && c !== 0x5c) {
            state = AUTHORITY;
            pointer--;
          }
          break;

        case AUTHORITY:
          if (c === 0x40) {
            // Everything before the last "@" is userinfo; an earlier "@" is encoded in it.
            if (atSignSeen) buffer = "%40" + buffer;
            atSignSeen = true;
            for (let i = 0; i < buffer.length; i++) {
              const point = codePointAt(buffer, i);
              if (point > 0xffff) i++;
              if (point === 0x3a && !passwordTokenSeen) {
                passwordTokenSeen = true;
                continue;
              }
              const encoded = encodeCodePoint(point, SET_USERINFO);
              if (passwordTokenSeen) url.password += encoded;
              else url.username += encoded;
            }
            buffer = "";
          } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 ||
                     (isSpecial(url) && c === 0x5c)) {
            if (atSignSeen && buffer === "") {
              verdict = FAILURE;
            } else {
              pointer -= bufferLength(buffer) + 1;
              buffer = "";
              state = HOST;
            }
          } else {
            buffer += StringFromCodePoint(c);
          }
          break;

        case HOST:
        case HOSTNAME:
          if (stateOverride !== 0 && url.scheme === "file") {
            pointer--;
            state = FILE_HOST;
          } else if (c === 0x3a && !insideBrackets) {
            if (buffer === "") {
              verdict = FAILURE;
            } else if (stateOverride === HOSTNAME) {
              verdict = FAILURE;
            } else {
              const host = parseHost(input, pointer - bufferLength(buffer), pointer,
                !isSpecial(url));
              if (host === FAILURE) {
                verdict = FAILURE;
              } else {
                url.host = host;
                buffer = "";
                state = PORT;
              }
            }
          } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 ||
                     (isSpecial(url) && c === 0x5c)) {
            pointer--;
            if (isSpecial(url) && buffer === "") {
              verdict = FAILURE;
            } else if (stateOverride !== 0 && buffer === "" &&
                       (includesCredentials(url) || url.port !== null)) {
              verdict = FAILURE;
            } else {
              const host = parseHost(input, pointer + 1 - bufferLength(buffer), pointer + 1,
                !isSpecial(url));
              if (host === FAILURE) {
                verdict = FAILURE;
              } else {
                url.host = host;
                buffer = "";
                state = PATH_START;
                if (stateOverride !== 0) verdict = STOP;
              }
            }
          } else {
            if (c === 0x5b) insideBrackets = true;
            else if (c === 0x5d) insideBrackets = false;
            buffer += StringFromCodePoint(c);
          }
          break;

        case PORT:
          if (isDigit(c)) {
            buffer += StringFromCharCode(c);
          } else if (c === EOF || c === 0x2f || c === 0x3f || c === 0x23 ||
                     (isSpecial(url) && c === 0x5c) || stateOverride !== 0) {
            if (buffer !== "") {
              const port = NumberParseInt(buffer, 10);
              if (port > 65535) {
                verdict = FAILURE;
                break;
              }
              url.port = port === defaultPort(url.scheme) ? null : port;
              buffer = "";
              if (stateOverride !== 0) {
                verdict = STOP;
                break;
              }
            }
            if (stateOverride !== 0) {
              verdict = FAILURE;
              break;
            }
            state = PATH_START;
            pointer--;
          } else {
            verdict = FAILURE;
          }
          break;

        case FILE:
          url.scheme = "file";
          url.host = "";
          if (c === 0x2f || c === 0x5c) {
            state = FILE_SLASH;
          } else if (base !== null && base.scheme === "file") {
            url.host = base.host;
            url.path = copyPath(base.path);
            url.query = base.query;
            if (c === 0x3f) {
              url.query = "";
              state = QUERY;
            } else if (c === 0x23) {
              url.fragment = "";
              state = FRAGMENT;
            } else if (c !== EOF) {
              url.query = null;
              if (!startsWithWindowsDriveLetter(input, pointer)) shortenPath(url);
              else url.path = newList();
              state = PATH;
              pointer--;
            }
          } else {
            state = PATH;
            pointer--;
          }
          break;

        case FILE_SLASH:
          if (c === 0x2f || c === 0x5c) {
            state = FILE_HOST;
          } else {
            if (base !== null && base.scheme === "file") {
              if (!startsWithWindowsDriveLetter(input, pointer) && base.path.length > 0 &&
                  isNormalizedWindowsDriveLetter(base.path[0])) {
                pushPath(url.path, base.path[0]);
              }
              url.host = base.host;
            }
            state = PATH;
            pointer--;
          }
          break;

        case FILE_HOST:
          if (c === EOF || c === 0x2f || c === 0x5c || c === 0x3f || c === 0x23) {
            pointer--;
            if (stateOverride === 0 && isWindowsDriveLetter(buffer)) {
              state = PATH; // the buffer is not reset: the path state uses it
            } else if (buffer === "") {
              url.host = "";
              if (stateOverride !== 0) {
                verdict = STOP;
              } else {
                state = PATH_START;
              }
            } else {
              let host = parseHost(input, pointer + 1 - bufferLength(buffer), pointer + 1,
                !isSpecial(url));
              if (host === FAILURE) {
                verdict = FAILURE;
              } else {
                if (host === "localhost") host = "";
                url.host = host;
                if (stateOverride !== 0) {
                  verdict = STOP;
                } else {
                  buffer = "";
                  state = PATH_START;
                }
              }
            }
          } else {
            buffer += StringFromCodePoint(c);
          }
          break;

        case PATH_START:
          if (isSpecial(url)) {
            state = PATH;
            if (c !== 0x2f && c !== 0x5c) pointer--;
          } else if (stateOverride === 0 && c === 0x3f) {
            url.query = "";
            state = QUERY;
          } else if (stateOverride === 0 && c === 0x23) {
            url.fragment = "";
            state = FRAGMENT;
          } else if (c !== EOF) {
            state = PATH;
            if (c !== 0x2f) pointer--;
          } else if (stateOverride !== 0 && url.host === null) {
            pushPath(url.path, "");
          }
          break;

        case PATH:
          if (c === EOF || c === 0x2f || (isSpecial(url) && c === 0x5c) ||
              (stateOverride === 0 && (c === 0x3f || c === 0x23))) {
            const slash = c === 0x2f || (isSpecial(url) && c === 0x5c);
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slash) pushPath(url.path, "");
            } else if (isSingleDot(buffer) && !slash) {
              pushPath(url.path, "");
            } else if (!isSingleDot(buffer)) {
              if (url.scheme === "file" && url.path.length === 0 && isWindowsDriveLetter(buffer)) {
                buffer = buffer[0] + ":";
              }
              pushPath(url.path, buffer);
            }
            buffer = "";
            if (c === 0x3f) {
              url.query = "";
              state = QUERY;
            }
            if (c === 0x23) {
              url.fragment = "";
              state = FRAGMENT;
            }
          } else {
            buffer += encodeCodePoint(c, SET_PATH);
          }
          break;

        case OPAQUE_PATH:
          if (c === 0x3f) {
            url.query = "";
            state = QUERY;
          } else if (c === 0x23) {
            url.fragment = "";
            state = FRAGMENT;
          } else if (c === 0x20) {
            const next = pointer + 1 < length ? input[pointer + 1] : EOF;
            url.path += next === 0x3f || next === 0x23 ? "%20" : " ";
          } else if (c !== EOF) {
            url.path += encodeCodePoint(c, SET_C0);
          }
          break;

        case QUERY:
          if ((stateOverride === 0 && c === 0x23) || c === EOF) {
            url.query += percentEncode(buffer, isSpecial(url) ? SET_SPECIAL_QUERY : SET_QUERY,
              false);
            buffer = "";
            if (c === 0x23) {
              url.fragment = "";
              state = FRAGMENT;
            }
          } else if (c !== EOF) {
            buffer += StringFromCodePoint(c);
          }
          break;

        case FRAGMENT:
          if (c !== EOF) url.fragment += encodeCodePoint(c, SET_FRAGMENT);
          break;

        default:
          verdict = FAILURE;
      }
      if (verdict === FAILURE) return null;
      if (verdict === STOP) return url;
    }
    return url;
  }

  // Code points in a buffer built of whole code points (surrogate pairs count once).
  function bufferLength(buffer) {
    let count = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = StringPrototypeCharCodeAt(buffer, i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < buffer.length) i++;
      count++;
    }
    return count;
  }

  function parse(input, base) {
    return run(input, base === undefined ? null : base, null, 0);
  }

  // A setter's parse: `url` changed in place (as far as the state override allows).
  function parseInto(input, url, state) {
    run(input, null, url, state);
  }

  // -- serializers ---------------------------------------------------------------------------
  function serializePath(url) {
    if (hasOpaquePath(url)) return url.path;
    let output = "";
    const path = url.path;
    for (let i = 0; i < path.length; i++) output += "/" + path[i];
    return output;
  }

  function serialize(url, excludeFragment) {
    let output = url.scheme + ":";
    if (url.host !== null) {
      output += "//";
      if (url.username !== "" || url.password !== "") {
        output += url.username;
        if (url.password !== "") output += ":" + url.password;
        output += "@";
      }
      output += serializeHost(url.host);
      if (url.port !== null) output += ":" + url.port;
    }
    if (url.host === null && !hasOpaquePath(url) && url.path.length > 1 && url.path[0] === "") {
      output += "/.";
    }
    output += serializePath(url);
    if (url.query !== null) output += "?" + url.query;
    if (!excludeFragment && url.fragment !== null) output += "#" + url.fragment;
    return output;
  }

  function origin(url) {
    const scheme = url.scheme;
    if (scheme === "blob") {
      const inner = parse(serializePath(url), undefined);
      if (inner === null || (inner.scheme !== "http" && inner.scheme !== "https")) return "null";
      return origin(inner);
    }
    if (scheme === "ftp" || scheme === "http" || scheme === "https" || scheme === "ws" ||
        scheme === "wss") {
      return scheme + "://" + serializeHost(url.host) + (url.port === null ? "" : ":" + url.port);
    }
    return "null";
  }

  return {
    __proto__: null, parse, parseInto, serialize, serializeHost, serializePath, origin,
    hasOpaquePath, cannotHaveCredentialsOrPort, percentEncode, percentDecode, stringOf,
    STATE_SCHEME_START: SCHEME_START, STATE_HOST: HOST, STATE_HOSTNAME: HOSTNAME,
    STATE_PORT: PORT, STATE_PATH_START: PATH_START, STATE_QUERY: QUERY,
    STATE_FRAGMENT: FRAGMENT, SET_USERINFO, SET_URLENCODED,
  };
});
