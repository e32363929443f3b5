// shims/framework/40_actions.js: the framework actions and the `actions` record.
// Exposes: showAlert, navigateTo, showModal, closeModal, download, copyToClipboard, resetWidget,
//          postWindowMessage; `record(type, payloadJson)` (also used by 30_store), `charge(bytes)`,
//          `valueLimit()` and `text(string, what)` (a string argument as JSON, size-checked).
// Hides:   the payload byte and action counters.
// Needs:   00_primordials, 05_host (config: maxResultBytes), 18_framework; 10_console and
//          16_promises at call time.
// Load:    lazy (first action or store change).
//
// Each action is Appsmith's (workers/Evaluation/fns/*.ts builds the payload, sagas/ActionExecution/
// *.ts checks it on the main thread): it records {type, payload} with Appsmith's type name and
// returns a Promise that resolves to `[]` (ActionExecutionSagas.ts: `let response = []`).
// The checks are the main thread's, nothing more; a failed one rejects the Promise with an
// ActionValidationError and records nothing, as does a value that cannot be copied as JSON by the
// result rules (a TypeError). postWindowMessage is fire-and-forget: it returns undefined, and a
// target origin lodash calls empty is logged at level error instead of recorded (PostMessageSaga).
// In expression mode each throws ActionCalledInSyncFieldError at the call instead.
(function (boot) {
  "use strict";
  const {
    ArrayIsArray, ArrayPrototypeJoin, MapPrototypeGetSize, ObjectKeys, RangeError,
    SetPrototypeGetSize, StringPrototypeSlice, TypeError, listPush, newList,
  } = boot.primordials;
  const { abort, emit, jsonString } = boot.host;
  const {
    ActionValidationError, copyText, guard, invalid, promised, typeName,
  } = boot.framework;
  const { isMap, isSet } = boot.encode;

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

  // The JSON text of a payload value: a string is checked on its length before it is read.
  function json(value, what) {
    if (typeof value === "string") return text(value, what);
    return copyText(value, what, limits.maxValueBytes, false);
  }

  // A payload object from name, value, what triples; a value JSON leaves out of an object
  // (undefined, a function) is left out, as it is when the main thread receives the payload.
  function payload(...members) {
    const parts = newList();
    for (let i = 0; i < members.length; i += 3) {
      const value = members[i + 1];
      if (value === undefined || typeof value === "function") continue;
      listPush(parts, "\"" + members[i] + "\":" + json(value, members[i + 2]));
    }
    return "{" + ArrayPrototypeJoin(parts, ",") + "}";
  }

  // lodash's isEmpty, as PostMessageSaga.ts applies it to the target origin: a number, a boolean
  // or an empty string, array, Map, Set or object is empty.
  function isEmpty(value) {
    if (value === undefined || value === null) return true;
    if (typeof value === "string") return value.length === 0;
    if (typeof value !== "object" && typeof value !== "function") return true;
    if (isMap(value)) return MapPrototypeGetSize(value) === 0;
    if (isSet(value)) return SetPrototypeGetSize(value) === 0;
    let array = false;
    try {
      array = ArrayIsArray(value);
    } catch { /* a revoked Proxy: no keys below either */ }
    if (array) return value.length === 0;
    return ObjectKeys(value).length === 0;
  }

  const ALERT_STYLES = { __proto__: null, info: true, success: true, warning: true, error: true };

  function showAlert(message, style) {
    guard("showAlert");
    return promised(() => {
      // ShowAlertActionSaga.ts: the message must be a string; another style than these four is
      // ignored (the toast shows without one), so the record leaves it out.
      if (typeof message !== "string") throw invalid("showAlert", "message", "STRING", message);
      const known = typeof style === "string" && ALERT_STYLES[style] === true;
      record("SHOW_ALERT", "{\"message\":" + text(message, "the message") +
        (known ? ",\"style\":" + jsonString(style) : "") + "}");
      return [];
    });
  }

  function navigateTo(pageNameOrUrl, params = undefined, target = "SAME_WINDOW") {
    guard("navigateTo");
    return promised(() => {
      // NavigateActionSaga: a name that is no page and no URL fails. Pages are not known here;
      // an empty name (or none) is neither, whatever the pages.
      if (pageNameOrUrl === "" || pageNameOrUrl === undefined || pageNameOrUrl === null) {
        throw new ActionValidationError("Enter a valid URL or page name");
      }
      record("NAVIGATE_TO", payload("pageNameOrUrl", pageNameOrUrl, "pageNameOrUrl",
        "params", params, "navigateTo params", "target", target, "the target"));
      return [];
    });
  }

  function showModal(name) {
    guard("showModal");
    return promised(() => {
      if (typeof name !== "string") throw invalid("showModal", "name", "STRING", name);
      record("SHOW_MODAL_BY_NAME", "{\"modalName\":" + text(name, "the modal name") + "}");
      return [];
    });
  }

  function closeModal(name) {
    guard("closeModal");
    return promised(() => {
      if (typeof name !== "string") throw invalid("closeModal", "name", "STRING", name);
      record("CLOSE_MODAL", "{\"modalName\":" + text(name, "the modal name") + "}");
      return [];
    });
  }

  function download(data, name, type) {
    guard("download");
    return promised(() => {
      // DownloadActionSaga.ts checks only `if (!name)`.
      if (!name) throw invalid("download", "name", "STRING", name);
      record("DOWNLOAD", payload("data", data, "download data", "name", name, "the file name",
        "type", type, "the file type"));
      return [];
    });
  }

  function copyToClipboard(data, options) {
    guard("copyToClipboard");
    return promised(() => {
      // copyToClipboard.ts keeps `{debug: options?.debug, format: options?.format}`, read in
      // that order before the main thread checks `data` (CopyActionSaga.ts).
      let debug;
      let format;
      if (options !== undefined && options !== null) {
        debug = options.debug;
        format = options.format;
      }
      if (typeof data !== "string") throw invalid("copyToClipboard", "data", "STRING", data);
      record("COPY_TO_CLIPBOARD", "{\"data\":" + text(data, "the data") + ",\"options\":" +
        payload("debug", debug, "the debug option", "format", format, "the format option") + "}");
      return [];
    });
  }

  function resetWidget(widgetName, resetChildren = true) {
    guard("resetWidget");
    return promised(() => {
      // ResetWidgetActionSaga.ts checks the name with getType; the worker's payload carries the
      // meta updates it computed from the widget tree, which jseval does not have: none.
      if (typeName(widgetName) !== "STRING") {
        throw invalid("resetWidget", "widgetName", "STRING", widgetName);
      }
      const members = payload("widgetName", widgetName, "the widget name", "resetChildren",
        resetChildren, "resetChildren"); // never "{}": the name is a string
      record("RESET_WIDGET_META_RECURSIVE_BY_NAME",
        StringPrototypeSlice(members, 0, -1) + ",\"metaUpdates\":[]}");
      return [];
    });
  }

  function postWindowMessage(message, source, targetOrigin) {
    guard("postWindowMessage");
    if (isEmpty(targetOrigin)) {
      boot.console.logLine("error", "Please enter a target origin URL.");
      return undefined;
    }
    record("POST_MESSAGE", payload("message", message, "the message", "source", source,
      "the source", "targetOrigin", targetOrigin, "the target origin"));
    return undefined;
  }

  return {
    __proto__: null, showAlert, navigateTo, showModal, closeModal, download, copyToClipboard,
    resetWidget, postWindowMessage, record, charge, valueLimit, text,
  };
});
