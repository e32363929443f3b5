"""Checking a bundle an operator installs as a library (SPEC section 9, "install library").

`check_library(name, source, settings)` runs the bundle in a fresh sandbox under the default
limits, as a browser script (Appsmith's worker `importScripts` it: `self` exists, no module
system), and records the globals it defines. A bundle that does not parse, throws, runs past the
budget, defines nothing, or defines a name the sandbox already has is refused with a
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

__all__ = ["MAX_LIBRARY_BYTES", "LibraryRefused", "check_library"]

MAX_LIBRARY_BYTES = 8 * 1024 * 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_SOURCE_GLOBAL = "__jsevalLibrarySource"
# Run as a worker runs an imported script: global code (top-level `var`s and functions become
# globals), `self` and `window` naming the global object while it runs.
_DISCOVER = f"""
const libraryGlobals = LIBRARY_GLOBALS;
const getters = libraryGlobals.map(
  (name) => Object.getOwnPropertyDescriptor(globalThis, name)?.get);
const before = new Set(Reflect.ownKeys(globalThis));
for (const name of ['self', 'window']) {{
  Object.defineProperty(globalThis, name,
    {{ value: globalThis, writable: true, configurable: true }});
}}
(0, eval)({_SOURCE_GLOBAL});
delete globalThis.self;
delete globalThis.window;
// Another library's global the bundle touched: read (a plugin extending it) or replaced?
const replaced = libraryGlobals.filter((name, i) => {{
  const desc = Object.getOwnPropertyDescriptor(globalThis, name);
  if (getters[i] === undefined || (desc !== undefined && desc.get === getters[i])) return false;
  const now = globalThis[name];
  return now !== Reflect.apply(getters[i], globalThis, []);
}});
[Reflect.ownKeys(globalThis).filter((key) => typeof key === 'string' && !before.has(key)), replaced]
"""


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
    a library of the same name is being replaced and does not count.
    """
    settings = settings or Settings()
    if not _NAME.match(name):
        raise LibraryRefused(
            "a library name is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    if any(name == lib.name for lib in BUILTIN_LIBRARIES):
        raise LibraryRefused(f"{name!r} is a built-in library")
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_LIBRARY_BYTES:
        raise LibraryRefused(
            f"the bundle is {size} bytes; at most {MAX_LIBRARY_BYTES} are accepted"
        )
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
    outcome = found.result if isinstance(found.result, list) and len(found.result) == 2 else []
    names = [str(n) for n in outcome[0]] if outcome and isinstance(outcome[0], list) else []
    replaced = [str(n) for n in outcome[1]] if outcome and isinstance(outcome[1], list) else []
    if replaced:
        raise LibraryRefused(
            f"the bundle replaces {replaced[0]!r}, a global of another library"
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

    candidate = InstalledLibrary(name, version or "", tuple(names), source)
    probe = (
        "const values = [" + ", ".join(names) + "];\n"
        "const first = values[0];\n"
        "const version = first != null && typeof first.VERSION === 'string' ? first.VERSION :"
        " first != null && typeof first.version === 'string' ? first.version : null;\n"
        "[values.map((v) => typeof v), version]"
    )
    loaded = _run(settings, LibraryCatalog([*others, candidate]), {"code": probe})
    if not loaded.ok:
        raise LibraryRefused(_failure(loaded, "it was loaded as a library"))
    outcome = loaded.result if isinstance(loaded.result, list) else []
    types = outcome[0] if outcome and isinstance(outcome[0], list) else []
    detected = outcome[1] if len(outcome) > 1 else None
    for global_name, kind in zip(names, types, strict=False):
        if kind == "undefined":
            raise LibraryRefused(
                f"the bundle's global {global_name!r} is undefined when loaded as a library"
            )
    final_version = version or (detected if isinstance(detected, str) else "") or "unknown"
    return InstalledLibrary(name, final_version[:64], tuple(names), source)
