"""Checking a bundle an operator installs as a library (SPEC section 9, "install library").

`check_library(name, source, settings)` runs the bundle in a fresh sandbox under the default
limits, as a browser script (Appsmith's worker `importScripts` it: `self` exists, no module
system), and records the globals it defines. A bundle that does not parse, throws, runs past the
budget, defines nothing, defines a name the sandbox already has, or replaces one of the
sandbox's globals (`fetch`, `storeValue`, `console`) or another library's is refused with a
`LibraryRefused` that says which. A second run loads it through the real loader
(shims/libraries/65_libraries.js), so what is installed is what evaluations will get.

Storing it is the data store's job (`LibraryStore`); no request can install a library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from evaluator.capabilities.libraries._catalog import (
    BUILTIN_LIBRARIES,
    InstalledLibrary,
    LibraryCatalog,
)
from evaluator.errors import RequestRejected
from evaluator.models import RESERVED_GLOBALS, EvaluationRequest, EvaluationResult
from evaluator.settings import Settings

__all__ = [
    "ABSENT_GLOBALS",
    "LIBRARY_NAME_PATTERN",
    "LIBRARY_VERSION_PATTERN",
    "MAX_LIBRARY_BYTES",
    "LibraryRefused",
    "check_library",
    "is_library_global",
    "validate_library_input",
]

MAX_LIBRARY_BYTES = 8 * 1024 * 1024
LIBRARY_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # npm-like: lowercase, digits, . _ -
LIBRARY_VERSION_PATTERN = r"^[\x21-\x7e]{1,64}$"  # printable ASCII, no spaces: 1.2.3-beta.1
_NAME = re.compile(LIBRARY_NAME_PATTERN)
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_VERSION = re.compile(LIBRARY_VERSION_PATTERN)
_SOURCE_GLOBAL = "__jsevalLibrarySource"
# Run as a worker runs an imported script: global code (top-level `var`s and functions become
# globals), `self` and `window` naming the global object while it runs. Afterwards: the new
# globals, the other libraries' globals it replaced, and the sandbox's globals it replaced or
# deleted. A lazy global of the runtime (`console`, `Headers`) becomes a data property when it is
# first read; that is the runtime's doing, told apart by asking its getter again. After the
# bundle ran, this code calls only what it captured before (a bundle may replace
# `Array.prototype.filter` or `Object.getOwnPropertyDescriptor`), reads only own properties,
# makes no array (a setter on `Array.prototype` or a `constructor`/species hook would see it)
# and answers with a string of JSON, built by hand (no object passes a `then` or `toJSON` hook).
_DISCOVER = f"""
const apply = Reflect.apply, ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor;
const same = Object.is, hasOwn = Object.hasOwn, quote = JSON.stringify, has = Set.prototype.has;
const libraryGlobals = LIBRARY_GLOBALS;
const getters = libraryGlobals.map((name) => describe(globalThis, name)?.get);
const before = new Set(ownKeys(globalThis));
const sandboxGlobals = [...before].filter(
  (key) => typeof key === 'string' && !libraryGlobals.includes(key));
const descriptors = sandboxGlobals.map((key) => describe(globalThis, key));
for (const name of ['self', 'window']) {{
  Object.defineProperty(globalThis, name,
    {{ value: globalThis, writable: true, configurable: true }});
}}
(0, eval)({_SOURCE_GLOBAL});
delete globalThis.self;
delete globalThis.window;
// Another library's global the bundle touched: read (a plugin extending it) or replaced?
let replaced = '';
for (let i = 0; i < libraryGlobals.length; i++) {{
  if (getters[i] === undefined) continue;
  const desc = describe(globalThis, libraryGlobals[i]);
  if (desc !== undefined && hasOwn(desc, 'get') && desc.get === getters[i]) continue;
  if (globalThis[libraryGlobals[i]] === apply(getters[i], globalThis, [])) continue;
  replaced += (replaced ? ',' : '') + quote(libraryGlobals[i]);
}}
let touched = '';
for (let i = 0; i < sandboxGlobals.length; i++) {{
  const was = descriptors[i];
  const now = describe(globalThis, sandboxGlobals[i]);
  const changed = now === undefined ? true
    : hasOwn(was, 'value') ? !hasOwn(now, 'value') || !same(was.value, now.value)
    : hasOwn(now, 'value') ? !same(now.value, apply(was.get, globalThis, []))
    : now.get !== was.get || now.set !== was.set;
  if (changed) touched += (touched ? ',' : '') + quote(sandboxGlobals[i]);
}}
let added = '';
const after = ownKeys(globalThis);
for (let i = 0; i < after.length; i++) {{
  const key = after[i];
  if (typeof key === 'string' && !apply(has, before, [key])) {{
    added += (added ? ',' : '') + quote(key);
  }}
}}
'[[' + added + '],[' + replaced + '],[' + touched + ']]'
"""
# Names SPEC section 3 keeps absent (shims/core/99_seal.js deletes them; a test keeps the two
# lists equal), and the module-system names the loader binds to nothing: a library defining
# one would make every evaluation see it.
ABSENT_GLOBALS: frozenset[str] = frozenset(
    """
    window self document navigator Navigator location XMLHttpRequest WebSocket EventSource
    importScripts Worker SharedWorker indexedDB caches sessionStorage alert confirm prompt
    setImmediate process require module Deno Bun SharedArrayBuffer Atomics global gc print
    version
    """.split()
)
_LOADER_NAMES = frozenset({"exports", "define", "__proto__"})


class LibraryRefused(RequestRejected):
    """A bundle did not pass the install check; `reason` says why (422)."""

    def __init__(self, reason: str) -> None:
        super().__init__([{"loc": ["body"], "msg": reason, "type": "library_refused"}])
        self.reason = reason


def _failure(result: EvaluationResult, step: str) -> str:
    error = result.error
    if error is None:
        return f"the bundle failed when {step}"
    if error.kind == "timeout":
        return f"the bundle did not finish when {step}, within the default time budget"
    if error.kind == "memory":
        return f"the bundle went past the default memory budget when {step}"
    if error.name == "SyntaxError":
        return f"the bundle does not parse: SyntaxError: {error.message}"[:500]
    return f"the bundle threw when {step}: {error.name}: {error.message}"[:500]


def _run(settings: Settings, catalog: LibraryCatalog, body: dict[str, object]) -> EvaluationResult:
    from evaluator._engine import Engine  # the engine imports this package

    engine = Engine(settings, pool_size=0, libraries=catalog)
    try:
        return engine.run(EvaluationRequest.model_validate(body))
    finally:
        engine.close()


def is_library_global(name: str) -> bool:
    """Whether `name` may be an installed library's global: an identifier the sandbox and the
    built-in libraries do not use."""
    return (
        _IDENTIFIER.match(name) is not None
        and name not in RESERVED_GLOBALS
        and name not in ABSENT_GLOBALS
        and name not in _LOADER_NAMES
        and all(name not in lib.globals for lib in BUILTIN_LIBRARIES)
    )


def validate_library_input(name: str, source: str, version: str | None = None) -> None:
    """The checks that need no sandbox (name, size, text), so a service can refuse at once.

    Raises LibraryRefused with the reason.
    """
    if not _NAME.match(name):
        raise LibraryRefused(
            "a library name is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    if any(name == lib.name for lib in BUILTIN_LIBRARIES):
        raise LibraryRefused(f"{name!r} is a built-in library")
    if version is not None and not _VERSION.match(version):
        raise LibraryRefused(
            "a version is 1 to 64 printable characters without spaces (such as 1.2.3)"
        )
    try:
        size = len(source.encode("utf-8"))
    except UnicodeEncodeError:
        raise LibraryRefused(
            "the bundle is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    if size > MAX_LIBRARY_BYTES:
        raise LibraryRefused(
            f"the bundle is {size} bytes; at most {MAX_LIBRARY_BYTES} are accepted"
        )


def check_library(
    name: str,
    source: str,
    settings: Settings | None = None,
    *,
    version: str | None = None,
    installed: Iterable[InstalledLibrary] = (),
) -> InstalledLibrary:
    """Check `source` as library `name` and return it as installable, or raise LibraryRefused.

    `installed` are the libraries already there (another name may not define their globals);
    a library of the same name is being replaced and does not count. Runs two evaluations in
    fresh sandboxes of this process: call it where untrusted code may run (a worker process,
    `EvaluationService.check_library`), not in a process that holds secrets.
    """
    settings = settings or Settings()
    validate_library_input(name, source, version)
    others = [lib for lib in installed if lib.name != name]

    taken = {g for lib in BUILTIN_LIBRARIES for g in lib.globals}
    taken |= {g for lib in others for g in lib.globals}
    # The other libraries stay available (a plugin may extend one); one whose global the
    # bundle replaced is caught.
    code = _DISCOVER.replace("LIBRARY_GLOBALS", json.dumps(sorted(taken)))
    found = _run(settings, LibraryCatalog(others), {
        "code": code, "globals": {_SOURCE_GLOBAL: source},
    })
    if not found.ok:
        raise LibraryRefused(_failure(found, "it ran"))
    outcome = _string_lists(found.result, 3)
    names, replaced, touched = outcome[0], outcome[1], outcome[2]
    if replaced:
        raise LibraryRefused(
            f"the bundle replaces {replaced[0]!r}, a global of another library"
        )
    touched = [n for n in touched if n != _SOURCE_GLOBAL]
    if touched:
        raise LibraryRefused(
            f"the bundle replaces or deletes {touched[0][:64]!r}, a global of the sandbox"
        )
    if not names:
        raise LibraryRefused(
            "the bundle defines no global: install a UMD or IIFE build (one that sets a global "
            "when run as a script); ES modules and CommonJS-only files are not supported"
        )
    for global_name in names:
        if not _IDENTIFIER.match(global_name):
            raise LibraryRefused(
                f"the bundle defines the global {global_name[:64]!r}, not a name code can use"
            )
        if global_name in RESERVED_GLOBALS or global_name in taken:
            raise LibraryRefused(
                f"the bundle defines {global_name!r}, which the sandbox already has"
            )
        if global_name in ABSENT_GLOBALS or global_name in _LOADER_NAMES:
            raise LibraryRefused(
                f"the bundle defines {global_name!r}, a name the sandbox keeps undefined"
            )

    candidate = InstalledLibrary(name, version or "", tuple(names), source)
    # Reading the globals loads the library through the real loader; as above, the answer is a
    # string of JSON built by hand, whatever the library left on shared prototypes.
    probe = (
        "const quote = JSON.stringify;\n"
        "const values = [" + ", ".join(names) + "];\n"
        "let types = '';\n"
        "for (let i = 0; i < values.length; i++) {\n"
        "  types += (i ? ',' : '') + quote(typeof values[i]);\n"
        "}\n"
        "let version = null;\n"
        "try {\n"
        "  const first = values[0];\n"
        "  const found = first == null ? null : typeof first.VERSION === 'string' ? first.VERSION"
        " : typeof first.version === 'string' ? first.version : null;\n"
        "  if (typeof found === 'string' && found.length <= 64) version = found;\n"
        "} catch (error) {}\n"
        "'[[' + types + '],[' + (version === null ? '' : quote(version)) + ']]'"
    )
    loaded = _run(settings, LibraryCatalog([*others, candidate]), {"code": probe})
    if not loaded.ok:
        raise LibraryRefused(_failure(loaded, "it was loaded as a library"))
    types, detected_list = _string_lists(loaded.result, 2)
    detected = detected_list[0] if detected_list else None
    if len(types) != len(names):
        raise LibraryRefused("the bundle's globals could not be read when loaded as a library")
    for global_name, kind in zip(names, types, strict=True):
        if kind == "undefined":
            raise LibraryRefused(
                f"the bundle's global {global_name!r} is undefined when loaded as a library"
            )
    final_version = version or _detected_version(detected)
    return InstalledLibrary(name, final_version, tuple(names), source)


def _string_lists(result: object, count: int) -> list[list[str]]:
    """`count` lists of strings from a check run's answer (a JSON text), or LibraryRefused."""
    try:
        parsed = json.loads(result) if isinstance(result, str) else None
    except ValueError:
        parsed = None
    if (
        not isinstance(parsed, list)
        or len(parsed) != count
        or not all(isinstance(item, list) for item in parsed)
        or not all(isinstance(name, str) for item in parsed for name in item)
    ):
        raise LibraryRefused("the bundle changed the sandbox so that the check could not finish")
    return [list(item) for item in parsed]


def _detected_version(detected: object) -> str:
    """The bundle's own VERSION/version string when it is a usable version, else `unknown`."""
    if isinstance(detected, str) and _VERSION.match(detected):
        return detected
    return "unknown"
