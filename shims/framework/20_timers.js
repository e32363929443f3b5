// shims/framework/20_timers.js: setTimeout, clearTimeout, setInterval, clearInterval.
// Exposes: the four functions; `tick()` (fire the earliest due timer, one per host task so the
//          microtasks of each callback run before the next, as in a browser); `nextDueMs()`,
//          `dueCount()`, `count()`, `pendingJson()` for the host.
// Hides:   the timer table. An interval's id is args[0] when given (Appsmith): a new interval with
//          an id in use replaces the old one; clearInterval clears only the interval with exactly
//          that id and clearTimeout only the timeout, so clearing one never clears another
//          (Appsmith issue #29725). A non-function callback is ignored: strings are never evaluated.
// Needs:   00_primordials, 05_host (config: maxTimers), 15_clock, 18_framework; 70_run at call time.
// Load:    lazy (first timer function).
(function (boot) {
  "use strict";
  const {
    Map, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeGet, MapPrototypeGetSize,
    MapPrototypeHas, MapPrototypeSet, Number, NumberIsNaN, ObjectPrototypeIsPrototypeOf,
    PromisePrototype, RangeError, ReflectApply, listPush, newList, ArrayPrototypeJoin,
  } = boot.primordials;
  const { abort, jsonNumber, jsonString } = boot.host;
  const { guard } = boot.framework;
  const clock = boot.clock;

  const table = new Map(); // id -> timer record
  const state = {
    __proto__: null, nextId: 1, seq: 0, maxTimers: boot.host.config.maxTimers, dirty: false,
  };

  // HTML's timer delay: ToNumber, then WebIDL `long` (ToInt32), negatives are 0.
  function delayOf(value, fallback) {
    if (value === undefined) return fallback;
    let n = Number(value);
    if (NumberIsNaN(n)) return 0;
    n |= 0;
    return n < 0 ? 0 : n;
  }

  function schedule(id, kind, callback, delayMs, args) {
    if (!MapPrototypeHas(table, id) && MapPrototypeGetSize(table) >= state.maxTimers) {
      abort("limit", "too many timers: at most " + state.maxTimers + " may be pending at once",
        RangeError);
    }
    MapPrototypeDelete(table, id);
    MapPrototypeSet(table, id, {
      __proto__: null, id, kind, callback, delayMs, args, due: clock.now() + delayMs,
      seq: ++state.seq,
    });
    state.dirty = true;
  }

  function setTimeout(callback, delay, ...args) {
    guard("setTimeout");
    const id = state.nextId++;
    if (typeof callback === "function") schedule(id, "timeout", callback, delayOf(delay, 0), args);
    return id;
  }

  function setInterval(callback, delay = 300, ...args) {
    guard("setInterval");
    // args.length first: an index getter on Array.prototype must not invent an id.
    const custom = args.length > 0 && typeof args[0] === "string" && args[0] !== "" ? args[0]
      : undefined;
    const id = custom === undefined ? state.nextId++ : custom;
    if (typeof callback === "function") {
      schedule(id, "interval", callback, delayOf(delay, 300), args);
    } else if (custom !== undefined) {
      clear(id, "interval");
    }
    return id;
  }

  function clear(id, kind) {
    const timer = MapPrototypeGet(table, id);
    if (timer !== undefined && timer.kind === kind) {
      MapPrototypeDelete(table, id);
      state.dirty = true;
    }
  }

  function clearTimeout(id) {
    guard("clearTimeout");
    clear(id, "timeout");
  }

  function clearInterval(id) {
    guard("clearInterval");
    clear(id, "interval");
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
    try {
      const value = ReflectApply(timer.callback, undefined, timer.args);
      if (value !== null && typeof value === "object" &&
          ObjectPrototypeIsPrototypeOf(PromisePrototype, value)) {
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
      const id = typeof timer.id === "number" ? jsonNumber(timer.id) : jsonString(timer.id);
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
