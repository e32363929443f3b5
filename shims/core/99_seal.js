// shims/core/99_seal.js: remove the host and browser names the sandbox must not have.
// Exposes: nothing.
// Hides:   SharedArrayBuffer and Atomics (V8 defines them); the browser and server names below,
//          in case an engine ever defines one. WebAssembly goes in 90_install's prepare() unless
//          JSEVAL_ALLOW_WASM=1. The runtime itself defines no global of its own: the bundle is one
//          function expression, and the control function exists only as a handle in the host.
// Needs:   00_primordials.
// Load:    eager, last.
(function (boot) {
  "use strict";
  const { ReflectDeleteProperty, globalThis } = boot.primordials;
  const absent = [
    "window", "self", "document", "navigator", "Navigator", "location", "XMLHttpRequest",
    "WebSocket", "EventSource", "importScripts", "Worker", "SharedWorker", "indexedDB", "caches",
    "sessionStorage", "alert", "confirm", "prompt", "setImmediate", "process", "require",
    "module", "Deno", "Bun", "SharedArrayBuffer", "Atomics", "global", "gc", "print", "version",
  ];
  for (let i = 0; i < absent.length; i++) ReflectDeleteProperty(globalThis, absent[i]);
  return { __proto__: null };
});
