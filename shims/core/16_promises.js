// shims/core/16_promises.js: promises the runtime owns, and the report of their unhandled rejections.
// Exposes: `create()` -> {promise, resolve, reject} (a pending owned promise; the record stays
//          here), `resolved(value)` (value: a primitive, or an ordinary array or object the
//          runtime made, never a user object), `rejected(reason)`, `isOwned(value)`, and for 70_run
//          `sweep()`: each owned promise that rejected and that nobody handled is logged at level
//          `error` as a browser prints it ("Uncaught (in promise) ActionValidationError: ...").
// Hides:   the tables of owned and handled promises and the rejections waiting for a sweep.
// Needs:   00_primordials; 70_run at call time (reportUnhandled).
// Load:    lazy (first framework promise).
//
// mini-racer gives no promise-reject hook, so no runtime can see every rejection nobody handles.
// The promises the runtime hands out itself (framework functions now; queries and fetch later)
// it can watch: an owned promise is a plain Promise (its prototype is Promise.prototype, its
// `constructor` is Promise, `await` takes the same microtask ticks) with two own, non-enumerable
// properties that see every way to handle it:
//   - `constructor`, an accessor returning the intrinsic Promise. `await p`, `Promise.resolve(p)`,
//     `Promise.all([p])` and `then` itself read it (PromiseResolve, SpeciesConstructor): the read
//     marks `p` handled. It is not configurable and has no setter, so no code can make `await`
//     go through `then` instead (which would loop through `chain` below).
//   - `then`, which marks `p` handled and returns an owned promise too, so a chain that drops the
//     rejection at its end (`showAlert(1).then(f)`) is reported at its end, as in a browser. It
//     chains with `await` inside an async function: the same ticks as the intrinsic `then`, no
//     read of `Symbol.species` (a user's species hook never runs, the derived promise is always
//     a plain owned Promise) and no user-replaceable method is called.
// The runtime's own watcher (an async function) awaits each owned promise that may still reject,
// once, with the marking switched off, and queues what rejected; a promise rejected at creation
// is queued at once, and one fulfilled at creation is not watched (it cannot reject). `sweep`
// runs at the start of each host op, once the microtasks that could have handled a rejection
// have run. What user code can tell apart from a browser's Promise: the two own properties
// (`Reflect.ownKeys(p)`, `p.then !== Promise.prototype.then`), a `constructor` that cannot be
// assigned, and species ignored by `then`; docs/DECISIONS.md lists them.
(function (boot) {
  "use strict";
  const {
    ArrayPrototype, ObjectDefineProperties, ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf,
    ObjectHasOwn, ObjectPrototype, Promise, PromisePrototypeThen, ReflectApply, WeakSet,
    WeakSetPrototypeAdd, WeakSetPrototypeHas, listPush, nativeLooking, newList,
  } = boot.primordials;

  const owned = new WeakSet();
  const handled = new WeakSet();
  // quiet: the watcher's own `await` reads `constructor` too, and must not count as handling.
  const state = { __proto__: null, quiet: false, rejections: newList() }; // promise, reason, ...

  const members = {
    get constructor() {
      if (!state.quiet && WeakSetPrototypeHas(owned, this)) WeakSetPrototypeAdd(handled, this);
      return Promise;
    },
    then(onFulfilled, onRejected) {
      if (!WeakSetPrototypeHas(owned, this)) {
        // Called on another promise (`p.then.call(q, f)`): exactly the intrinsic `then`.
        return PromisePrototypeThen(this, onFulfilled, onRejected);
      }
      WeakSetPrototypeAdd(handled, this);
      const box = { __proto__: null, promise: undefined };
      box.promise = adopt(chain(box, this, onFulfilled, onRejected), false);
      return box.promise;
    },
  };
  const getConstructor = nativeLooking(ObjectGetOwnPropertyDescriptor(members, "constructor").get);
  const then = nativeLooking(members.then);
  const CONSTRUCTOR = {
    __proto__: null, get: getConstructor, set: undefined, enumerable: false, configurable: false,
  };
  // As assignable as the inherited `then` it shadows; replacing it only loses the chain's report.
  const THEN = {
    __proto__: null, value: then, writable: true, enumerable: false, configurable: true,
  };
  const OWN = { __proto__: null, then: THEN, constructor: CONSTRUCTOR };

  // The intrinsic `then`'s reaction, as an async function: the handler runs in the same microtask
  // as it would there, with `this` undefined, and its result or throw settles the derived promise
  // (`box.promise`, set when this first suspends). The chain knows when that promise rejects,
  // except when the handler returns an object (maybe a thenable that rejects later): only then
  // does the watcher await it.
  async function chain(box, source, onFulfilled, onRejected) {
    let outcome;
    try {
      try {
        outcome = await source;
      } catch (reason) {
        if (typeof onRejected !== "function") throw reason;
        outcome = ReflectApply(onRejected, undefined, [reason]);
        return settle(box, outcome);
      }
      if (typeof onFulfilled === "function") {
        outcome = ReflectApply(onFulfilled, undefined, [outcome]);
      }
    } catch (error) {
      noteRejected(box.promise, error);
      throw error;
    }
    return settle(box, outcome);
  }

  function settle(box, outcome) {
    if ((typeof outcome === "object" && outcome !== null) || typeof outcome === "function") {
      startWatching(box.promise);
    }
    return outcome;
  }

  function noteRejected(promise, reason) {
    listPush(state.rejections, promise);
    listPush(state.rejections, reason);
  }

  async function watch(promise) {
    try {
      await promise;
    } catch (reason) {
      noteRejected(promise, reason);
    }
  }

  function startWatching(promise) {
    state.quiet = true; // watch() reads `constructor` synchronously, in its `await`
    try {
      watch(promise);
    } finally {
      state.quiet = false;
    }
  }

  // Own the promise; `watched`: it may still reject, so the watcher awaits it.
  function adopt(promise, watched = true) {
    ObjectDefineProperties(promise, OWN);
    WeakSetPrototypeAdd(owned, promise);
    if (watched) startWatching(promise);
    return promise;
  }

  function pending() {
    const deferred = { __proto__: null, promise: undefined, resolve: undefined, reject: undefined };
    deferred.promise = new Promise((resolve, reject) => {
      deferred.resolve = resolve;
      deferred.reject = reject;
    });
    return deferred;
  }

  function create() {
    const deferred = pending();
    adopt(deferred.promise);
    return deferred;
  }

  // Whether resolving with `value` fulfils the promise at once, calling no code: a primitive, or
  // an array or plain object of the runtime's whose prototypes have no `then` (user code may add
  // one; the check reads own properties of the intrinsic prototypes only, which runs no code).
  function fulfilsAtOnce(value) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return true;
    const proto = ObjectGetPrototypeOf(value);
    if (proto === ArrayPrototype) {
      if (ObjectHasOwn(ArrayPrototype, "then")) return false;
      if (ObjectGetPrototypeOf(ArrayPrototype) !== ObjectPrototype) return false;
    } else if (proto !== ObjectPrototype) {
      return false;
    }
    return !ObjectHasOwn(ObjectPrototype, "then");
  }

  async function fulfil(value) {
    return value;
  }

  async function fail(reason) {
    throw reason;
  }

  function resolved(value) {
    const settled = fulfilsAtOnce(value);
    return adopt(fulfil(value), !settled);
  }

  function rejected(reason) {
    const promise = adopt(fail(reason), false);
    noteRejected(promise, reason);
    return promise;
  }

  function isOwned(value) {
    return WeakSetPrototypeHas(owned, value);
  }

  function sweep() {
    const list = state.rejections;
    if (list.length === 0) return;
    state.rejections = newList();
    for (let i = 0; i < list.length; i += 2) {
      if (!WeakSetPrototypeHas(handled, list[i])) boot.run.reportUnhandled(list[i + 1]);
    }
  }

  return { __proto__: null, create, resolved, rejected, isOwned, sweep };
});
