// shims/web/45_encoding.js: TextEncoder and TextDecoder (Encoding standard, UTF-8 only).
// Exposes: `TextEncoder`, `TextDecoder` (90_install publishes them).
// Hides:   each decoder's options and the bytes of an incomplete sequence while streaming.
// Needs:   00_primordials, 06_utf8 (the codec), 41_webidl (bufferView).
// Load:    lazy (first use of either class).
//
// Both classes are thin: the encoding and decoding are 06_utf8's, shared with fetch bodies, so
// `new TextDecoder().decode(bytes)` and `response.text()` read any bytes alike.
(function (boot) {
  "use strict";
  const {
    RangeError, String, StringPrototypeCharCodeAt, StringPrototypeCodePointAt,
    StringPrototypeSlice, StringPrototypeToLowerCase, StringPrototypeTrim, TypeError,
    TypedArrayPrototypeGetLength, listPush, newList,
  } = boot.primordials;
  const BooleanCtor = boot.primordials.Boolean;
  const { bufferView } = boot.webidl;
  const { utf8Encode, utf8Decode } = boot.utf8;

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }

    encode(input = "") {
      return utf8Encode(String(input));
    }

    encodeInto(source, destination) {
      const bytes = utf8Encode(String(source));
      const room = TypedArrayPrototypeGetLength(destination);
      let written = 0;
      let read = 0;
      const text = String(source);
      for (let i = 0; i < text.length; i++) {
        const c = StringPrototypeCodePointAt(text, i);
        const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + size > room) break;
        for (let k = 0; k < size; k++) destination[written + k] = bytes[written + k];
        written += size;
        read += size === 4 ? 2 : 1;
        if (size === 4) i++;
      }
      return { read, written };
    }
  }

  const UTF8_LABELS = { __proto__: null, "utf-8": true, "utf8": true, "unicode-1-1-utf-8": true };

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending;
    #bomSeen;

    // `options` has no `{}` default: an object made here would meet user hooks on
    // Object.prototype ("fatal", "stream") as `this`; WebIDL reads nothing from a missing one.
    constructor(label = "utf-8", options = undefined) {
      const name = StringPrototypeToLowerCase(StringPrototypeTrim(String(label)));
      if (UTF8_LABELS[name] !== true) {
        throw new RangeError("The encoding label provided ('" + String(label) + "') is invalid.");
      }
      const given = options !== null && typeof options === "object";
      this.#fatal = given && BooleanCtor(options.fatal);
      this.#ignoreBOM = given && BooleanCtor(options.ignoreBOM);
      this.#pending = newList();
      this.#bomSeen = false;
    }

    get encoding() {
      return "utf-8";
    }

    get fatal() {
      return this.#fatal;
    }

    get ignoreBOM() {
      return this.#ignoreBOM;
    }

    decode(input, options = undefined) {
      const stream = options !== null && typeof options === "object" && BooleanCtor(options.stream);
      let bytes = newList();
      if (input !== undefined) {
        bytes = bufferView(input);
        if (bytes === undefined) {
          throw new TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
        }
      }
      let length = input === undefined ? 0 : TypedArrayPrototypeGetLength(bytes);
      // Bytes held back from the last streamed chunk come first.
      const pending = this.#pending;
      if (pending.length > 0) {
        const joined = newList();
        for (let i = 0; i < pending.length; i++) listPush(joined, pending[i]);
        for (let i = 0; i < length; i++) listPush(joined, bytes[i]);
        bytes = joined;
        length = joined.length;
      }
      this.#pending = newList();
      const decoded = utf8Decode(bytes, length, this.#fatal, stream);
      for (let i = length - decoded.rest; i < length; i++) listPush(this.#pending, bytes[i]);
      let text = decoded.text;
      if (!this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
        if (StringPrototypeCharCodeAt(text, 0) === 0xfeff) {
          text = StringPrototypeSlice(text, 1);
        }
      }
      if (text.length > 0) this.#bomSeen = true;
      if (!stream) this.#bomSeen = false;
      return text;
    }
  }

  return {
    __proto__: null, TextEncoder, TextDecoder,
  };
});
