// shims/core/05_host.js: the sandbox's side of the host protocol.
// Exposes: `emit(channel, fragment)` to queue a record (a JSON text fragment) for the host,
//          `drain(channel)` for the reply builder, `abort(kind, message)` to end the evaluation
//          now, `config` (the evaluation's settings), `tables` (the host's rule tables by unit,
//          set at prepare: evaluator/capabilities `runtime_tables`), `plain(json)` (a
//          null-prototype copy), `setOf(list)`, `freeze` (deep), `json*` helpers that write
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
    ArrayIsArray, ArrayPrototypeJoin, JSONStringify, NumberIsFinite, ObjectFreeze,
    ObjectGetOwnPropertyNames, ObjectKeys, ReflectApply, String, StringPrototypeToWellFormed,
    listPush, newList,
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
    plain, setOf, freeze, jsonString, jsonNumber,
  };
});
