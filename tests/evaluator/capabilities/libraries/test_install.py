"""Installing a library (SPEC section 9): the check in a fresh sandbox, and what evaluations get.

These drive `check_library` and the catalog directly, with the in-memory store; the SQL store
is tests/evaluator/libraries/, the admin API tests/api/routes/test_libraries.py, the CLI
tests/api/cli/test_library.py, the worker frames tests/evaluator/test_worker.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evaluator import Settings
from evaluator._engine import Engine
from evaluator.capabilities.libraries import (
    MAX_LIBRARY_BYTES,
    InstalledLibrary,
    LibraryCatalog,
    LibraryRefused,
    MemoryLibraryStore,
    check_library,
    validate_library_input,
)
from evaluator.models import EvaluationRequest

UMD = """(function (root, factory) {
  if (typeof define === 'function' && define.amd) define([], factory);
  else if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.Greeter = factory();
}(this, function () { return { VERSION: '1.2.3', hello: (n) => 'hello ' + n, now: () => Date.now() }; }));"""
IIFE = "var Tiny = (function () { return { add: (a, b) => a + b }; })();\nfunction tinyHelper() { return 42; }"
WEBPACK_SELF = """(function webpackUniversalModuleDefinition(root, factory) {
  if (typeof exports === 'object' && typeof module === 'object') module.exports = factory();
  else root['Pack'] = factory();
})(self, function () { return { ok: true, view: typeof window }; });"""


@pytest.fixture(scope="module")
def store() -> MemoryLibraryStore:
    store = MemoryLibraryStore()
    for name, source in (("greeter", UMD), ("tiny", IIFE), ("pack", WEBPACK_SELF)):
        store.save(check_library(name, source, installed=store.installed()))
    return store


@pytest.fixture(scope="module")
def engine(store: MemoryLibraryStore) -> Iterator[Engine]:
    catalog = LibraryCatalog()
    catalog.sync(store)
    engine = Engine(Settings(), pool_size=1, libraries=catalog)
    engine.start()
    try:
        yield engine
    finally:
        engine.close()


def run(engine: Engine, code: str, **fields: object) -> dict:
    return engine.run(EvaluationRequest.model_validate({"code": code, **fields})).model_dump(mode="json")


def test_the_check_records_the_globals_and_version_a_bundle_defines(store: MemoryLibraryStore) -> None:
    found = {lib.name: (lib.version, lib.globals) for lib in store.installed()}
    assert found == {
        "greeter": ("1.2.3", ("Greeter",)),  # its VERSION property
        "tiny": ("unknown", ("Tiny", "tinyHelper")),  # top-level var and function
        "pack": ("unknown", ("Pack",)),  # webpack's UMD with `self`, as in a worker
    }
    assert check_library("tiny2", "var Tiny2 = 1;", version="2.0.0").version == "2.0.0"


def test_installed_libraries_load_lazily_in_evaluations(engine: Engine) -> None:
    result = run(engine, "[Greeter.hello('x'), Tiny.add(1, 2), tinyHelper(), Pack.ok, Pack.view, typeof self, typeof window, _.VERSION]")
    assert result["ok"], result["error"]
    assert result["result"] == ["hello x", 3, 42, True, "object", "undefined", "undefined", "4.17.21"]
    # Not read, not loaded: the accessors are still there, and reading the store costs nothing.
    untouched = run(engine, "['Greeter', 'Tiny', 'Pack'].map((n) => typeof Object.getOwnPropertyDescriptor(globalThis, n).get)")
    assert untouched["result"] == ["function", "function", "function"]


def test_an_installed_library_sees_the_virtual_clock_and_is_fresh_each_time(engine: Engine) -> None:
    assert run(engine, "Greeter.now()", clock="virtual", now_ms=5)["result"] == 5
    assert run(engine, "Greeter.extra = 1; Greeter.extra")["result"] == 1
    assert run(engine, "typeof Greeter.extra")["result"] == "undefined"


def test_a_request_global_of_the_same_name_wins_for_that_evaluation(engine: Engine) -> None:
    result = run(engine, "[Greeter, Tiny.add(2, 2)]", globals={"Greeter": "data"})
    assert result["ok"] and result["result"] == ["data", 4]


@pytest.mark.parametrize(
    ("name", "source", "reason"),
    [
        ("thrower", "throw new TypeError('nope')", "the bundle threw when it ran: TypeError: nope"),
        ("looper", "while (true) {}", "did not finish"),
        ("hog", "const a = []; while (true) a.push(new Array(1e5).fill(1));", "memory budget"),
        ("empty", "1 + 1", "the bundle defines no global"),
        ("esm", "export default 1", "does not parse: SyntaxError"),
        ("cjs", "module.exports = { a: 1 }", "the bundle threw when it ran: ReferenceError"),
        ("renamer", "var fetch2 = 1; globalThis.appsmith2 = 2; var storeValue2 = 3; var _x = 1;", None),
        ("replacer", "this.moment = 1;", "the bundle replaces 'moment', a global of another library"),
        ("plugin", "moment.fn.plugged = function () { return 'yes'; }; var Plugin = 1;", None),
        ("reserved", "this['WebAssembly'] = 1;", "which the sandbox already has"),
        ("notname", "globalThis['not a name'] = 1;", "not a name code can use"),
        ("lodash", "var x = 1;", "is a built-in library"),
        ("Bad Name", "var x = 1;", "a library name is"),
        ("lazy", "Object.defineProperty(globalThis, 'Lazy', { get() { return undefined; }, configurable: true });", "undefined when loaded as a library"),
        # The sandbox's own globals may be used, never replaced or deleted by a bundle.
        ("user", "var User = 1; console.log('x'); new Headers(); _.chunk([1], 1); self.fetch = self.fetch;", None),
        ("fetcher", "var F = 1; self.fetch = function () {};", "replaces or deletes 'fetch', a global of the sandbox"),
        ("storer", "var S = 1; storeValue = function () {};", "replaces or deletes 'storeValue', a global of the sandbox"),
        ("logger", "var L = 1; Object.defineProperty(self, 'console', { get() { return {}; }, configurable: true });", "'console', a global of the sandbox"),
        ("deleter", "var D = 1; delete globalThis.setTimeout;", "replaces or deletes 'setTimeout'"),
        ("declarer", "var D = 1; function clearInterval() {}", "replaces or deletes 'clearInterval'"),
        ("typed", "var T = 1; self.Uint8Array = Array;", "replaces or deletes 'Uint8Array'"),
        # Names SPEC section 3 keeps absent stay absent: a library may not define them.
        ("shim", "var process = { env: {} }; var Shim = 1;", "defines 'process', a name the sandbox keeps undefined"),
        ("globalish", "var global = this, G = 1;", "defines 'global', a name the sandbox keeps undefined"),
        # What the check calls after the bundle ran cannot be bent by it.
        ("bender", "var B = 1; Array.prototype.filter = function () { return []; }; Object.getOwnPropertyDescriptor = function () {}; self.fetch = 1;", "replaces or deletes 'fetch'"),
    ],
)
def test_a_bundle_that_fails_the_check_is_refused_with_a_reason(name: str, source: str, reason: str | None) -> None:
    if reason is None:
        # Names close to the sandbox's are fine; so is a plugin that extends a library.
        library = check_library(name, source)
        assert set(library.globals) in (
            {"fetch2", "appsmith2", "storeValue2", "_x"}, {"Plugin"}, {"User"}
        )
        return
    with pytest.raises(LibraryRefused) as refused:
        check_library(name, source)
    assert reason in refused.value.reason
    assert refused.value.status_code == 422


def test_two_libraries_may_not_define_the_same_global(store: MemoryLibraryStore) -> None:
    with pytest.raises(LibraryRefused, match="replaces 'Tiny', a global of another library"):
        check_library("tiny-copy", "var Tiny = 2;", installed=store.installed())
    # Replacing a library by its own name is allowed.
    assert check_library("tiny", "var Tiny = 2;", installed=store.installed()).globals == ("Tiny",)


def test_a_bundle_past_the_size_cap_is_refused_before_it_runs() -> None:
    with pytest.raises(LibraryRefused, match="at most"):
        check_library("huge", "var Huge = 1;//" + "x" * MAX_LIBRARY_BYTES)


def test_a_large_source_past_latin_1_crosses_the_read_channel_exactly() -> None:
    """A source over several 64 KiB chunks, in UTF-16 (non-Latin-1 text, an astral character),
    arrives character for character."""
    source = "var Big = { text: '" + "€😀é" * 30000 + "' };"
    library = InstalledLibrary("big", "1", ("Big",), source)
    catalog = LibraryCatalog([library])
    engine = Engine(Settings(), pool_size=0, libraries=catalog)
    try:
        result = run(engine, "[Big.text.length, Big.text.slice(0, 4), Big.text.slice(-4), Big.text === '€😀é'.repeat(30000)]")
    finally:
        engine.close()
    assert result["ok"], result["error"]
    assert result["result"] == [120000, "€😀é", "€😀é", True]


def test_removing_and_replacing_reach_the_catalog(store: MemoryLibraryStore) -> None:
    local = MemoryLibraryStore()
    for library in store.installed():
        local.save(library)
    catalog = LibraryCatalog()
    catalog.sync(local)
    engine = Engine(Settings(), pool_size=0, libraries=catalog)
    try:
        assert run(engine, "Tiny.add(1, 1)")["result"] == 2
        local.save(check_library("tiny", "var Tiny = { add: (a, b) => a * b };", installed=local.installed()))
        catalog.sync(local)
        assert run(engine, "Tiny.add(3, 3)")["result"] == 9
        assert local.remove("tiny") and not local.remove("tiny")
        catalog.sync(local)
        assert run(engine, "typeof Tiny")["result"] == "undefined"
        assert [lib.name for lib in catalog.libraries()] == ["lodash", "moment", "forge", "greeter", "pack"]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("name", "source", "version", "reason"),
    [
        ("ok", "var Ok = 1;", "1.2.3 beta", "a version is 1 to 64 printable characters"),
        ("ok", "var Ok = 1;", "x" * 65, "a version is 1 to 64"),
        ("ok", "var Ok = '\ud800';", None, "not valid Unicode text"),
        ("-dash", "var Ok = 1;", None, "a library name is"),
    ],
)
def test_inputs_are_refused_before_any_sandbox(name: str, source: str, version: str | None, reason: str) -> None:
    with pytest.raises(LibraryRefused, match=reason):
        validate_library_input(name, source, version)
    with pytest.raises(LibraryRefused, match=reason):
        check_library(name, source, version=version)


def test_an_odd_version_string_in_the_bundle_is_recorded_as_unknown() -> None:
    assert check_library("odd", "var Odd = { VERSION: 'not a version' };").version == "unknown"
    assert check_library("even", "var Even = { version: '3.1.4-rc.1' };").version == "3.1.4-rc.1"


def test_the_memory_store_refuses_a_global_another_library_defines() -> None:
    local = MemoryLibraryStore()
    assert local.save(InstalledLibrary("a", "1", ("A", "shared"), "var A, shared;")) is True
    with pytest.raises(LibraryRefused, match="defines 'shared', which library 'a' already"):
        local.save(InstalledLibrary("b", "1", ("B", "shared"), "var B, shared;"))
    assert local.save(InstalledLibrary("a", "2", ("A", "shared"), "var A, shared;")) is False


def test_an_evaluation_keeps_the_libraries_it_started_with() -> None:
    """A library replaced or removed while an evaluation runs stays readable by that evaluation
    (its offer), and only by it: the catalog moves on, old texts go with the last evaluation."""
    old = InstalledLibrary("swap", "1", ("Swap",), "var Swap = 'old';")
    catalog = LibraryCatalog([old])
    offer = catalog.offer()
    [spec] = offer.installed_specs()
    key = spec["sources"][0]["key"]
    catalog.set_installed([InstalledLibrary("swap", "2", ("Swap",), "var Swap = 'new';")])
    assert offer.encoded_text(key) is not None and offer.encoded_text(key).data == b"var Swap = 'old';"
    assert catalog.encoded_text(key) is None
    catalog.set_installed([])
    assert catalog.offer().installed_specs() == [] and catalog.installed() == ()
    # The built-ins are read through any offer.
    assert offer.encoded_text("library/lodash/0") is not None


def test_the_absent_names_are_the_ones_the_runtime_deletes() -> None:
    """One list in JavaScript (shims/core/99_seal.js), its copy here: kept equal."""
    import re
    from importlib import resources

    from evaluator.capabilities.libraries._install import ABSENT_GLOBALS

    seal = resources.files("shims").joinpath("core/99_seal.js").read_text("utf-8")
    listed = re.search(r"const absent = \[(.*?)\];", seal, re.S)
    assert listed is not None
    assert set(re.findall(r'"([A-Za-z]+)"', listed.group(1))) == ABSENT_GLOBALS
