// shims/clock/15_clock.js: real and virtual time, and the seeded Math.random (`clock`, `random_seed`).
// Exposes: `now()` (epoch ms the timers use), `elapsedMs()` (for log `at_ms`), `originMs()` (where
//          elapsedMs counts from), `advanceTo(t)` (virtual only);
//          `virtual()`; `DateClass` (the Date the sandbox should see).
// Hides:   the virtual instant, the PRNG state. Under the virtual clock, `Date` is a wrapper whose
//          no-argument forms (new Date(), Date(), Date.now()) read the virtual instant; the
//          intrinsic Date.prototype is shared, so instanceof and methods behave as usual.
// Needs:   00_primordials, 05_host (config: clock, nowMs, startMs, randomSeed).
// Load:    lazy; at start when the clock is virtual or a seed is set.
//
// Math.random with a seed is xoshiro128** seeded through splitmix32 from the seed's two 32-bit
// halves; each call takes two outputs for 53 bits. Documented in README (deterministic, not secure).
(function (boot) {
  "use strict";
  const {
    BigInt, BigIntAsUintN, Date, DateNow, DatePrototype, DatePrototypeToString,
    FunctionPrototype, MathImul, Math, Number, ObjectDefineProperty, ObjectSetPrototypeOf,
    ReflectConstruct,
  } = boot.primordials;

  const state = { __proto__: null, virtual: false, startMs: 0, instantMs: 0 };

  function now() {
    return state.virtual ? state.instantMs : DateNow();
  }

  function elapsedMs() {
    return now() - state.startMs;
  }

  // Where elapsedMs() counts from: the virtual start, or the real instant the evaluation began.
  function originMs() {
    return state.startMs;
  }

  function advanceTo(instantMs) {
    if (state.virtual && instantMs > state.instantMs) state.instantMs = instantMs;
  }

  // The Date seen under the virtual clock; built once at load, installed only when virtual.
  // Not a named function expression: inside it, `Date` must stay the intrinsic.
  const VirtualDate = function (...args) {
    if (new.target === undefined) return DatePrototypeToString(new Date(state.instantMs));
    if (args.length === 0) return ReflectConstruct(Date, [state.instantMs], new.target);
    return ReflectConstruct(Date, args, new.target);
  };
  ObjectDefineProperty(VirtualDate, "length", { __proto__: null, value: 7 });
  ObjectDefineProperty(VirtualDate, "name", { __proto__: null, value: "Date" });
  ObjectDefineProperty(VirtualDate, "prototype", {
    __proto__: null, value: DatePrototype, writable: false, enumerable: false,
    configurable: false,
  });
  const staticNames = ["parse", "UTC"];
  for (let i = 0; i < staticNames.length; i++) {
    ObjectDefineProperty(VirtualDate, staticNames[i], {
      __proto__: null, value: Date[staticNames[i]], writable: true, enumerable: false,
      configurable: true,
    });
  }
  ObjectDefineProperty(VirtualDate, "now", {
    __proto__: null,
    value: function now() {
      return state.instantMs;
    },
    writable: true, enumerable: false, configurable: true,
  });
  ObjectSetPrototypeOf(VirtualDate, FunctionPrototype);

  // xoshiro128**, state seeded with splitmix32.
  const rng = { __proto__: null, a: 0, b: 0, c: 0, d: 0 };
  function splitmix32(seed) {
    let z = (seed + 0x9e3779b9) | 0;
    z = MathImul(z ^ (z >>> 16), 0x85ebca6b);
    z = MathImul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  function seedRandom(seedText) {
    const seed = BigIntAsUintN(64, BigInt(seedText));
    const low = Number(BigIntAsUintN(32, seed));
    const high = Number(seed >> 32n);
    rng.a = splitmix32(low);
    rng.b = splitmix32(high ^ rng.a);
    rng.c = splitmix32(rng.b ^ 0x6a09e667);
    rng.d = splitmix32(rng.c ^ 0xbb67ae85);
    if ((rng.a | rng.b | rng.c | rng.d) === 0) rng.a = 1;
  }
  function next32() {
    const result = MathImul(rotl(MathImul(rng.b, 5), 7), 9) >>> 0;
    const t = rng.b << 9;
    rng.c ^= rng.a;
    rng.d ^= rng.b;
    rng.b ^= rng.c;
    rng.a ^= rng.d;
    rng.c ^= t;
    rng.d = rotl(rng.d, 11);
    return result;
  }
  function rotl(x, k) {
    return (x << k) | (x >>> (32 - k));
  }
  const seededRandom = function random() {
    const high = next32() >>> 5; // 27 bits
    const low = next32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };

  // Configure from the evaluation's settings, once, at load.
  const config = boot.host.config;
  state.virtual = config.clock === "virtual";
  state.instantMs = config.nowMs === null ? config.startMs : config.nowMs;
  state.startMs = state.virtual ? state.instantMs : config.startMs;
  if (config.randomSeed !== null) {
    seedRandom(config.randomSeed);
    Math.random = seededRandom;
  }

  function virtual() {
    return state.virtual;
  }

  return {
    __proto__: null, now, elapsedMs, originMs, advanceTo, virtual, VirtualDate, seededRandom,
  };
});
