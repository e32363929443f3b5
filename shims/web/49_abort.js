// shims/web/49_abort.js: AbortController and AbortSignal (DOM standard), for fetch and user code.
// Exposes: the two globals (90_install publishes them); for the runtime: `signalAborted`,
//          `signalReason`, `signalOn(signal, algorithm)` (abort steps, with a handle whose
//          `active` turns them off), `newSignal()`, `followSignals(list)` (a dependent signal)
//          and `isSignal` (brand check).
// Hides:   every signal's state (private fields: user code can neither read nor forge it).
// Needs:   00_primordials, 41_webidl; 70_run (reportUncaught) and 20_timers
//          (AbortSignal.timeout) at call time.
// Load:    lazy (first use of either class, or of fetch).
//
// Listeners are the DOM's for one event type, "abort": `addEventListener` with `once` and
// `signal`, `onabort`, handleEvent objects; a throwing listener is reported as uncaught and the
// others still run. The abort reason defaults to an AbortError; `AbortSignal.timeout` aborts
// with a TimeoutError (both DOMException names, with their legacy codes).
(function (boot) {
  "use strict";
  const {
    ReflectApply, SymbolIterator, TypeError, listPush, newList,
  } = boot.primordials;
  const {
    fail, requireArgs, isObject, readSequence, markClass, setTag, domErrorClass,
  } = boot.webidl;

  const INTERNAL = { __proto__: null }; // constructor token: internal construction only
  const AbortError = domErrorClass("AbortError", 20);
  const TimeoutError = domErrorClass("TimeoutError", 23);

  let signalAborted;  // (signal) -> bool
  let signalReason;   // (signal) -> reason
  let signalOn;       // (signal, algorithm) -> handle with .active
  let abortSignalNow; // (signal, reason)
  let newSignal;      // () -> AbortSignal
  let followSignals;  // (sources list) -> dependent AbortSignal
  let isSignal;       // (value) -> brand check

  class AbortSignal {
    #aborted;
    #reason;
    #listeners;
    #algorithms;
    #dependents;
    #handler;

    constructor(token) {
      if (token !== INTERNAL) throw new TypeError("Illegal constructor");
      this.#aborted = false;
      this.#reason = undefined;
      this.#listeners = newList();
      this.#algorithms = newList();
      this.#dependents = newList();
      this.#handler = null;
    }

    static {
      isSignal = (value) => isObject(value) && #aborted in value;
      signalAborted = (signal) => signal.#aborted;
      signalReason = (signal) => signal.#reason;
      newSignal = () => new AbortSignal(INTERNAL);
      signalOn = (signal, algorithm) => {
        const handle = { __proto__: null, algorithm, active: true };
        listPush(signal.#algorithms, handle);
        return handle;
      };
      abortSignalNow = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason === undefined ?
          new AbortError("signal is aborted without reason") : reason;
        const dependents = newList();
        const list = signal.#dependents;
        for (let i = 0; i < list.length; i++) {
          const dependent = list[i];
          if (!dependent.#aborted) {
            dependent.#aborted = true;
            dependent.#reason = signal.#reason;
            listPush(dependents, dependent);
          }
        }
        signal.#runAbortSteps();
        for (let i = 0; i < dependents.length; i++) dependents[i].#runAbortSteps();
      };
      followSignals = (sources) => {
        const result = new AbortSignal(INTERNAL);
        for (let i = 0; i < sources.length; i++) {
          if (sources[i].#aborted) {
            result.#aborted = true;
            result.#reason = sources[i].#reason;
            return result;
          }
        }
        for (let i = 0; i < sources.length; i++) listPush(sources[i].#dependents, result);
        return result;
      };
    }

    #runAbortSteps() {
      const algorithms = this.#algorithms;
      this.#algorithms = newList();
      for (let i = 0; i < algorithms.length; i++) {
        if (algorithms[i].active) algorithms[i].algorithm(this.#reason);
      }
      const event = {
        type: "abort", target: this, currentTarget: this, isTrusted: true, bubbles: false,
        cancelable: false, defaultPrevented: false, eventPhase: 2, timeStamp: 0,
      };
      const listeners = newList();
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) listPush(listeners, list[i]);
      for (let i = 0; i < listeners.length; i++) {
        const entry = listeners[i];
        if (entry.removed) continue;
        if (entry.once) this.#remove(entry.callback);
        const callback = entry.handler ? this.#handler : entry.callback;
        if (callback === null || callback === undefined) continue;
        try {
          if (typeof callback === "function") {
            ReflectApply(callback, this, [event]);
          } else {
            const handleEvent = callback.handleEvent;
            ReflectApply(handleEvent, callback, [event]);
          }
        } catch (error) {
          boot.run.reportUncaught(error);
        }
      }
    }

    #remove(callback) {
      const kept = newList();
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) {
        if (!list[i].handler && list[i].callback === callback) list[i].removed = true;
        else listPush(kept, list[i]);
      }
      this.#listeners = kept;
    }

    get aborted() {
      return this.#aborted;
    }

    get reason() {
      return this.#reason;
    }

    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }

    get onabort() {
      return this.#handler;
    }

    set onabort(value) {
      const handler = typeof value === "function" || isObject(value) ? value : null;
      if (this.#handler === null && handler !== null) {
        listPush(this.#listeners, { __proto__: null, handler: true, callback: null, once: false,
          removed: false });
      }
      this.#handler = handler;
    }

    addEventListener(type, callback, options = undefined) {
      requireArgs(2, arguments.length, "'addEventListener' on 'EventTarget'");
      const name = `${type}`;
      let once = false;
      let signal = null;
      if (isObject(options)) {
        once = !!options.once;
        signal = options.signal === undefined ? null : options.signal;
        if (signal !== null && !isSignal(signal)) fail("Failed to execute 'addEventListener': member signal is not of type 'AbortSignal'.");
      }
      if (name !== "abort" || callback === null || callback === undefined) return;
      if (signal !== null && signal.#aborted) return;
      const list = this.#listeners;
      for (let i = 0; i < list.length; i++) {
        if (!list[i].handler && list[i].callback === callback) return;
      }
      listPush(list, { __proto__: null, handler: false, callback, once, removed: false });
      if (signal !== null) {
        signalOn(signal, () => this.#remove(callback));
      }
    }

    removeEventListener(type, callback, options = undefined) {
      requireArgs(2, arguments.length, "'removeEventListener' on 'EventTarget'");
      if (`${type}` === "abort") this.#remove(callback);
    }

    static abort(reason = undefined) {
      const signal = new AbortSignal(INTERNAL);
      abortSignalNow(signal, reason);
      return signal;
    }

    static timeout(milliseconds) {
      requireArgs(1, arguments.length, "'timeout' on 'AbortSignal'");
      const delay = +milliseconds;
      if (!(delay >= 0) || delay > 18446744073709551615) {
        fail("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long " +
          "long' value range.");
      }
      const signal = new AbortSignal(INTERNAL);
      boot.timers.setTimeout(() => {
        abortSignalNow(signal, new TimeoutError("signal timed out"));
      }, delay);
      return signal;
    }

    static any(signals) {
      requireArgs(1, arguments.length, "'any' on 'AbortSignal'");
      if (!isObject(signals)) fail("Failed to execute 'any' on 'AbortSignal': The provided value cannot be converted to a sequence.");
      const items = readSequence(signals, signals[SymbolIterator]);
      for (let i = 0; i < items.length; i++) {
        if (!isSignal(items[i])) fail("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      }
      return followSignals(items);
    }
  }
  setTag(AbortSignal, "AbortSignal");
  markClass(AbortSignal);

  class AbortController {
    #signal;

    constructor() {
      this.#signal = newSignal();
    }

    get signal() {
      return this.#signal;
    }

    abort(reason = undefined) {
      abortSignalNow(this.#signal, reason);
    }
  }
  setTag(AbortController, "AbortController");
  markClass(AbortController);

  return {
    __proto__: null, AbortController, AbortSignal, signalAborted, signalReason, signalOn,
    newSignal, followSignals, isSignal,
  };
});
