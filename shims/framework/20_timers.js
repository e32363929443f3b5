// shims/framework/20_timers.js: setTimeout, clearTimeout, setInterval, clearInterval.
// Exposes: the four functions; `tick()` (fire the earliest due timer, one per host task so the
//          microtasks of each callback run before the next, as in a browser); `nextDueMs()`,
//          `dueCount()`, `count()`, `pendingJson()` for the host.
// Hides:   the timer table (internal id -> timer) and the interval keys (key -> internal id).
// Needs:   00_primordials, 05_host (config: maxTimers, maxResultBytes), 15_clock, 18_framework;
//          70_run, 16_promises and 08_encode (a long key) at call time.
// Load:    lazy (first timer function).
//
// As Appsmith's overrides (workers/Evaluation/fns/overrides/interval.ts, timeout.ts) over a
// browser's timers: ids are numbers from 1, shared by timeouts and intervals. setInterval's delay
// defaults to 300; the interval is registered under `args[0] || internalId` (any truthy value is
// a key, compared as a Map compares); a new interval under a key in use clears the old one; it
// returns the internal id; every extra argument (the key first) goes to the callback.
// clearInterval(key) clears only the interval registered under that key (so not one by its
// internal id when it has a custom key). clearTimeout is the browser's: it clears the timer with
// that id, timeout or interval. A non-function callback is never called (strings are never
// evaluated), but its timer exists, as in Appsmith, whose wrapper tests the callback when it fires.
(function (boot) {
  "use strict";
  const {
    Map, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeGet, MapPrototypeGetSize,
    MapPrototypeSet, ObjectPrototypeIsPrototypeOf, PromisePrototype, RangeError, ReflectApply,
    TypeError, listPush, newList, ArrayPrototypeJoin,
  } = boot.primordials;
  const { abort, jsonNumber, jsonString } = boot.host;
  const { guard, copyText } = boot.framework;
  const clock = boot.clock;

  const table = new Map(); // internal id -> timer record
  const intervals = new Map(); // key -> internal id (Appsmith's intervalIdMap)
  const state = {
    __proto__: null, nextId: 1, seq: 0, maxTimers: boot.host.config.maxTimers,
    maxKeyBytes: boot.host.config.maxResultBytes, dirty: false,
  };

  const MAX_KEY_ECHO_BYTES = 1024;

  // WebIDL `long` (ToNumber, then ToInt32): a timer id, or a delay before HTML clamps it.
  function toLong(value) {
    return +value | 0;
  }

  // HTML's timer delay: negatives are 0.
  function delayOf(value) {
    const n = toLong(value);
    return n < 0 ? 0 : n;
  }

  function schedule(kind, callback, delayMs, args, key, keyJson) {
    if (MapPrototypeGetSize(table) >= state.maxTimers) {
      abort("limit", "too many timers: at most " + state.maxTimers + " may be pending at once",
        RangeError);
    }
    const id = state.nextId++;
    MapPrototypeSet(table, id, {
      __proto__: null, id, kind, callback, delayMs, args, key, keyJson,
      due: clock.now() + delayMs, seq: ++state.seq,
    });
    state.dirty = true;
    return id;
  }

  function remove(id) {
    const timer = MapPrototypeGet(table, id);
    if (timer === undefined) return;
    MapPrototypeDelete(table, id);
    state.dirty = true;
  }

  // A custom interval key as `timers.pending[].id` shows it: JSON by the result rules, written
  // once, when the interval is registered (a key is any value; a cycle is marked, not refused).
  // A string key is echoed cut at 1 KiB (SPEC: an answer is bounded; every reply repeats the
  // pending list, so 1,000 keys of 1 MiB would copy 1 GB out per change).
  function keyJson(key) {
    if (typeof key === "number") return jsonNumber(key);
    if (typeof key === "string") {
      if (key.length > state.maxKeyBytes) {
        throw new TypeError("cannot copy the interval id: it is larger than " +
          state.maxKeyBytes + " bytes");
      }
      return jsonString(key.length * 3 <= MAX_KEY_ECHO_BYTES ? key
        : boot.encode.cutText(key, MAX_KEY_ECHO_BYTES));
    }
    return copyText(key, "the interval id", state.maxKeyBytes, true);
  }

  function setTimeout(callback, delay, ...args) {
    guard("setTimeout");
    return schedule("timeout", callback, delayOf(delay), args, undefined, null);
  }

  function setInterval(callback, delay = 300, ...args) {
    guard("setInterval");
    // args.length first: an index getter on Array.prototype must not invent a key.
    const key = args.length > 0 ? args[0] : undefined;
    const json = key ? keyJson(key) : null;
    const delayMs = delayOf(delay);
    const running = MapPrototypeGet(intervals, key);
    if (running !== undefined) {
      remove(running);
      MapPrototypeDelete(intervals, key);
    }
    const id = schedule("interval", callback, delayMs, args, key, json);
    MapPrototypeSet(intervals, key ? key : id, id);
    return id;
  }

  function clearTimeout(id) {
    guard("clearTimeout");
    const timer = MapPrototypeGet(table, toLong(id));
    if (timer === undefined) return;
    remove(timer.id);
    // An interval cleared by its internal id leaves no key behind (Appsmith's map would keep a
    // dead entry; nothing can tell the two apart).
    if (timer.kind === "interval") {
      const key = timer.key ? timer.key : timer.id;
      if (MapPrototypeGet(intervals, key) === timer.id) MapPrototypeDelete(intervals, key);
    }
  }

  function clearInterval(key) {
    guard("clearInterval");
    const id = MapPrototypeGet(intervals, key);
    if (id === undefined) return;
    MapPrototypeDelete(intervals, key);
    remove(id);
  }

  function earliest(onlyDue) {
    let best;
    const now = clock.now();
    MapPrototypeForEach(table, (timer) => {
      if (onlyDue && !clock.virtual() && timer.due > now) return;
      if (best === undefined || timer.due < best.due ||
          (timer.due === best.due && timer.seq < best.seq)) best = timer;
    });
    return best;
  }

  async function reportRejection(promise) {
    try {
      await promise;
    } catch (error) {
      boot.run.reportUnhandled(error);
    }
  }

  // Fire the earliest due timer, if any; returns whether one fired.
  function tick() {
    const timer = earliest(true);
    if (timer === undefined) return false;
    if (clock.virtual()) clock.advanceTo(timer.due);
    if (timer.kind === "timeout") {
      MapPrototypeDelete(table, timer.id);
      state.dirty = true;
    } else {
      timer.due = (clock.virtual() ? timer.due : clock.now()) + timer.delayMs;
      timer.seq = ++state.seq;
    }
    if (typeof timer.callback !== "function") return true;
    try {
      const value = ReflectApply(timer.callback, undefined, timer.args);
      // A promise the callback returns is reported if it rejects (an async callback that
      // throws); the runtime's own promises report themselves, only if nobody handles them.
      if (value !== null && typeof value === "object" &&
          ObjectPrototypeIsPrototypeOf(PromisePrototype, value) &&
          !(boot.isLoaded("promises") && boot.promises.isOwned(value))) {
        reportRejection(value);
      }
    } catch (error) {
      boot.run.reportUncaught(error);
    }
    return true;
  }

  function nextDueMs() {
    const timer = earliest(false);
    return timer === undefined ? null : timer.due;
  }

  function dueCount() {
    if (clock.virtual()) return MapPrototypeGetSize(table);
    const now = clock.now();
    let n = 0;
    MapPrototypeForEach(table, (timer) => {
      if (timer.due <= now) n++;
    });
    return n;
  }

  function count() {
    return MapPrototypeGetSize(table);
  }

  // The pending timers as JSON, in scheduling order; null if unchanged since the last call.
  function pendingJson(force) {
    if (!state.dirty && !force) return null;
    state.dirty = false;
    const parts = newList();
    MapPrototypeForEach(table, (timer) => {
      const id = timer.keyJson === null ? jsonNumber(timer.id) : timer.keyJson;
      listPush(parts, "{\"id\":" + id + ",\"kind\":\"" + timer.kind + "\",\"delay_ms\":" +
        jsonNumber(timer.delayMs) + "}");
    });
    return "[" + ArrayPrototypeJoin(parts, ",") + "]";
  }

  return {
    __proto__: null, setTimeout, clearTimeout, setInterval, clearInterval, tick, nextDueMs,
    dueCount, count, pendingJson,
  };
});
