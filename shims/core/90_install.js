// shims/core/90_install.js: the sandbox's globals, defined from one table (what the sandbox offers).
// Exposes: `prepare(config)` (server settings, once per isolate) and `installRequest(request)`
//          (per evaluation: `globals` read-only, `args`, `appsmith`, the virtual Date, no fetch).
// Hides:   nothing new; it publishes what the capability shims build. A capability loads when
//          user code first touches it: a framework function is a small native-looking stub that
//          loads its shim on the first call; an object or class global (console, TextEncoder,
//          Uint8Array, ...) is an accessor that loads its shim on first read and then becomes a
//          plain data property. Every function published prints as
//          `function name() { [native code] }`, so no shim source reaches user code.
//          Library globals (`_`, `moment`, `forge`, installed libraries: SPEC section 9) are
//          accessors too, published from the host's list (built-ins at prepare, installed ones
//          per evaluation); their values are not marked native.
// Needs:   00_primordials, 05_host; the capabilities it publishes load on first use.
// Load:    eager.
(function (boot) {
  "use strict";
  const P = boot.primordials;
  const {
    FunctionPrototypeToString, ObjectDefineProperty, ObjectFreeze, ObjectGetOwnPropertyDescriptor,
    ObjectHasOwn, ObjectKeys, ReflectApply, ReflectDeleteProperty, ReflectOwnKeys, String,
    WeakSetPrototypeHas, globalThis, listPush, nativeLooking, nativeSet, newList,
  } = P;

  // Functions: name -> [the shim that exports it (its file's name), export, length].
  const functions = {
    __proto__: null,
    setTimeout: ["timers", "setTimeout", 2],
    clearTimeout: ["timers", "clearTimeout", 1],
    setInterval: ["timers", "setInterval", 1],
    clearInterval: ["timers", "clearInterval", 1],
    storeValue: ["store", "storeValue", 2],
    removeValue: ["store", "removeValue", 1],
    clearStore: ["store", "clearStore", 0],
    showAlert: ["actions", "showAlert", 2],
    navigateTo: ["actions", "navigateTo", 1],
    showModal: ["actions", "showModal", 1],
    closeModal: ["actions", "closeModal", 1],
    download: ["actions", "download", 3],
    copyToClipboard: ["actions", "copyToClipboard", 1],
    resetWidget: ["actions", "resetWidget", 1],
    postWindowMessage: ["actions", "postWindowMessage", 1],
    atob: ["base64", "atob", 1],
    btoa: ["base64", "btoa", 1],
    structuredClone: ["structured_clone", "structuredClone", 1],
    queueMicrotask: ["microtask", "queueMicrotask", 1],
    fetch: ["fetch", "fetch", 1],
  };
  // Objects and classes: name -> [the shim that exports it, export].
  const objects = {
    __proto__: null,
    console: ["console", "console"],
    crypto: ["crypto", "crypto"],
    performance: ["performance", "performance"],
    TextEncoder: ["encoding", "TextEncoder"],
    TextDecoder: ["encoding", "TextDecoder"],
    ArrayBuffer: ["memory", "ArrayBuffer"],
    FinalizationRegistry: ["finalization", "FinalizationRegistry"],
    Headers: ["headers", "Headers"],
    Response: ["response", "Response"],
    Request: ["request", "Request"],
    AbortController: ["abort", "AbortController"],
    AbortSignal: ["abort", "AbortSignal"],
    URL: ["url", "URL"],
    URLSearchParams: ["url", "URLSearchParams"],
  };
  const typedNames = [
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
    "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array",
    "BigUint64Array",
  ];

  // A library global (SPEC section 9: `_`, `moment`, `forge`, installed libraries): an
  // accessor that loads its library on first read (65_libraries), then a plain data property.
  // The library's own functions are left as they are (they print their source, as in Appsmith).
  function libraryGlobal(name) {
    // A request global of the same name (an installed library's global) wins this evaluation.
    if (ObjectHasOwn(globalThis, name)) return;
    const accessors = {
      get [name]() {
        const libraries = boot.libraries;
        const value = libraries.value(name);
        if (libraries.ready(name)) defineData(name, value, true);
        return value;
      },
      set [name](value) {
        defineData(name, value, true);
      },
    };
    const desc = ObjectGetOwnPropertyDescriptor(accessors, name);
    ObjectDefineProperty(globalThis, name, {
      __proto__: null, get: nativeLooking(desc.get), set: nativeLooking(desc.set),
      enumerable: false, configurable: true,
    });
  }

  // A library as the host describes it (plain JSON), as a record no prototype hook can reach.
  function libraryRecord(spec) {
    const list = (values, copy) => {
      const out = newList();
      for (let i = 0; i < values.length; i++) listPush(out, copy(values[i]));
      return out;
    };
    return {
      __proto__: null,
      name: String(spec.name),
      mode: String(spec.mode),
      globals: list(spec.globals, String),
      sources: list(spec.sources, (source) => ({
        __proto__: null, key: String(source.key), module: String(source.module),
      })),
      omit: list(spec.omit, String),
    };
  }

  function addLibraries(specs) {
    const records = boot.host.config.libraries;
    for (let i = 0; i < specs.length; i++) {
      const record = libraryRecord(specs[i]);
      listPush(records, record);
      for (let j = 0; j < record.globals.length; j++) libraryGlobal(record.globals[j]);
    }
  }

  // Mark a function, and for a class or object its methods and accessors, as native-looking.
  function markNative(value) {
    if (typeof value === "function") {
      nativeLooking(value);
      markMembers(value);
      if (ObjectHasOwn(value, "prototype") && value.prototype !== null &&
          typeof value.prototype === "object") markMembers(value.prototype);
    } else if (value !== null && typeof value === "object") {
      markMembers(value);
    }
  }

  function markMembers(holder) {
    const keys = ReflectOwnKeys(holder);
    for (let i = 0; i < keys.length; i++) {
      const desc = ObjectGetOwnPropertyDescriptor(holder, keys[i]);
      if (ObjectHasOwn(desc, "value")) {
        if (typeof desc.value === "function" && keys[i] !== "constructor") nativeLooking(desc.value);
      } else {
        if (desc.get !== undefined) nativeLooking(desc.get);
        if (desc.set !== undefined) nativeLooking(desc.set);
      }
    }
  }

  function defineData(name, value, writable) {
    ObjectDefineProperty(globalThis, name, {
      __proto__: null, value, writable, enumerable: false, configurable: writable,
    });
  }

  function functionStub(name, capability, exported, length) {
    const stub = {
      [name](...args) {
        return ReflectApply(boot[capability][exported], this, args);
      },
    }[name];
    ObjectDefineProperty(stub, "length", { __proto__: null, value: length });
    return nativeLooking(stub);
  }

  // A global that loads its capability on first read, then becomes a plain data property.
  function lazyGlobal(name, load, writable) {
    const accessors = {
      get [name]() {
        const value = load();
        markNative(value);
        defineData(name, value, writable);
        return value;
      },
      set [name](value) {
        defineData(name, value, true);
      },
    };
    const desc = ObjectGetOwnPropertyDescriptor(accessors, name);
    nativeLooking(desc.get);
    nativeLooking(desc.set);
    ObjectDefineProperty(globalThis, name, {
      __proto__: null, get: desc.get, set: desc.set, enumerable: false, configurable: true,
    });
  }

  const functionNames = ObjectKeys(functions);
  for (let i = 0; i < functionNames.length; i++) {
    const [capability, exported, length] = functions[functionNames[i]];
    if (!boot.hasCapability(capability)) continue;
    defineData(functionNames[i], functionStub(functionNames[i], capability, exported, length), true);
  }
  // An object or class global: a plain data property when its capability is eager (loaded by
  // now: ArrayBuffer and the typed arrays), else an accessor that loads it on first read.
  function publishGlobal(name, capability, load) {
    if (boot.isLoaded(capability)) {
      const value = load();
      markNative(value);
      defineData(name, value, true);
    } else {
      lazyGlobal(name, load, true);
    }
  }

  const objectNames = ObjectKeys(objects);
  for (let i = 0; i < objectNames.length; i++) {
    const name = objectNames[i];
    const capability = objects[name][0];
    const exported = objects[name][1];
    if (!boot.hasCapability(capability)) continue;
    publishGlobal(name, capability, () => boot[capability][exported]);
  }
  for (let i = 0; i < typedNames.length; i++) {
    const name = typedNames[i];
    if (P[name] === undefined) continue;
    publishGlobal(name, "memory", () => boot.memory.typed[name]);
  }
  // localStorage as Appsmith defines it: a non-enumerable, read-only global. Its object is built
  // now (so assignments to it fail as they should) from stubs that load the store on first call.
  const localStorage = {};
  const storageMethods = [["getItem", 1], ["setItem", 2], ["removeItem", 1], ["clear", 0]];
  for (let i = 0; i < storageMethods.length; i++) {
    const name = storageMethods[i][0];
    const stub = nativeLooking({
      [name](...args) {
        return ReflectApply(boot.store.localStorage[name], undefined, args);
      },
    }[name]);
    ObjectDefineProperty(stub, "length", { __proto__: null, value: storageMethods[i][1] });
    ObjectDefineProperty(localStorage, name, {
      __proto__: null, value: stub, writable: true, enumerable: true, configurable: true,
    });
  }
  defineData("localStorage", localStorage, false);

  // Function.prototype.toString shows marked functions as native code.
  function nameOf(fn) {
    try {
      const desc = ObjectGetOwnPropertyDescriptor(fn, "name");
      if (desc !== undefined && ObjectHasOwn(desc, "value") && typeof desc.value === "string") {
        return desc.value;
      }
    } catch { /* a revoked Proxy */ }
    return "";
  }
  const toString = {
    toString() {
      if (WeakSetPrototypeHas(nativeSet, this)) {
        return "function " + nameOf(this) + "() { [native code] }";
      }
      return FunctionPrototypeToString(this);
    },
  }.toString;
  nativeLooking(toString);
  ObjectDefineProperty(P.FunctionPrototype, "toString", {
    __proto__: null, value: toString, writable: true, enumerable: false, configurable: true,
  });

  function defineReadOnly(name, value) {
    ObjectDefineProperty(globalThis, name, {
      __proto__: null, value, writable: false, enumerable: true, configurable: false,
    });
  }

  function prepare(config) {
    if (!config.allow_wasm) ReflectDeleteProperty(globalThis, "WebAssembly");
    boot.host.config.libraries = newList();
    addLibraries(config.libraries);
  }

  function installRequest(request) {
    const freeze = boot.host.freeze;
    const globals = request.globals;
    const globalNames = ObjectKeys(globals);
    for (let i = 0; i < globalNames.length; i++) {
      defineReadOnly(globalNames[i], freeze(globals[globalNames[i]]));
    }
    if (request.mode === "function") defineReadOnly("args", freeze(request.args));

    const appsmith = {};
    const fields = request.appsmith;
    const fieldNames = ObjectKeys(fields);
    for (let i = 0; i < fieldNames.length; i++) {
      if (fieldNames[i] === "store") continue;
      ObjectDefineProperty(appsmith, fieldNames[i], {
        __proto__: null, value: freeze(fields[fieldNames[i]]), writable: false, enumerable: true,
        configurable: false,
      });
    }
    // The store loads on first read; it can only be changed through storeValue and friends.
    const storeGetter = nativeLooking(ObjectGetOwnPropertyDescriptor({
      get store() {
        return boot.store.store;
      },
    }, "store").get);
    ObjectDefineProperty(appsmith, "store", {
      __proto__: null, get: storeGetter, enumerable: true, configurable: false,
    });
    defineReadOnly("appsmith", ObjectFreeze(appsmith));

    if (request.clock === "virtual") {
      const VirtualDate = boot.clock.VirtualDate;
      markNative(VirtualDate);
      ObjectDefineProperty(P.DatePrototype, "constructor", {
        __proto__: null, value: VirtualDate, writable: true, enumerable: false, configurable: true,
      });
      defineData("Date", VirtualDate, true);
    }
    if (request.random_seed !== null) nativeLooking(boot.clock.seededRandom);
    if (!request.fetch) ReflectDeleteProperty(globalThis, "fetch");
    addLibraries(request.libraries); // the installed libraries this evaluation offers
  }

  return { __proto__: null, prepare, installRequest, functionToString: toString };
});
