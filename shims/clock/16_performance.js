// shims/clock/16_performance.js: `performance` (High Resolution Time: now, timeOrigin, toJSON).
// Exposes: `performance` (90_install publishes it), an instance of a Performance class that is
//          not itself a global (SPEC section 3 lists `performance` only).
// Hides:   the clock it reads. Its resolution is one millisecond, as Date's (docs/SECURITY.md:
//          no finer timer is offered, so no timing side channel is sharper than Date's).
//          Under `clock: "virtual"` it follows the virtual clock: `timeOrigin` is the virtual
//          start (`now_ms`) and `now()` the virtual time elapsed, so `timeOrigin + now()` is
//          `Date.now()` under either clock. `now()` never goes backwards, even if the host's
//          wall clock is set back while the evaluation runs.
// Needs:   00_primordials, 15_clock (now, originMs), 41_webidl.
// Load:    lazy (first read of `performance`).
(function (boot) {
  "use strict";
  const { TypeError } = boot.primordials;
  const { markClass, setTag } = boot.webidl;
  const clock = boot.clock;

  // The virtual clock starts at `now_ms`; the real one at the instant the evaluation started.
  const timeOrigin = clock.originMs();
  const INTERNAL = { __proto__: null };

  function illegal() {
    throw new TypeError("Illegal invocation");
  }

  class Performance {
    #last; // the latest now(): it never goes backwards

    constructor(token) {
      if (token !== INTERNAL) throw new TypeError("Illegal constructor");
      this.#last = 0;
    }

    now() {
      if (!(typeof this === "object" && this !== null && #last in this)) illegal();
      const elapsed = clock.now() - timeOrigin;
      if (elapsed > this.#last) this.#last = elapsed;
      return this.#last;
    }

    get timeOrigin() {
      if (!(typeof this === "object" && this !== null && #last in this)) illegal();
      return timeOrigin;
    }

    toJSON() {
      if (!(typeof this === "object" && this !== null && #last in this)) illegal();
      return { timeOrigin };
    }
  }
  setTag(Performance, "Performance");
  markClass(Performance);

  return {
    __proto__: null, performance: new Performance(INTERNAL),
  };
});
