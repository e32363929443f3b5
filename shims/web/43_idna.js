// shims/web/43_idna.js: UTS #46 ToASCII as the URL Standard's host parser runs it.
// Exposes: `toASCII(domain)` -> the ASCII domain, or null when UTS #46 fails it (CheckHyphens,
//          UseSTD3ASCIIRules and VerifyDnsLength false; CheckBidi and CheckJoiners true;
//          non-transitional; invalid punycode is an error), and `punycodeDecode`/`punycodeEncode`.
// Hides:   nothing.
// Needs:   00_primordials, 42_idna_data (tr46's tables, read from the host when this loads).
// Load:    host (the first host with a character outside ASCII; an ASCII host never loads it).
//
// A port of tr46 7.0.0's index.js (whatwg-url's IDNA, MIT) and of punycode.js 2.3.1 (MIT)
// to primordials: no method user code can replace is called, and every list is our own.
(function (boot) {
  "use strict";
  const {
    MathFloor, RangeError, RegExpPrototypeExec, StringFromCharCode, StringFromCodePoint,
    StringPrototypeCharCodeAt, StringPrototypeLastIndexOf, StringPrototypeNormalize,
    StringPrototypeSlice, newList, stringSplit,
  } = boot.primordials;
  const { starts, kinds, mappings, regexes } = boot.idna_data;
  const mapped = stringSplit(mappings, "\u0000"); // one entry per range of `starts`

  // -- code points -----------------------------------------------------------------------------
  function codePointsOf(text) {
    const list = newList();
    for (let i = 0; i < text.length; i++) {
      let c = StringPrototypeCharCodeAt(text, i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = StringPrototypeCharCodeAt(text, i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      list[list.length] = c;
    }
    return list;
  }

  function hasNonASCII(text) {
    for (let i = 0; i < text.length; i++) {
      if (StringPrototypeCharCodeAt(text, i) > 0x7f) return true;
    }
    return false;
  }

  function startsWithXn(text) {
    return text.length >= 4 && text[0] === "x" && text[1] === "n" && text[2] === "-" &&
      text[3] === "-";
  }

  function test(regex, text) {
    return RegExpPrototypeExec(regex, text) !== null;
  }

  function join(list, separator) {
    let text = "";
    for (let i = 0; i < list.length; i++) text += (i === 0 ? "" : separator) + list[i];
    return text;
  }

  // The range of the table holding code point `c` (ranges are contiguous from 0).
  function rangeOf(c) {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= c) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  // -- punycode (RFC 3492) ---------------------------------------------------------------------
  const BASE = 36, T_MIN = 1, T_MAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72,
    INITIAL_N = 128, MAX_INT = 2147483647;

  function adapt(delta, numPoints, firstTime) {
    let k = 0;
    delta = firstTime ? MathFloor(delta / DAMP) : delta >> 1;
    delta += MathFloor(delta / numPoints);
    for (; delta > ((BASE - T_MIN) * T_MAX) >> 1; k += BASE) {
      delta = MathFloor(delta / (BASE - T_MIN));
    }
    return MathFloor(k + ((BASE - T_MIN + 1) * delta) / (delta + SKEW));
  }

  function basicToDigit(c) {
    if (c >= 0x30 && c < 0x3a) return 26 + (c - 0x30);
    if (c >= 0x41 && c < 0x5b) return c - 0x41;
    if (c >= 0x61 && c < 0x7b) return c - 0x61;
    return BASE;
  }

  function digitToBasic(digit) {
    return digit + 22 + (digit < 26 ? 75 : 0);
  }

  function threshold(k, bias) {
    return k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
  }

  function invalid() {
    throw new RangeError("Invalid punycode");
  }

  // Punycode to Unicode; throws a RangeError for input that is not punycode.
  function punycodeDecode(input) {
    const output = newList();
    let basic = StringPrototypeLastIndexOf(input, "-");
    if (basic < 0) basic = 0;
    for (let j = 0; j < basic; j++) {
      const c = StringPrototypeCharCodeAt(input, j);
      if (c >= 0x80) invalid();
      output[output.length] = c;
    }
    let i = 0;
    let n = INITIAL_N;
    let bias = INITIAL_BIAS;
    for (let index = basic > 0 ? basic + 1 : 0; index < input.length;) {
      const oldi = i;
      for (let w = 1, k = BASE; ; k += BASE) {
        if (index >= input.length) invalid();
        const digit = basicToDigit(StringPrototypeCharCodeAt(input, index++));
        if (digit >= BASE) invalid();
        if (digit > MathFloor((MAX_INT - i) / w)) invalid();
        i += digit * w;
        const t = threshold(k, bias);
        if (digit < t) break;
        if (w > MathFloor(MAX_INT / (BASE - t))) invalid();
        w *= BASE - t;
      }
      const out = output.length + 1;
      bias = adapt(i - oldi, out, oldi === 0);
      if (MathFloor(i / out) > MAX_INT - n) invalid();
      n += MathFloor(i / out);
      i %= out;
      for (let at = output.length; at > i; at--) output[at] = output[at - 1]; // insert at i
      output[i++] = n;
    }
    let text = "";
    for (let j = 0; j < output.length; j++) text += StringFromCodePoint(output[j]);
    return text;
  }

  // Unicode to punycode (the label's code points); throws a RangeError on overflow.
  function punycodeEncode(text) {
    const input = codePointsOf(text);
    let output = "";
    for (let j = 0; j < input.length; j++) {
      if (input[j] < 0x80) output += StringFromCharCode(input[j]);
    }
    const basicLength = output.length;
    let handled = basicLength;
    if (basicLength > 0) output += "-";
    let n = INITIAL_N;
    let delta = 0;
    let bias = INITIAL_BIAS;
    while (handled < input.length) {
      let m = MAX_INT;
      for (let j = 0; j < input.length; j++) {
        if (input[j] >= n && input[j] < m) m = input[j];
      }
      const handledPlusOne = handled + 1;
      if (m - n > MathFloor((MAX_INT - delta) / handledPlusOne)) invalid();
      delta += (m - n) * handledPlusOne;
      n = m;
      for (let j = 0; j < input.length; j++) {
        const value = input[j];
        if (value < n && ++delta > MAX_INT) invalid();
        if (value === n) {
          let q = delta;
          for (let k = BASE; ; k += BASE) {
            const t = threshold(k, bias);
            if (q < t) break;
            output += StringFromCharCode(digitToBasic(t + ((q - t) % (BASE - t))));
            q = MathFloor((q - t) / (BASE - t));
          }
          output += StringFromCharCode(digitToBasic(q));
          bias = adapt(delta, handledPlusOne, handled === basicLength);
          delta = 0;
          handled++;
        }
      }
      delta++;
      n++;
    }
    return output;
  }

  // -- UTS #46 processing ----------------------------------------------------------------------
  function mapChars(domain) {
    const points = codePointsOf(domain);
    let processed = "";
    for (let i = 0; i < points.length; i++) {
      const c = points[i];
      const range = rangeOf(c);
      const kind = kinds[range];
      if (kind === "i") continue; // ignored
      processed += kind === "m" ? mapped[range] : StringFromCodePoint(c);
    }
    return processed;
  }

  function validateLabel(label, isBidi) {
    if (label.length === 0) return true;
    if (StringPrototypeNormalize(label, "NFC") !== label) return false;
    const points = codePointsOf(label);
    if (startsWithXn(label)) return false; // CheckHyphens is false
    for (let i = 0; i < label.length; i++) {
      if (StringPrototypeCharCodeAt(label, i) === 0x2e) return false;
    }
    if (test(regexes.combiningMarks, StringFromCodePoint(points[0]))) return false;
    for (let i = 0; i < points.length; i++) {
      const kind = kinds[rangeOf(points[i])];
      if (kind !== "v" && kind !== "x") return false; // valid or deviation (nontransitional)
    }
    // CheckJoiners: the ContextJ rules of RFC 5892, appendix A.
    let last = 0;
    for (let i = 0; i < points.length; i++) {
      const c = points[i];
      if (c !== 0x200c && c !== 0x200d) continue;
      if (i > 0) {
        if (test(regexes.combiningClassVirama, StringFromCodePoint(points[i - 1]))) continue;
        if (c === 0x200c) {
          let next = -1;
          for (let j = i + 1; j < points.length; j++) {
            if (points[j] === 0x200c) {
              next = j;
              break;
            }
          }
          let context = "";
          const end = next < 0 ? points.length : next;
          for (let j = last; j < end; j++) context += StringFromCodePoint(points[j]);
          if (test(regexes.validZWNJ, context)) {
            last = i + 1;
            continue;
          }
        }
      }
      return false;
    }
    // CheckBidi: RFC 5893, section 2, for a bidi domain name.
    if (isBidi) {
      const first = StringFromCodePoint(points[0]);
      let rtl;
      if (test(regexes.bidiS1LTR, first)) rtl = false;
      else if (test(regexes.bidiS1RTL, first)) rtl = true;
      else return false;
      if (rtl) {
        if (!test(regexes.bidiS2, label) || !test(regexes.bidiS3, label) ||
            (test(regexes.bidiS4EN, label) && test(regexes.bidiS4AN, label))) {
          return false;
        }
      } else if (!test(regexes.bidiS5, label) || !test(regexes.bidiS6, label)) {
        return false;
      }
    }
    return true;
  }

  function isBidiDomain(labels) {
    const decoded = newList();
    for (let i = 0; i < labels.length; i++) {
      let label = labels[i];
      if (startsWithXn(label)) {
        try {
          label = punycodeDecode(StringPrototypeSlice(label, 4));
        } catch {
          label = "";
        }
      }
      decoded[i] = label;
    }
    return test(regexes.bidiDomain, join(decoded, "."));
  }

  function toASCII(domain) {
    const labels = stringSplit(StringPrototypeNormalize(mapChars(domain), "NFC"), ".");
    const isBidi = isBidiDomain(labels);
    let error = false;
    for (let i = 0; i < labels.length; i++) {
      let label = labels[i];
      if (startsWithXn(label)) {
        if (hasNonASCII(label)) {
          error = true;
          continue;
        }
        try {
          label = punycodeDecode(StringPrototypeSlice(label, 4));
        } catch {
          error = true;
          continue;
        }
        labels[i] = label;
        if (label === "" || !hasNonASCII(label)) error = true;
      }
      if (error) continue;
      if (!validateLabel(label, isBidi)) error = true;
    }
    if (error) return null;
    for (let i = 0; i < labels.length; i++) {
      if (hasNonASCII(labels[i])) {
        try {
          labels[i] = "xn--" + punycodeEncode(labels[i]);
        } catch {
          return null;
        }
      }
    }
    return join(labels, ".");
  }

  return { __proto__: null, toASCII, punycodeDecode, punycodeEncode };
});
