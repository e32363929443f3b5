// shims/core/70_run.js: one evaluation, start to finish, and the control function the host calls.
// Exposes: `control` (returned by the bundle; only the host holds it) with ops prepare, start,
//          poll, tick, deliver, flush; `reportUncaught(e)` and `reportUnhandled(e)` for callbacks.
// Hides:   the evaluation state (phase, result, error) and the capability channels.
// Needs:   00_primordials, 05_host, 08_encode; the lazy capabilities and 90_install at call time.
// Load:    eager.
//
// Modes: `script` runs the code by indirect eval, so its completion value is the
// result (awaited when it is a thenable); `function` builds an AsyncFunction from the code and
// calls it with `args`; `expression` compiles `return (\n<code>\n)` and, to refuse code that is
// not one expression (`1); evil(`), also `return [\n<code>\n]`: a breakout that balances one
// bracket cannot balance the other. Compilation happens before anything runs and a SyntaxError
// there is left uncaught, so the host reads its line and column from V8's message. The user's
// code carries `//# sourceURL=<code>`, which is how stacks tell its frames from the runtime's.
//
// Capabilities the host carries out (evaluator/capabilities) are known here only as channels:
// `start` names each channel and the module that is its JS half (`{channel: module}`); replies
// carry every channel's records (`channels: {name: [records]}`), `deliver` hands each channel's
// results to its module's `deliver(items)`, and the modules' `inFlight()` counts as pending work.
(function (boot) {
  "use strict";
  const {
    AsyncFunction, DateNow, Eval, Function, JSONParse, NumberIsFinite, ObjectKeys,
    ObjectPrototypeIsPrototypeOf, PromisePrototype, ReflectApply, ReflectConstruct, String,
    StringPrototypeIndexOf, SyntaxErrorPrototype, listPush, newList,
  } = boot.primordials;
  const host = boot.host;
  const { jsonString, jsonNumber } = host;
  const loaded = boot.isLoaded;

  const SOURCE_URL = "\n//# sourceURL=<code>";
  const LINE_OFFSET = { __proto__: null, script: 0, function: 2, expression: 3 };
  const PROMISE_IN_FIELD =
    "Found a Promise() during evaluation. Data fields cannot execute asynchronous code.";

  // channel -> the module that is its JS half; `names` in registration order.
  const channels = { __proto__: null, names: newList(), modules: { __proto__: null } };

  const state = {
    __proto__: null,
    phase: "idle", // idle -> compiling -> running -> settled
    mode: "script",
    waitForTimers: false,
    maxResultBytes: 1048576,
    failed: false,
    value: undefined,
    error: undefined,
    errorName: null, // overrides the thrown value's name/message (expression-mode Promise)
    compileFailed: false,
  };

  function settleValue(value) {
    if (state.phase === "settled") return;
    state.phase = "settled";
    state.value = value;
  }

  function settleError(error) {
    if (state.phase === "settled") return;
    state.phase = "settled";
    state.failed = true;
    state.error = error;
  }

  async function awaitResult(value) {
    let settled;
    try {
      settled = await value;
    } catch (error) {
      settleError(error);
      return;
    }
    settleValue(settled);
  }

  function firstLine(value) {
    return boot.errors.headline(value);
  }

  // A throw in a timer or microtask callback: logged, the evaluation goes on.
  function reportUncaught(error) {
    boot.console.logLine("error", "Uncaught " + firstLine(error));
  }

  // A rejected promise nobody handled (that the runtime can see): logged as a browser does.
  function reportUnhandled(error) {
    boot.console.logLine("error", "Uncaught (in promise) " + firstLine(error));
  }

  function compile(mode, code) {
    if (mode === "function") {
      return ReflectConstruct(AsyncFunction, [code + SOURCE_URL]);
    }
    if (mode === "expression") {
      const fn = ReflectConstruct(Function, ["return (\n" + code + "\n)" + SOURCE_URL]);
      ReflectConstruct(Function, ["return [\n" + code + "\n]" + SOURCE_URL]);
      return fn;
    }
    // Script: a function body accepts every script (plus top-level return and new.target), so
    // this finds the syntax errors without running anything.
    ReflectConstruct(Function, [code + SOURCE_URL]);
    return undefined;
  }

  // Whether `value` has `proto` on its chain. A thrown or returned Proxy may have a
  // getPrototypeOf trap that throws: that answers false here, never escapes into the op.
  function inherits(proto, value) {
    try {
      return ObjectPrototypeIsPrototypeOf(proto, value);
    } catch {
      return false;
    }
  }

  function isCompileError(error) {
    // A SyntaxError with no frame in the user's code came from compiling it (top-level return).
    if (!inherits(SyntaxErrorPrototype, error)) return false;
    let stack;
    try {
      stack = error.stack;
    } catch {
      return false;
    }
    return typeof stack === "string" && StringPrototypeIndexOf(stack, "<code>:") === -1;
  }

  function run(mode, code, compiled, args) {
    if (mode === "script") {
      let value;
      try {
        value = ReflectApply(Eval, undefined, [code + SOURCE_URL]);
      } catch (error) {
        if (isCompileError(error)) state.compileFailed = true;
        settleError(error);
        return;
      }
      awaitResult(value);
    } else if (mode === "function") {
      awaitResult(ReflectApply(compiled, undefined, args));
    } else {
      let value;
      try {
        value = ReflectApply(compiled, undefined, []);
      } catch (error) {
        settleError(error);
        return;
      }
      if (value !== null && typeof value === "object" && inherits(PromisePrototype, value)) {
        state.errorName = "Error";
        settleError(PROMISE_IN_FIELD);
        return;
      }
      settleValue(value);
    }
  }

  function start(message) {
    const limits = message.limits;
    state.mode = message.mode;
    state.waitForTimers = message.wait_for_timers;
    state.maxResultBytes = limits.max_result_bytes;
    // Everything a capability needs when it loads (on first use, maybe after user code ran).
    const config = host.config;
    config.mode = message.mode;
    config.startMs = DateNow();
    config.clock = message.clock;
    config.nowMs = message.now_ms;
    config.randomSeed = message.random_seed;
    config.maxLogEntries = limits.max_log_entries;
    config.maxLogBytes = limits.max_log_bytes;
    config.maxTimers = limits.max_timers;
    config.maxResultBytes = limits.max_result_bytes;
    config.maxOutputBytes = limits.max_output_bytes;
    config.memoryBytes = limits.memory_bytes;
    config.limits = host.plain(limits);
    config.cryptoKey = message.crypto_key;
    config.store = message.store;
    config.dataField = message.mode === "expression";
    config.lineOffset = LINE_OFFSET[message.mode];
    setChannels(message.channels);
    if (message.clock === "virtual" || message.random_seed !== null) {
      boot.clock; // load now: it replaces Math.random, and install() publishes its Date
    }
    boot.install.installRequest(message);

    state.phase = "compiling";
    const compiled = compile(message.mode, message.code); // a SyntaxError stays uncaught
    state.phase = "running";
    run(message.mode, message.code, compiled, message.args);
    return reply(false);
  }

  function setChannels(given) {
    if (given === undefined || given === null) return;
    const names = ObjectKeys(given);
    for (let i = 0; i < names.length; i++) {
      if (channels.modules[names[i]] === undefined) listPush(channels.names, names[i]);
      channels.modules[names[i]] = `${given[names[i]]}`;
    }
  }

  // Work the capabilities' JS halves still wait for (requests in flight).
  function inFlight() {
    let count = 0;
    for (let i = 0; i < channels.names.length; i++) {
      const module = channels.modules[channels.names[i]];
      if (loaded(module)) count += boot[module].inFlight();
    }
    return count;
  }

  function sweepChannels() {
    for (let i = 0; i < channels.names.length; i++) {
      const module = channels.modules[channels.names[i]];
      if (loaded(module) && boot[module].sweep !== undefined) boot[module].sweep();
    }
  }

  function deliver(given) {
    const names = ObjectKeys(given);
    for (let i = 0; i < names.length; i++) {
      const module = channels.modules[names[i]];
      if (module !== undefined && loaded(module)) boot[module].deliver(given[names[i]]);
    }
  }

  // Every channel's records since the last reply, as `{"name":[...],...}`.
  function channelsJson() {
    let text = "";
    for (let i = 0; i < channels.names.length; i++) {
      const name = channels.names[i];
      text += (i === 0 ? "" : ",") + jsonString(name) + ":" + host.drain(name);
    }
    return "{" + text + "}";
  }

  function timerCount() {
    return loaded("timers") ? boot.timers.count() : 0;
  }

  function finished() {
    if (state.phase !== "settled") return false;
    if (!state.waitForTimers) return true;
    return timerCount() === 0 && inFlight() === 0;
  }

  function outcomeJson() {
    if (host.state.abortKind !== null) {
      return "{\"ok\":false,\"error\":" + boot.errors.errorJson(host.state.abortKind, {
        __proto__: null, name: "RangeError", message: host.state.abortMessage, line: null,
        column: null, stack: null,
      }) + "}";
    }
    if (state.failed) {
      const info = boot.errors.describeError(state.error);
      if (state.errorName !== null) {
        info.name = state.errorName;
        info.stack = info.name + ": " + info.message;
      }
      const kind = state.compileFailed ? "syntax" : "runtime";
      return "{\"ok\":false,\"error\":" + boot.errors.errorJson(kind, info) + "}";
    }
    const value = state.value;
    const type = typeof value;
    // Primitives need no encoder (the common case: it then never loads).
    if (value === null || value === undefined || type === "boolean" ||
        (type === "number" && NumberIsFinite(value))) {
      const resultType = value === null ? "null" : type;
      return "{\"ok\":true,\"result_type\":\"" + resultType + "\",\"result\":" +
        (value === undefined ? "null" : String(value)) + "}";
    }
    if (type === "string" && value.length <= state.maxResultBytes / 6) {
      return "{\"ok\":true,\"result_type\":\"string\",\"result\":" + jsonString(value) + "}";
    }
    const { encode, EncodeFailure, resultType } = boot.encode;
    let text;
    try {
      text = encode(value, {
        maxBytes: state.maxResultBytes, onCycle: "fail", onThrow: "fail", root: "the result",
      });
    } catch (error) {
      if (!(error instanceof EncodeFailure)) throw error;
      return "{\"ok\":false,\"error\":" + boot.errors.errorJson(error.kind, {
        __proto__: null, name: error.kind === "limit" ? "RangeError" : "TypeError",
        message: error.message, line: null, column: null, stack: null,
      }) + "}";
    }
    return "{\"ok\":true,\"result_type\":" + jsonString(resultType(value)) + ",\"result\":" +
      text + "}";
  }

  // The reply to every op: records since the last reply, and where the evaluation stands.
  function reply(final) {
    let phase = state.phase === "compiling" ? "syntax" : state.phase;
    let outcome = "null";
    // A final (flush) reply follows a termination: it carries records only and runs no user code.
    if (!final && phase !== "syntax" && (host.state.abortKind !== null || finished())) {
      outcome = outcomeJson();
      phase = "done";
    }
    let next = null;
    let pending = null;
    let due = 0;
    if (loaded("timers")) {
      const timers = boot.timers;
      next = timers.nextDueMs();
      pending = timers.pendingJson(final || phase === "done");
      due = timers.dueCount();
    }
    if (loaded("finalization")) due += boot.finalization.pending();
    const wait = next === null ? null : next - boot.clock.now();
    return "{\"phase\":" + jsonString(phase) +
      ",\"outcome\":" + outcome +
      ",\"logs\":" + host.drain("logs") +
      ",\"logs_truncated\":" + (loaded("console") && boot.console.truncated() ? "true" : "false") +
      ",\"actions\":" + host.drain("actions") +
      ",\"store_ops\":" + host.drain("store_ops") +
      ",\"channels\":" + channelsJson() +
      ",\"timers\":" + (pending === null ? "null" : pending) +
      ",\"due\":" + due +
      ",\"wait_ms\":" + (wait === null ? "null" : jsonNumber(wait < 0 ? 0 : wait)) +
      ",\"in_flight\":" + inFlight() +
      ",\"abort\":" + (host.state.abortKind === null ? "null" : "{\"kind\":" +
        jsonString(host.state.abortKind) + ",\"message\":" + jsonString(host.state.abortMessage) +
        "}") + "}";
  }

  // V8 compiles a function on its first call. Calling the reply path once while the sandbox is
  // prepared (off any request's path) moves that cost out of every evaluation. It touches no
  // state an evaluation could see.
  function warmUp() {
    reply(false);
  }

  function control(...handles) {
    const message = JSONParse(this);
    // Rejected promises nobody handled are reported once the microtasks that could have handled
    // them have run: at the start of the next op (flush runs no user code). The runtime's own
    // (16_promises), then each capability's that keeps its own list (fetch, for now).
    if (message.op !== "flush") {
      if (loaded("promises")) boot.promises.sweep();
      sweepChannels();
    }
    switch (message.op) {
      case "prepare":
        host.setSignals(message.signals, handles);
        host.setTables(message.tables);
        boot.install.prepare(message);
        warmUp();
        return host.readBuffer; // the host keeps it: the memory host.readText shares with it
      case "start":
        return start(message);
      case "poll":
        return reply(false);
      case "tick":
        // One callback per tick: a cleanup callback of a FinalizationRegistry if one is waiting
        // (57_finalization), else the earliest due timer.
        if (!(state.phase === "settled" && !state.waitForTimers) &&
            host.state.abortKind === null) {
          if (!(loaded("finalization") && boot.finalization.runOne()) && loaded("timers")) {
            boot.timers.tick();
          }
        }
        return reply(false);
      case "deliver":
        deliver(message.channels);
        return reply(false);
      case "flush":
        return reply(true);
      default:
        throw new boot.primordials.TypeError("unknown op");
    }
  }

  return { __proto__: null, control, reportUncaught, reportUnhandled, state };
});
