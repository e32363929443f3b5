// shims/core/05_host.js: the sandbox's side of the host protocol.
// Exposes: `emit(channel, fragment)` to queue a record (a JSON text fragment) for the host,
//          `drain(channel)` for the reply builder, `abort(kind, message)` to end the evaluation
//          now, `readText(key)` to read a text from the host synchronously (library sources),
//          `config` (the evaluation's settings), `tables` (the host's rule tables by unit,
//          set at prepare: evaluator/capabilities `runtime_tables`), `plain(json)` (a
//          null-prototype copy), `setOf(list)`, `freeze` (deep), `json*` helpers that write
//          JSON text without calling user code.
// Hides:   the outbox, the host's signal functions and the read channel's buffer (handed to the
//          host once, as the reply to `prepare`); nothing reaches globalThis.
// Needs:   00_primordials.
// Load:    eager.
//
// There are no Python functions in the sandbox. The host calls the runtime's control function
// (70_run.js) with a JSON message and reads the JSON reply; records made in between (logs,
// actions, store ops, fetch requests) wait in the outbox below and leave with the next reply.
// Replies are built as text, never with JSON.stringify on objects, so a user's
// Object.prototype.toJSON cannot change them. `abort` calls a host signal: the host cancels the
// running task, which V8 turns into an uncatchable termination.
//
// `readText` is the one way JavaScript gets something from the host *now*, in the middle of a
// task (a library's source at the first read of its global): it writes the request into a
// buffer the host also sees (an ArrayBuffer whose memory the host holds since `prepare`), calls
// the host's `read` signal, which runs on the isolate's thread while JavaScript waits and writes
// the reply into the same buffer, and decodes it. Long texts come in chunks. Nothing is copied
// into the isolate until it is read, so an evaluation that never reads pays nothing for the
// texts the host could hand over (a library source kept as a string in every isolate would cost
// each one its copy).
(function (boot) {
  "use strict";
  const {
    ArrayBuffer, ArrayIsArray, ArrayPrototypeJoin, Error, JSONStringify, NumberIsFinite,
    ObjectFreeze, ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertyNames, ObjectHasOwn,
    ObjectKeys, ReflectApply, ReflectDefineProperty, String, StringFromCharCode,
    StringPrototypeCharCodeAt, StringPrototypeToWellFormed, TypedArrayPrototype, Uint16Array,
    Uint16ArrayPrototype, Uint32Array, Uint8Array, Uint8ArrayPrototype, listPush, newList,
  } = boot.primordials;

  const outbox = { __proto__: null };
  const signals = { __proto__: null };
  const state = { __proto__: null, abortKind: null, abortMessage: null };
  // The evaluation's settings, filled by 70_run's start before user code runs; capabilities
  // loaded later read it when they load.
  const config = { __proto__: null };
  // The host's rule tables, by unit (`tables.fetch`): filled by 70_run's prepare, before any user
  // code, from JSON the host owns, so no shim keeps a copy of a rule of its own.
  const tables = { __proto__: null };

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

  // The read channel: a 16-byte header of four uint32 words, then the payload.
  // Request: [1, key byte length, offset, 0], the key (ASCII) in the payload.
  // Reply:   [status (0 found, 1 unknown key, 2 failed), total bytes, chunk bytes, encoding
  //          (1 Latin-1, 2 UTF-16 in the host's byte order)], the chunk in the payload.
  const CHANNEL_BYTES = 65536;
  const HEADER_BYTES = 16;
  const DECODE_SLICE = 4096; // code units per String.fromCharCode call (arguments on the stack)
  const readBuffer = new ArrayBuffer(CHANNEL_BYTES);
  const channelWords = new Uint32Array(readBuffer, 0, 4);
  const channelBytes = new Uint8Array(readBuffer, HEADER_BYTES);
  // String.fromCharCode reads its arguments as an array-like: `length` is the inherited getter
  // of TypedArray.prototype, which user code can replace (and would then be handed our view of
  // the buffer). While it is the engine's own, V8 takes its fast path; otherwise each view gets
  // an own `length` first (ten times slower, but nothing of ours meets a user function).
  const lengthGetter = ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "length").get;

  function viewsAreSafe() {
    const desc = ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, "length");
    return desc !== undefined && ObjectHasOwn(desc, "get") && desc.get === lengthGetter &&
      !ObjectHasOwn(Uint8ArrayPrototype, "length") &&
      !ObjectHasOwn(Uint16ArrayPrototype, "length");
  }

  // The text the host holds under `key`, or undefined if it holds none. Throws if the host
  // failed (and a RangeError at the stack's edge): a partial read changes nothing.
  function readText(key) {
    const read = signals.read;
    if (read === undefined || key.length > 1024) return undefined;
    let text = "";
    let offset = 0;
    for (;;) {
      for (let i = 0; i < key.length; i++) {
        channelBytes[i] = StringPrototypeCharCodeAt(key, i) & 0x7f;
      }
      channelWords[0] = 1;
      channelWords[1] = key.length;
      channelWords[2] = offset;
      channelWords[3] = 0;
      ReflectApply(read, undefined, []);
      const status = channelWords[0];
      if (status === 1) return undefined;
      if (status !== 0) throw new Error("the host could not read " + key);
      const total = channelWords[1];
      const chunk = channelWords[2];
      const wide = channelWords[3] === 2;
      const units = wide ? chunk >>> 1 : chunk;
      const safe = viewsAreSafe();
      for (let i = 0; i < units; i += DECODE_SLICE) {
        const count = units - i < DECODE_SLICE ? units - i : DECODE_SLICE;
        // A fresh view made by the intrinsic constructor (no species lookup).
        const slice = wide ? new Uint16Array(readBuffer, HEADER_BYTES + 2 * i, count) :
          new Uint8Array(readBuffer, HEADER_BYTES + i, count);
        if (!safe) ReflectDefineProperty(slice, "length", { __proto__: null, value: count });
        text += ReflectApply(StringFromCharCode, undefined, slice);
      }
      offset += chunk;
      if (offset >= total || chunk === 0) return text;
    }
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

  // A copy of JSON data whose objects have no prototype and whose arrays are our own lists: what
  // the runtime keeps of host data it reads after user code ran (no user hook meets a lookup).
  function plain(value) {
    if (value === null || typeof value !== "object") return value;
    if (ArrayIsArray(value)) {
      const list = newList();
      for (let i = 0; i < value.length; i++) listPush(list, plain(value[i]));
      return list;
    }
    const copy = { __proto__: null };
    const keys = ObjectKeys(value);
    for (let i = 0; i < keys.length; i++) copy[keys[i]] = plain(value[keys[i]]);
    return copy;
  }

  function setTables(given) {
    const keys = ObjectKeys(given);
    for (let i = 0; i < keys.length; i++) tables[keys[i]] = plain(given[keys[i]]);
  }

  // A lookup table `{item: true}` (no prototype) of a list of strings or numbers.
  function setOf(list) {
    const set = { __proto__: null };
    for (let i = 0; i < list.length; i++) set[list[i]] = true;
    return set;
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
    __proto__: null, emit, drain, pending, setSignals, abort, state, config, tables, setTables,
    plain, setOf, freeze, jsonString, jsonNumber, readBuffer, readText,
  };
});
