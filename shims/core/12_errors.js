// shims/core/12_errors.js: thrown values as the result's `error` objects, with user frames only.
// Exposes: `describeError(value)` -> {name, message, line, column, stack}; `errorJson(kind, info)`;
//          `headline(value)` ("Name: message", a browser's first line of an uncaught error; it
//          never reads `stack`, so a user Error.prepareStackTrace is not handed errors the user
//          never held, such as a rejection nobody handled); `captureUserStack()` (the frames of
//          the current call, for console.trace);
// Hides:   the frame filter. Frames of the runtime (sourceURL jseval:runtime) are dropped; frames of
//          the user's code (sourceURL <code>) are kept with line numbers made relative to `code`.
//          Caps (SPEC section 2): `message` is cut at 16 KiB, `stack` at 64 KiB and `name` at
//          1 KiB (UTF-8, ending with "…"), before anything is copied out of the isolate.
// Needs:   00_primordials, 05_host, 08_encode.
// Load:    lazy (first error to describe).
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, ErrorCaptureStackTrace, Number, NumberIsInteger, String,
    StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice,
    StringPrototypeStartsWith, listPush, newList, stringSplit,
  } = boot.primordials;
  const { jsonString } = boot.host;
  const { cutText, encode, isError } = boot.encode;

  const MAX_MESSAGE_BYTES = 16384;
  const MAX_STACK_BYTES = 65536;
  const MAX_NAME_BYTES = 1024;

  const SOURCE = "<code>:";
  const config = boot.host.config; // lineOffset: wrapper lines before the user's code

  function readDigits(text, start) {
    let end = start;
    while (end < text.length) {
      const c = StringPrototypeCharCodeAt(text, end);
      if (c < 48 || c > 57) break;
      end++;
    }
    return end;
  }

  // Rewrite every "<code>:L:C" in a frame line to user-relative positions; remember the first.
  function rewriteFrame(line, position) {
    let out = "";
    let from = 0;
    for (;;) {
      const at = StringPrototypeIndexOf(line, SOURCE, from);
      if (at === -1) break;
      const lineStart = at + SOURCE.length;
      const lineEnd = readDigits(line, lineStart);
      if (lineEnd === lineStart || line[lineEnd] !== ":") {
        out += StringPrototypeSlice(line, from, lineStart);
        from = lineStart;
        continue;
      }
      const columnEnd = readDigits(line, lineEnd + 1);
      let lineNumber = Number(StringPrototypeSlice(line, lineStart, lineEnd)) - config.lineOffset;
      if (lineNumber < 1) lineNumber = 1;
      const column = Number(StringPrototypeSlice(line, lineEnd + 1, columnEnd));
      if (position.line === null && NumberIsInteger(column) && columnEnd > lineEnd + 1) {
        position.line = lineNumber;
        position.column = column;
      }
      out += StringPrototypeSlice(line, from, lineStart) + lineNumber;
      from = lineEnd;
    }
    return out + StringPrototypeSlice(line, from);
  }

  // The user frames of a V8 stack text, rewritten; `position` gets the first one's line/column.
  function userFrames(stack, position) {
    const kept = newList();
    if (typeof stack !== "string") return kept;
    const lines = stringSplit(stack, "\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!StringPrototypeStartsWith(line, "    at ")) continue;
      if (StringPrototypeIndexOf(line, SOURCE) === -1) continue;
      listPush(kept, rewriteFrame(line, position));
    }
    return kept;
  }

  function safeRead(read, fallback) {
    try {
      const value = read();
      return value === undefined ? fallback : String(value);
    } catch {
      return fallback;
    }
  }

  function describeError(value) {
    const position = { __proto__: null, line: null, column: null };
    let name;
    let message;
    let stack;
    if (isError(value)) {
      name = cutText(safeRead(() => value.name, "Error"), MAX_NAME_BYTES);
      const fullMessage = safeRead(() => value.message, "");
      message = cutText(fullMessage, MAX_MESSAGE_BYTES);
      // V8 writes the stack, on first read, with the whole message in its first line: for a
      // message past the cap that is a copy of it (hundreds of MB). Its frames are given up.
      if (message === fullMessage) {
        try {
          stack = value.stack;
        } catch {
          stack = undefined;
        }
      }
    } else {
      name = "Error";
      if (typeof value === "string") {
        message = cutText(value, MAX_MESSAGE_BYTES);
      } else {
        try {
          message = cutText(encode(value, {
            maxBytes: MAX_STACK_BYTES, onCycle: "mark", onThrow: "mark", root: "the thrown value",
          }), MAX_MESSAGE_BYTES);
        } catch {
          message = cutText(safeRead(() => value, "a value that cannot be shown"),
            MAX_MESSAGE_BYTES);
        }
      }
    }
    const frames = userFrames(stack, position);
    const header = message === "" ? name : name + ": " + message;
    return {
      __proto__: null,
      name,
      message,
      line: position.line,
      column: position.column,
      stack: cutText(frames.length === 0 ? header
        : header + "\n" + ArrayPrototypeJoin(frames, "\n"), MAX_STACK_BYTES),
    };
  }

  function headline(value) {
    if (!isError(value)) {
      try {
        return String(value);
      } catch {
        return "a value that cannot be shown";
      }
    }
    const name = safeRead(() => value.name, "Error");
    const message = safeRead(() => value.message, "");
    return message === "" ? name : name + ": " + message;
  }

  function captureUserStack() {
    const holder = { __proto__: null };
    try {
      ErrorCaptureStackTrace(holder);
      return ArrayPrototypeJoin(userFrames(holder.stack, { __proto__: null, line: null }), "\n");
    } catch {
      return "";
    }
  }

  function errorJson(kind, info) {
    const number = (n) => (n === null ? "null" : String(n));
    return "{\"kind\":" + jsonString(kind) + ",\"name\":" + jsonString(info.name) +
      ",\"message\":" + jsonString(info.message) + ",\"line\":" + number(info.line) +
      ",\"column\":" + number(info.column) + ",\"stack\":" +
      (info.stack === null || info.stack === undefined ? "null" : jsonString(info.stack)) + "}";
  }

  return {
    __proto__: null, describeError, headline, captureUserStack, errorJson, userFrames,
  };
});
