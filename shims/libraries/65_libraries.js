// shims/libraries/65_libraries.js: lodash, moment, forge and installed libraries (SPEC section 9).
// Exposes: `value(name)`: the value of a library global, its library loaded on first use;
//          `ready(name)`: whether that value is final (false while its library is loading).
// Hides:   the loader: library sources (read from the host only when first needed), the scope
//          they run in, the hooks suspended while they load. Library values are the user's:
//          their functions print their own source, as in Appsmith.
// Needs:   00_primordials, 05_host (readText, config.libraries); at a library's load 55_memory
//          (typed arrays), and 15_clock, 20_timers, 48_crypto when the library uses them.
// Load:    lazy (the first read of a library global, published by 90_install).
//
// A library loads at the first read of one of its globals, possibly after user code ran, so the
// loader gives it what it would have had if it had loaded first (docs/SECURITY.md "Libraries"):
// - its own scope: every name a bundle looks up at load (`Object`, `Array`, `Function`, `Date`,
//   `Symbol`, `window`, `self`, `module`, `navigator`, ...) is a parameter bound to the runtime's
//   value, so replacing a global binding does not reach it. `window`/`self`/`global` are a
//   frozen view holding those values (lodash takes its timers and `Date` from it, forge its
//   `crypto`), the global `navigator` stays absent (forge only reads `navigator.appName`);
// - no user hook on a shared prototype: keys user code added to any intrinsic object
//   (`Object.prototype` accessors, `Error.prepareStackTrace`, ...) are taken off while the
//   library loads and put back afterwards, so they neither break the load nor see the library's
//   objects being built; the built-ins whose originals the runtime holds and never wraps
//   (Function.prototype.call/apply/bind/toString, the Object and Reflect statics,
//   JSON.stringify, String.fromCharCode, Date.now) are put back while it loads. Any other
//   built-in method user code replaced (Array.prototype.push) is what the library sees and
//   may keep, as a script that runs after that code would (capturing every original in every
//   isolate would cost each evaluation; measured in docs/DECISIONS.md);
// - whole or nothing: a load cut short (a stack overflow at the first read, a throw) leaves no
//   global defined and every hook restored, and the next read tries again.
// The sandbox's Date (virtual under `clock: "virtual"`), seeded Math.random, timers, crypto and
// memory-accounted typed arrays are the ones libraries get.
(function (boot) {
  "use strict";
  const P = boot.primordials;
  const {
    ArrayPrototypeJoin, ArrayPrototypeSymbolIterator, DateNow, DecodeURIComponent,
    EncodeURIComponent, Error, Function, JSONParse, JSONStringify, NumberIsFinite, NumberIsNaN,
    NumberParseFloat, NumberParseInt, ObjectDefineProperty, ObjectFreeze,
    ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertyNames, ObjectGetPrototypeOf, ObjectHasOwn,
    ObjectKeys, ObjectSetPrototypeOf, ReflectApply, ReflectConstruct, ReflectDefineProperty,
    ReflectDeleteProperty, ReflectOwnKeys, String, StringFromCharCode, listPush, newList,
    nativeLooking,
  } = P;
  const host = boot.host;
  const config = host.config;

  const PRISTINE_KEY = "library-pristine";
  const HEADROOM_FRAMES = 200;
  // Standard names a bundle may look up as free variables while it loads: each is a parameter
  // of the function the library's source becomes, bound to the runtime's value.
  const BUILTIN_NAMES = [
    "Object", "Function", "Array", "Number", "Boolean", "String", "Symbol", "BigInt", "RegExp",
    "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError",
    "AggregateError", "Promise", "Proxy", "Reflect", "JSON", "Math", "Map", "Set", "WeakMap",
    "WeakSet", "WeakRef", "DataView",
  ];
  const TYPED_NAMES = [
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
    "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array",
    "BigUint64Array",
  ];
  const MODULE_NAMES = ["module", "exports", "require", "define"];
  const GLOBAL_NAMES = ["window", "self", "global", "globalThis"];

  // Per library (by name): "loading", or a record of its globals' values once loaded.
  const loaded = { __proto__: null };
  const sourceTexts = { __proto__: null }; // source key -> text, kept across retries

  function specOf(globalName) {
    const specs = config.libraries;
    for (let i = 0; i < specs.length; i++) {
      const globals = specs[i].globals;
      for (let j = 0; j < globals.length; j++) if (globals[j] === globalName) return specs[i];
    }
    return undefined;
  }

  function ready(globalName) {
    const spec = specOf(globalName);
    return spec !== undefined && typeof loaded[spec.name] === "object";
  }

  function value(globalName) {
    const spec = specOf(globalName);
    if (spec === undefined) return undefined;
    const state = loaded[spec.name];
    if (state === "loading") return undefined; // the library reads its own global while loading
    if (state === undefined) loaded[spec.name] = load(spec);
    return loaded[spec.name][globalName];
  }

  // -- the scope -------------------------------------------------------------------------

  function timerStub(name) {
    return nativeLooking({
      [name](...args) {
        return ReflectApply(boot.timers[name], undefined, args);
      },
    }[name]);
  }

  // name -> value of every name a library's scope binds (built fresh per load: the Date and
  // typed arrays depend on the evaluation).
  function scopeValues() {
    const scope = { __proto__: null };
    for (let i = 0; i < BUILTIN_NAMES.length; i++) scope[BUILTIN_NAMES[i]] = P[BUILTIN_NAMES[i]];
    const memory = boot.memory;
    scope.ArrayBuffer = memory.ArrayBuffer;
    for (let i = 0; i < TYPED_NAMES.length; i++) {
      const typed = memory.typed[TYPED_NAMES[i]];
      if (typed !== undefined) scope[TYPED_NAMES[i]] = typed;
    }
    scope.Date = config.clock === "virtual" ? boot.clock.VirtualDate : P.Date;
    scope.parseInt = NumberParseInt;
    scope.parseFloat = NumberParseFloat;
    scope.isFinite = nativeLooking(function isFinite(number) {
      return NumberIsFinite(+number);
    });
    scope.isNaN = nativeLooking(function isNaN(number) {
      return NumberIsNaN(+number);
    });
    scope.encodeURIComponent = EncodeURIComponent;
    scope.decodeURIComponent = DecodeURIComponent;
    scope.setTimeout = timerStub("setTimeout");
    scope.clearTimeout = timerStub("clearTimeout");
    scope.setInterval = timerStub("setInterval");
    scope.clearInterval = timerStub("clearInterval");
    return scope;
  }

  // What `window`/`self`/`global` are to a built-in library: the scope's values and crypto.
  function globalView(scope) {
    const view = { __proto__: null };
    const names = ObjectKeys(scope);
    for (let i = 0; i < names.length; i++) {
      ObjectDefineProperty(view, names[i], {
        __proto__: null, value: scope[names[i]], writable: false, enumerable: false,
        configurable: false,
      });
    }
    const crypto = nativeLooking(ObjectGetOwnPropertyDescriptor({
      get crypto() {
        return boot.crypto.crypto;
      },
    }, "crypto").get);
    ObjectDefineProperty(view, "crypto", { __proto__: null, get: crypto, enumerable: false });
    return ObjectFreeze(view);
  }

  // Forge 1.x's big-integer code picks its multiplication by `navigator.appName` (and some builds
  // read it without checking that `navigator` exists): "Netscape" selects the one for V8.
  const navigatorView = ObjectFreeze({ __proto__: null, appName: "Netscape" });

  // -- hooks on shared prototypes --------------------------------------------------------

  let pristine; // holder name -> { keys: null-prototype set of string keys, symbols: list }

  function pristineShape() {
    if (pristine !== undefined) return pristine;
    const text = host.readText(PRISTINE_KEY);
    if (text === undefined) throw new Error("the host has no list of the built-in objects");
    // {holder: {keys: {key: 1, ...}, symbols: [well-known name, ...]}}: JSON.parse builds the
    // key sets (own data properties, "__proto__" included); they are only read with ObjectHasOwn.
    const shape = JSONParse(text);
    const names = ObjectKeys(shape);
    const result = newList();
    for (let i = 0; i < names.length; i++) {
      const holder = holderObject(names[i]);
      if (holder === undefined) continue;
      const entry = shape[names[i]];
      const symbols = newList();
      const symbolNames = entry.symbols;
      for (let j = 0; j < symbolNames.length; j++) listPush(symbols, P.Symbol[symbolNames[j]]);
      listPush(result, { __proto__: null, holder, keys: entry.keys, symbols });
    }
    pristine = result;
    return result;
  }

  function holderObject(name) {
    if (name === "ArrayIteratorPrototype" || name === "IteratorPrototype") {
      const arrayIterator = ObjectGetPrototypeOf(ArrayPrototypeSymbolIterator(newList()));
      return name === "IteratorPrototype" ? ObjectGetPrototypeOf(arrayIterator) : arrayIterator;
    }
    const holder = P[name];
    return (typeof holder === "object" && holder !== null) || typeof holder === "function" ?
      holder : undefined;
  }

  function isPristine(entry, key) {
    if (typeof key !== "symbol") return ObjectHasOwn(entry.keys, key);
    const symbols = entry.symbols;
    for (let i = 0; i < symbols.length; i++) if (symbols[i] === key) return true;
    return false;
  }

  // Members bundles call while they load whose originals the runtime holds (and never wraps):
  // put back for the load if user code replaced them. [holder, key, value].
  function restorable() {
    const raw = P.FunctionPrototypeRaw;
    const FP = P.FunctionPrototype;
    const O = P.Object;
    const R = P.Reflect;
    return [
      [FP, "call", raw.call], [FP, "apply", raw.apply], [FP, "bind", raw.bind],
      [FP, "toString", boot.install.functionToString],
      [O, "defineProperty", ObjectDefineProperty],
      [O, "getOwnPropertyDescriptor", ObjectGetOwnPropertyDescriptor],
      [O, "getOwnPropertyNames", ObjectGetOwnPropertyNames],
      [O, "getPrototypeOf", ObjectGetPrototypeOf], [O, "setPrototypeOf", ObjectSetPrototypeOf],
      [O, "keys", ObjectKeys], [O, "freeze", ObjectFreeze], [O, "hasOwn", ObjectHasOwn],
      [R, "apply", ReflectApply], [R, "construct", ReflectConstruct],
      [R, "defineProperty", ReflectDefineProperty], [R, "deleteProperty", ReflectDeleteProperty],
      [R, "ownKeys", ReflectOwnKeys], [P.JSON, "stringify", JSONStringify],
      [P.String, "fromCharCode", StringFromCharCode], [P.Date, "now", DateNow],
    ];
  }

  function ownDescriptor(holder, key) {
    const desc = ObjectGetOwnPropertyDescriptor(holder, key);
    if (desc !== undefined) ObjectSetPrototypeOf(desc, null);
    return desc;
  }

  // Take user changes off the intrinsics, noting in `undo` what `resume` needs to put them back
  // (flat triples: holder, key, descriptor or null for "was absent"), each before the change,
  // so that a suspension cut short is still undone whole.
  function suspend(undo) {
    const values = restorable();
    for (let i = 0; i < values.length; i++) {
      const holder = values[i][0];
      const key = values[i][1];
      const runtimeValue = values[i][2];
      const desc = ownDescriptor(holder, key);
      if (desc !== undefined && ObjectHasOwn(desc, "value") && desc.value === runtimeValue) continue;
      if (desc !== undefined && !desc.configurable) continue;
      listPush(undo, holder);
      listPush(undo, key);
      listPush(undo, desc === undefined ? null : desc);
      ReflectDefineProperty(holder, key, {
        __proto__: null, value: runtimeValue, writable: true, enumerable: false,
        configurable: true,
      });
    }
    const shape = pristineShape();
    for (let i = 0; i < shape.length; i++) {
      const entry = shape[i];
      const holder = entry.holder;
      const keys = ReflectOwnKeys(holder);
      for (let j = 0; j < keys.length; j++) {
        const key = keys[j];
        if (isPristine(entry, key)) continue;
        const desc = ownDescriptor(holder, key);
        if (desc === undefined || !desc.configurable) continue;
        listPush(undo, holder);
        listPush(undo, key);
        listPush(undo, desc);
        ReflectDeleteProperty(holder, key);
      }
    }
  }

  function resume(undo) {
    for (let i = undo.length - 3; i >= 0; i -= 3) {
      const desc = undo[i + 2];
      if (desc === null) ReflectDeleteProperty(undo[i], undo[i + 1]);
      else ReflectDefineProperty(undo[i], undo[i + 1], desc);
    }
  }

  // Throws a RangeError unless the stack has room for the suspend/resume bookkeeping (a few
  // builtin calls), so that a load at the stack's edge fails before it changes anything. The
  // library itself may still overflow later: `load` then undoes everything in its `finally`,
  // which runs with at least this much room.
  function probe(depth) {
    return depth === 0 ? 0 : probe(depth - 1) + 1;
  }

  // -- loading ---------------------------------------------------------------------------

  function sourceText(key) {
    let text = sourceTexts[key];
    if (text === undefined) {
      text = host.readText(key);
      if (text === undefined) throw new Error("the library source " + key + " is not available");
      sourceTexts[key] = text;
    }
    return text;
  }

  function compile(params, body, name) {
    const args = newList();
    for (let i = 0; i < params.length; i++) listPush(args, params[i]);
    listPush(args, body + "\n//# sourceURL=jseval:library/" + name);
    return ReflectConstruct(Function, args);
  }

  const factoriesOf = { __proto__: null }; // library name -> compiled sources, kept across retries

  function load(spec) {
    // First make sure the whole load has room on the stack: at the stack's edge it fails here,
    // cheaply and before anything changed, with the RangeError the read would have thrown.
    probe(HEADROOM_FRAMES);
    const scope = scopeValues();
    const builtin = spec.mode === "module";
    const params = newList();
    const args = newList();
    const scopeNames = ObjectKeys(scope);
    for (let i = 0; i < scopeNames.length; i++) {
      listPush(params, scopeNames[i]);
      listPush(args, scope[scopeNames[i]]);
    }
    const view = builtin ? globalView(scope) : P.globalThis;
    for (let i = 0; i < GLOBAL_NAMES.length; i++) {
      listPush(params, GLOBAL_NAMES[i]);
      listPush(args, view);
    }
    listPush(params, "navigator");
    listPush(args, navigatorView);
    for (let i = 0; i < MODULE_NAMES.length; i++) listPush(params, MODULE_NAMES[i]);
    let factories = factoriesOf[spec.name];
    if (factories === undefined) {
      factories = compileAll(spec, params, builtin);
      factoriesOf[spec.name] = factories;
    }
    loaded[spec.name] = "loading";
    const undo = newList();
    let values;
    try {
      suspend(undo);
      values = builtin ? runModules(spec, factories, args) : runScripts(spec, factories, args);
    } finally {
      resume(undo);
      loaded[spec.name] = undefined;
    }
    return values;
  }

  // Each source as a function of the scope's names (the parameter list is the same every load).
  function compileAll(spec, params, builtin) {
    const sources = spec.sources;
    const factories = newList();
    for (let i = 0; i < sources.length; i++) {
      let body = sourceText(sources[i].key);
      if (!builtin) {
        // A script's top-level `var`s are the function's locals here: hand them back by name
        // (the names were checked to be identifiers when the library was installed).
        const reads = newList();
        const globals = spec.globals;
        for (let j = 0; j < globals.length; j++) {
          listPush(reads, "typeof " + globals[j] + " === \"undefined\" ? undefined : " + globals[j]);
        }
        body += "\n;return [" + ArrayPrototypeJoin(reads, ", ") + "];";
      }
      listPush(factories, compile(params, body, spec.name));
    }
    return factories;
  }

  // Built-in libraries run as CommonJS modules (their UMD wrappers take that path and define no
  // global); `require` finds the modules loaded before (moment-timezone requires moment).
  function runModules(spec, factories, args) {
    const modules = { __proto__: null };
    const require = nativeLooking(function require(name) {
      const found = modules[String(name)];
      if (found === undefined) throw new Error("Cannot find module '" + String(name) + "'");
      return found;
    });
    let exported;
    for (let i = 0; i < factories.length; i++) {
      const module = { __proto__: null, exports: { __proto__: null } };
      const callArgs = newList();
      for (let j = 0; j < args.length; j++) listPush(callArgs, args[j]);
      listPush(callArgs, module);
      listPush(callArgs, module.exports);
      listPush(callArgs, require);
      listPush(callArgs, undefined);
      ReflectApply(factories[i], module.exports, callArgs);
      exported = module.exports;
      modules[spec.sources[i].module] = exported;
    }
    if (spec.omit.length > 0) exported = omit(exported, spec.omit);
    const values = { __proto__: null };
    values[spec.globals[0]] = exported;
    return values;
  }

  // Appsmith hands code `_.omit(forge, [...])`: a plain object with the other keys.
  function omit(object, keys) {
    const copy = {};
    const names = ObjectKeys(object);
    for (let i = 0; i < names.length; i++) {
      let dropped = false;
      for (let j = 0; j < keys.length; j++) if (keys[j] === names[i]) dropped = true;
      if (dropped) continue;
      ReflectDefineProperty(copy, names[i], {
        __proto__: null, value: object[names[i]], writable: true, enumerable: true,
        configurable: true,
      });
    }
    return copy;
  }

  // Installed libraries run as browser scripts, as Appsmith's "install library" does: no
  // module system, `self`/`window` the global object; their globals are what they define.
  function runScripts(spec, factories, args) {
    const callArgs = newList();
    for (let j = 0; j < args.length; j++) listPush(callArgs, args[j]);
    for (let j = 0; j < MODULE_NAMES.length; j++) listPush(callArgs, undefined);
    let results;
    for (let i = 0; i < factories.length; i++) {
      results = ReflectApply(factories[i], P.globalThis, callArgs);
    }
    const values = { __proto__: null };
    const globals = spec.globals;
    for (let i = 0; i < globals.length; i++) values[globals[i]] = results[i];
    return values;
  }

  return { __proto__: null, value, ready };
});
