// shims/framework/40_actions.js: the framework actions and the `actions` record.
// Exposes: showAlert, navigateTo, showModal, closeModal, download, copyToClipboard, resetWidget,
//          postWindowMessage; `record(type, payloadJson)` (also used by 30_store), `charge(bytes)`,
//          `valueLimit()` and `text(string, what)` (a string argument as JSON, size-checked).
// Hides:   the payload byte and action counters.
// Needs:   00_primordials, 05_host (config: maxResultBytes), 18_framework.
// Load:    lazy (first action or store change).
//
// Each action validates its arguments synchronously (ActionValidationError, before any Promise
// exists), copies user values as JSON by the result rules (TypeError if impossible; nothing is
// recorded), records {type, payload} with Appsmith's type name, and returns a Promise (undefined
// for postWindowMessage). In expression mode each throws ActionCalledInSyncFieldError instead.
(function (boot) {
  "use strict";
  const { RangeError, TypeError } = boot.primordials;
  const { abort, emit, jsonString } = boot.host;
  const { ActionValidationError, copyValue, expectType, fail, guard, typeName } = boot.framework;

  // One value may take the result's cap; all payloads of an evaluation, eight times that.
  const maxResultBytes = boot.host.config.maxResultBytes;
  const limits = {
    __proto__: null, maxValueBytes: maxResultBytes, maxTotalBytes: maxResultBytes * 8, used: 0,
    count: 0,
  };
  // At most this many actions (store changes included) per evaluation. The byte cap alone let a
  // loop of clearStore() (2 bytes each) send four million records, which the host then held as
  // Python objects (2 GB, 30 s past the deadline). Every record also pays a fixed overhead.
  const MAX_ACTIONS = 10000;
  const RECORD_OVERHEAD = 32;

  function valueLimit() {
    return limits.maxValueBytes;
  }

  // Count payload bytes; past the evaluation's total the evaluation ends with kind "limit".
  function charge(bytes) {
    limits.used += bytes;
    if (limits.used > limits.maxTotalBytes) {
      abort("limit", "actions and store values exceed " + limits.maxTotalBytes +
        " bytes in one evaluation", RangeError);
    }
  }

  // A string argument as JSON text, refused (the TypeError of an uncopyable value) when longer
  // than one value may be: checked on its length, before it is flattened or copied.
  function text(value, what) {
    if (value.length > limits.maxValueBytes) {
      throw new TypeError("cannot copy " + what + ": it is larger than " + limits.maxValueBytes +
        " bytes");
    }
    return jsonString(value);
  }

  function record(type, payloadJson) {
    limits.count += 1;
    if (limits.count > MAX_ACTIONS) {
      abort("limit", "more than " + MAX_ACTIONS + " actions in one evaluation", RangeError);
    }
    charge(payloadJson.length + RECORD_OVERHEAD);
    emit("actions", "{\"type\":" + jsonString(type) + ",\"payload\":" + payloadJson + "}");
  }

  function copy(value, what) {
    return copyValue(value, what, limits.maxValueBytes).text;
  }

  function isObject(value) {
    return typeName(value) === "object";
  }

  async function resolved() {
    return undefined;
  }

  const ALERT_STYLES = { __proto__: null, info: true, success: true, warning: true, error: true };

  function showAlert(message, style) {
    guard("showAlert");
    expectType("showAlert", "message", "string", message);
    if (style !== undefined && (typeof style !== "string" || ALERT_STYLES[style] !== true)) {
      fail("showAlert", "style", "'info' | 'success' | 'warning' | 'error'", style);
    }
    const styleJson = style === undefined ? "" : ",\"style\":" + jsonString(style);
    record("SHOW_ALERT", "{\"message\":" + text(message, "the message") + styleJson + "}");
    return resolved();
  }

  // Defaults of object parameters are written as JSON text, not as `{}` objects: an object made
  // here would be handed to user hooks (an Object.prototype.toJSON getter) while it is copied.
  function navigateTo(pageNameOrUrl, params = undefined, target = "SAME_WINDOW") {
    guard("navigateTo");
    expectType("navigateTo", "pageNameOrUrl", "string", pageNameOrUrl);
    if (params !== undefined && !isObject(params)) fail("navigateTo", "params", "object", params);
    if (target !== "SAME_WINDOW" && target !== "NEW_WINDOW") {
      fail("navigateTo", "target", "'SAME_WINDOW' | 'NEW_WINDOW'", target);
    }
    const paramsJson = params === undefined ? "{}" : copy(params, "navigateTo params");
    record("NAVIGATE_TO", "{\"pageNameOrUrl\":" + text(pageNameOrUrl, "pageNameOrUrl") + ",\"params\":" +
      paramsJson + ",\"target\":" + jsonString(target) + "}");
    return resolved();
  }

  function showModal(modalName) {
    guard("showModal");
    expectType("showModal", "modalName", "string", modalName);
    record("SHOW_MODAL_BY_NAME", "{\"modalName\":" + text(modalName, "the modal name") + "}");
    return resolved();
  }

  function closeModal(modalName) {
    guard("closeModal");
    expectType("closeModal", "modalName", "string", modalName);
    record("CLOSE_MODAL", "{\"modalName\":" + text(modalName, "the modal name") + "}");
    return resolved();
  }

  function download(data, fileName, fileType) {
    guard("download");
    if (fileName === undefined || fileName === null || fileName === "") {
      throw new ActionValidationError("Please enter a file name");
    }
    expectType("download", "fileName", "string", fileName);
    if (fileType !== undefined) expectType("download", "fileType", "string", fileType);
    const dataJson = copy(data, "download data");
    const typeJson = fileType === undefined ? "" : ",\"type\":" + text(fileType, "the file type");
    record("DOWNLOAD", "{\"data\":" + dataJson + ",\"name\":" + text(fileName, "the file name") + typeJson +
      "}");
    return resolved();
  }

  function copyToClipboard(data, options = undefined) {
    guard("copyToClipboard");
    expectType("copyToClipboard", "data", "string", data);
    if (options !== undefined && !isObject(options)) {
      fail("copyToClipboard", "options", "object", options);
    }
    const optionsJson = options === undefined ? "{}" : copy(options, "copyToClipboard options");
    record("COPY_TO_CLIPBOARD", "{\"data\":" + text(data, "the data") + ",\"options\":" + optionsJson +
      "}");
    return resolved();
  }

  function resetWidget(widgetName, resetChildren = true) {
    guard("resetWidget");
    expectType("resetWidget", "widgetName", "string", widgetName);
    expectType("resetWidget", "resetChildren", "boolean", resetChildren);
    record("RESET_WIDGET_META_RECURSIVE_BY_NAME", "{\"widgetName\":" + text(widgetName, "the widget name") +
      ",\"resetChildren\":" + (resetChildren ? "true" : "false") + "}");
    return resolved();
  }

  function postWindowMessage(message, source = "window", targetOrigin = "*") {
    guard("postWindowMessage");
    expectType("postWindowMessage", "source", "string", source);
    expectType("postWindowMessage", "targetOrigin", "string", targetOrigin);
    const messageJson = copy(message, "the message");
    record("POST_MESSAGE", "{\"message\":" + messageJson + ",\"source\":" + text(source, "the source") +
      ",\"targetOrigin\":" + text(targetOrigin, "the target origin") + "}");
    return undefined;
  }

  return {
    __proto__: null, showAlert, navigateTo, showModal, closeModal, download, copyToClipboard,
    resetWidget, postWindowMessage, record, charge, valueLimit, text,
  };
});
