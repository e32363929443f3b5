"""The sandbox's global object holds exactly the allow-list: built-ins, framework, web APIs."""

from __future__ import annotations

from evaluator import Evaluator
from evaluator.models import RESERVED_GLOBALS

# ECMAScript built-ins V8 14 defines, minus what the sandbox removes (shims/core/99_seal.js).
ECMASCRIPT = {
    "AggregateError", "Array", "ArrayBuffer", "AsyncDisposableStack", "BigInt", "BigInt64Array",
    "BigUint64Array", "Boolean", "DataView", "Date", "DisposableStack", "Error", "EvalError",
    "FinalizationRegistry", "Float16Array", "Float32Array", "Float64Array", "Function",
    "Infinity", "Int16Array", "Int32Array", "Int8Array", "Intl", "Iterator", "JSON", "Map",
    "Math", "NaN", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError",
    "Reflect", "RegExp", "Set", "String", "SuppressedError", "Symbol", "SyntaxError", "Temporal",
    "TypeError", "URIError", "Uint16Array", "Uint32Array", "Uint8Array", "Uint8ClampedArray",
    "WeakMap", "WeakRef", "WeakSet", "decodeURI", "decodeURIComponent", "encodeURI",
    "encodeURIComponent", "escape", "eval", "globalThis", "isFinite", "isNaN", "parseFloat",
    "parseInt", "undefined", "unescape",
}
FRAMEWORK = {
    "appsmith", "clearInterval", "clearStore", "clearTimeout", "closeModal", "copyToClipboard",
    "download", "localStorage", "navigateTo", "postWindowMessage", "removeValue", "resetWidget",
    "setInterval", "setTimeout", "showAlert", "showModal", "storeValue",
}
WEB = {"atob", "btoa", "console", "crypto", "performance", "queueMicrotask", "structuredClone",
       "URL", "URLSearchParams",
       "TextDecoder",
       "TextEncoder"}
FETCH = {"fetch", "Headers", "Request", "Response", "AbortController", "AbortSignal"}
LIBRARIES = {"_", "moment", "forge"}  # SPEC section 9, loaded on first read


def global_names(evaluator: Evaluator, **fields: object) -> set[str]:
    code = "Reflect.ownKeys(globalThis).map(String)"
    if fields.get("mode") == "function":
        code = "return " + code
    result = evaluator.evaluate({"code": code, **fields})
    assert result.ok, result.error
    return set(result.result)


def test_global_object_is_the_allow_list(evaluator: Evaluator) -> None:
    names = global_names(evaluator)
    fetch_present = names & FETCH
    assert names - fetch_present == ECMASCRIPT | FRAMEWORK | WEB | LIBRARIES
    # fetch and its classes come together (when the fetch capability is built), or not at all.
    assert fetch_present in (set(), FETCH)


def test_request_globals_and_args_are_added(evaluator: Evaluator) -> None:
    names = global_names(evaluator, mode="expression", globals={"Table1": {}})
    assert "Table1" in names
    names = global_names(evaluator, mode="function", args=[1])
    assert "args" in names


def test_reserved_names_cover_every_sandbox_global(evaluator: Evaluator) -> None:
    names = global_names(evaluator) - {"Infinity", "NaN", "undefined"}
    assert names - RESERVED_GLOBALS == set()


def test_a_reserved_global_name_is_rejected(evaluator: Evaluator) -> None:
    import pytest

    from evaluator import RequestRejected

    for name in ("console", "storeValue", "Object", "args", "this", "not-an-identifier"):
        with pytest.raises(RequestRejected):
            evaluator.evaluate({"code": "1", "globals": {name: 1}})
