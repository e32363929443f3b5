// shims/framework/18_framework.js: what every framework function shares.
// Exposes: `ActionValidationError`, `ActionCalledInSyncFieldError` (errors user code can catch and
//          tell apart by `name`), `guard(fnName)` (throws in a data field, i.e. expression mode),
//          `expectType(fn, arg, expected, value)`, `typeName(value)`, `copyValue(value)` (a JSON copy
//          by the result rules, or a TypeError).
// Hides:   nothing.
// Needs:   00_primordials, 05_host (config: dataField), 08_encode.
// Load:    lazy (first framework function).
//
// Messages follow Appsmith's templates; type names are lower-case as the contract writes them
// ("showAlert expected string for 'message' argument but received number").
(function (boot) {
  "use strict";
  const {
    ArrayIsArray, Error, JSONParse, ObjectDefineProperty, TypeError, nativeLooking,
  } = boot.primordials;
  const { encode, EncodeFailure } = boot.encode;

  class ActionValidationError extends Error {}
  ObjectDefineProperty(ActionValidationError.prototype, "name", {
    __proto__: null, value: "ActionValidationError", writable: true, configurable: true,
  });

  class ActionCalledInSyncFieldError extends Error {}
  ObjectDefineProperty(ActionCalledInSyncFieldError.prototype, "name", {
    __proto__: null, value: "ActionCalledInSyncFieldError", writable: true, configurable: true,
  });
  // User code reaches both classes as `error.constructor`: they print as native code.
  nativeLooking(ActionValidationError);
  nativeLooking(ActionCalledInSyncFieldError);

  const config = boot.host.config; // dataField: true in expression mode

  function guard(fnName) {
    if (config.dataField) {
      throw new ActionCalledInSyncFieldError(
        "Please remove any direct/indirect references to " + fnName + "() and try again. " +
        "Data fields cannot execute framework actions.");
    }
  }

  function typeName(value) {
    if (value === null) return "null";
    if (typeof value === "object") {
      try {
        if (ArrayIsArray(value)) return "array";
      } catch { /* revoked Proxy */ }
    }
    return typeof value;
  }

  function expectType(fnName, argName, expected, value) {
    const actual = typeName(value);
    if (actual !== expected) {
      throw new ActionValidationError(fnName + " expected " + expected + " for '" + argName +
        "' argument but received " + actual);
    }
  }

  function fail(fnName, argName, expected, value) {
    throw new ActionValidationError(fnName + " expected " + expected + " for '" + argName +
      "' argument but received " + typeName(value));
  }

  // A JSON copy of `value` by the result rules: {text, value}; a TypeError if it cannot be copied.
  function copyValue(value, what, maxBytes) {
    let text;
    try {
      text = encode(value, { maxBytes, onCycle: "fail", onThrow: "fail", root: what });
    } catch (error) {
      if (error instanceof EncodeFailure) throw new TypeError(error.message);
      throw error;
    }
    return { __proto__: null, text, value: boot.host.freeze(JSONParse(text)) };
  }

  return {
    __proto__: null, ActionValidationError, ActionCalledInSyncFieldError, guard,
    expectType, fail, typeName, copyValue,
  };
});
