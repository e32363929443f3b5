// shims/core/05_host.js: the sandbox's side of the host protocol.
// Exposes: `emit(channel, fragment)` to queue a record (a JSON text fragment) for the host,
//          `drain(channel)` for the reply builder, `abort(kind, message)` to end the evaluation
//          now, `config` (the evaluation's settings), `freeze` (deep), `json*` helpers that write
//          JSON text without calling user code.
// Hides:   the outbox and the host's signal functions; nothing reaches globalThis.
// Needs:   00_primordials.
// Load:    eager.
//
// There are no Python functions in the sandbox. The host calls the runtime's control function
// (70_run.js) with a JSON message and reads the JSON reply; records made in between (logs,
// actions, store ops, fetch requests) wait in the outbox below and leave with the next reply.
// Replies are built as text, never with JSON.stringify on objects, so a user's
// Object.prototype.toJSON cannot change them. `abort` calls a host signal: the host cancels the
// running task, which V8 turns into an uncatchable termination.
(function (boot) {
  "use strict";
  const {
    ArrayPrototypeJoin, JSONStringify, NumberIsFinite, ObjectFreeze, ObjectGetOwnPropertyNames,
    ReflectApply, String, StringPrototypeCharCodeAt, StringPrototypeToWellFormed, listPush,
    newList,
  } = boot.primordials;

  const outbox = { __proto__: null };
  const signals = { __proto__: null };
  const state = { __proto__: null, abortKind: null, abortMessage: null };
  // The evaluation's settings, filled by 70_run's start before user code runs; capabilities
  // loaded later read it when they load.
  const config = { __proto__: null };

  function emit(channel, fragment) {
    let list = outbox[channel];
    if (list === undefined) {
      list = newList();
      outbox[channel] = list;
    }
    listPush(list, fragment);
  }

  // The queued fragments of a channel as one JSON array text; empties the channel.
  function drain(channel) {
    const list = outbox[channel];
    if (list === undefined || list.length === 0) return "[]";
    outbox[channel] = undefined;
    return "[" + ArrayPrototypeJoin(list, ",") + "]";
  }

  function pending(channel) {
    const list = outbox[channel];
    return list === undefined ? 0 : list.length;
  }

  function setSignals(names, functions) {
    for (let i = 0; i < names.length; i++) signals[names[i]] = functions[i];
  }

  // End the evaluation with `kind` ("memory", "limit"). Called from anywhere in the runtime;
  // the host terminates the running JavaScript. The throw below is what happens if it cannot
  // (no task running): user code may catch it, but the host still ends with `kind`.
  function abort(kind, message, ErrorClass) {
    if (state.abortKind === null) {
      state.abortKind = kind;
      state.abortMessage = message;
    }
    const signal = signals[kind];
    if (signal !== undefined) ReflectApply(signal, undefined, []);
    throw new ErrorClass(message);
  }

  // UTF-8 byte length of a string, a lone surrogate counting as U+FFFD (3 bytes): what
  // TextEncoder, fetch bodies and the log byte cap all count.
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

  // UTF-8 bytes of a string (lone surrogates as U+FFFD), charged to the memory budget
  // (55_memory, loaded by then: it is eager).
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

  // Deep-freeze plain JSON data (request globals, store values): read-only all the way down.
  function freeze(value) {
    if (value === null || typeof value !== "object") return value;
    const names = ObjectGetOwnPropertyNames(value);
    for (let i = 0; i < names.length; i++) freeze(value[names[i]]);
    return ObjectFreeze(value);
  }

  function jsonString(value) {
    return JSONStringify(StringPrototypeToWellFormed(String(value)));
  }

  function jsonNumber(value) {
    return NumberIsFinite(value) ? String(value) : "null";
  }

  return {
    __proto__: null, emit, drain, pending, setSignals, abort, state, config, freeze, jsonString,
    jsonNumber, utf8Length, utf8Encode,
  };
});
