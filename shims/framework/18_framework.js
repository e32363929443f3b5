// shims/framework/18_framework.js: what every framework function shares.
// Exposes: `ActionValidationError`, `ActionCalledInSyncFieldError` (errors user code can catch and
//          tell apart by `name`), `guard(fnName)` (throws in a data field, i.e. expression mode),
//          `promised(work)` (the call's Promise: resolves to what `work()` returns, rejects with
//          what it throws), `invalid(fn, arg, expected, value)` (Appsmith's validation error),
//          `typeName(value)` (Appsmith's getType), `copyValue(value)` (a JSON copy by the result
//          rules, or a TypeError) and `copyText(value)` (its text only).
// Hides:   nothing.
// Needs:   00_primordials, 05_host (config: dataField), 08_encode, 16_promises.
// Load:    lazy (first framework function).
//
// Appsmith's framework functions are async functions (workers/Evaluation/fns/utils/Promisify.ts):
// whatever fails after the data-field guard (a check of its main thread, a value that cannot be
// copied) rejects the call's Promise; nothing but the guard throws at the call. The checks are the
// main thread's (sagas/ActionExecution/*), with its messages and upper-case type names
// (utils/TypeHelpers.ts): "showAlert expected STRING for 'message' argument but received NUMBER".
(function (boot) {
  "use strict";
  const {
    ArrayIsArray, BooleanPrototypeValueOf, Error, JSONParse, NumberPrototypeValueOf,
    ObjectDefineProperty, StringPrototypeValueOf, TypeError, isBrand, nativeLooking,
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

  // The call's Promise, owned by the runtime (16_promises): a rejection nobody handles is logged.
  function promised(work) {
    let value;
    try {
      value = work();
    } catch (error) {
      return boot.promises.rejected(error);
    }
    return boot.promises.resolved(value);
  }

  // Appsmith's getType, lodash's tests in its order: a boxed string is a STRING (brand checks,
  // which run no user code), a Symbol or BigInt is UNKNOWN.
  function typeName(value) {
    switch (typeof value) {
      case "string": return "STRING";
      case "number": return "NUMBER";
      case "boolean": return "BOOLEAN";
      case "function": return "FUNCTION";
      case "undefined": return "UNDEFINED";
      case "object": break;
      default: return "UNKNOWN";
    }
    if (value === null) return "NULL";
    if (isBrand(StringPrototypeValueOf, value)) return "STRING";
    if (isBrand(NumberPrototypeValueOf, value)) return "NUMBER";
    if (isBrand(BooleanPrototypeValueOf, value)) return "BOOLEAN";
    try {
      if (ArrayIsArray(value)) return "ARRAY";
    } catch { /* a revoked Proxy */ }
    return "OBJECT";
  }

  // Appsmith's ActionValidationError (sagas/ActionExecution/errorUtils.ts), to throw in `work`.
  function invalid(fnName, argName, expected, value) {
    return new ActionValidationError(fnName + " expected " + expected + " for '" + argName +
      "' argument but received " + typeName(value));
  }

  // The JSON text of `value` by the result rules; a TypeError if it cannot be copied. `lenient`:
  // a cycle or a throwing getter is marked in the text instead (only a size past `maxBytes` fails).
  function copyText(value, what, maxBytes, lenient) {
    const mode = lenient === true ? "mark" : "fail";
    try {
      return encode(value, { maxBytes, onCycle: mode, onThrow: mode, root: what });
    } catch (error) {
      if (error instanceof EncodeFailure) throw new TypeError(error.message);
      throw error;
    }
  }

  // A JSON copy of `value` by the result rules: {text, value}; a TypeError if it cannot be copied.
  function copyValue(value, what, maxBytes) {
    const text = copyText(value, what, maxBytes, false);
    return { __proto__: null, text, value: boot.host.freeze(JSONParse(text)) };
  }

  return {
    __proto__: null, ActionValidationError, ActionCalledInSyncFieldError, guard, promised,
    invalid, typeName, copyText, copyValue,
  };
});
