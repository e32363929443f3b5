// shims/web/47_microtask.js: queueMicrotask (HTML).
// Exposes: `queueMicrotask` (90_install publishes it).
// Hides:   nothing.
// Needs:   00_primordials; 70_run at call time (a throwing callback is reported as uncaught).
// Load:    lazy (first call).
(function (boot) {
  "use strict";
  const {
    ReflectApply, TypeError,
  } = boot.primordials;

  function queueMicrotask(callback) {
    if (typeof callback !== "function") {
      throw new TypeError("Failed to execute 'queueMicrotask': The callback provided as " +
        "parameter 1 is not a function.");
    }
    runMicrotask(callback);
  }

  async function runMicrotask(callback) {
    await undefined;
    try {
      ReflectApply(callback, undefined, []);
    } catch (error) {
      boot.run.reportUncaught(error);
    }
  }

  return {
    __proto__: null, queueMicrotask,
  };
});
