// shims/core/57_finalization.js: FinalizationRegistry whose cleanup callbacks run in the host's tasks.
// Exposes: `FinalizationRegistry` (the global: the intrinsic behind a Proxy whose construct trap
//          hands V8 a cleanup function of ours), `pending()` (callbacks waiting, counted in the
//          reply's `due`) and `runOne()` (70_run's tick runs one, as it fires one timer).
// Hides:   the queue of (callback, held value) pairs; the intrinsic constructor, which is
//          unreachable once its prototype's `constructor` is the Proxy.
// Needs:   00_primordials; 70_run at call time (reportUncaught).
// Load:    lazy (first use of FinalizationRegistry).
//
// V8 calls cleanup callbacks from a task of its own, outside every task the host posts. Left
// there, user callbacks escaped the driver: a throw was printed by V8 to the service's stdout
// (with the user's message), a loop could only be stopped by closing the isolate (V8 then printed
// one line per callback still due), and the heap limit hit inside one ended no evaluation. Here
// V8 only appends to our queue; the user's callback runs in a `tick` like a timer callback, under
// the evaluation's deadline and memory limit, and a throw is logged as `Uncaught ...`.
(function (boot) {
  "use strict";
  const {
    ObjectDefineProperty, Proxy, ReflectApply, ReflectConstruct, TypeError, listPush, newList,
  } = boot.primordials;
  const Intrinsic = boot.primordials.FinalizationRegistry;

  const state = { __proto__: null, queue: newList(), next: 0 }; // queue: callback, held, ...

  function construct(target, args, newTarget) {
    const cleanup = args.length > 0 ? args[0] : undefined;
    if (typeof cleanup !== "function") {
      throw new TypeError("FinalizationRegistry: cleanup must be callable");
    }
    const enqueue = (held) => {
      listPush(state.queue, cleanup);
      listPush(state.queue, held);
    };
    return ReflectConstruct(Intrinsic, [enqueue], newTarget);
  }

  const FinalizationRegistry = new Proxy(Intrinsic, { __proto__: null, construct });
  ObjectDefineProperty(Intrinsic.prototype, "constructor", {
    __proto__: null, value: FinalizationRegistry, writable: true, enumerable: false,
    configurable: true,
  });

  function pending() {
    return (state.queue.length - state.next) / 2;
  }

  // Run the oldest waiting cleanup callback; returns whether there was one.
  function runOne() {
    const queue = state.queue;
    if (state.next >= queue.length) return false;
    const callback = queue[state.next];
    const held = queue[state.next + 1];
    queue[state.next] = undefined;
    queue[state.next + 1] = undefined;
    state.next += 2;
    if (state.next >= queue.length) {
      state.queue = newList();
      state.next = 0;
    }
    try {
      ReflectApply(callback, undefined, [held]);
    } catch (error) {
      boot.run.reportUncaught(error);
    }
    return true;
  }

  return { __proto__: null, FinalizationRegistry, pending, runOne };
});
