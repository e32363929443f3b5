"""The JavaScript that runs inside every sandbox: one folder per capability, numbered files.

Each capability is a unit, as in Deno's `ext/`: `shims/<unit>/NN_name.js` (`shims/fetch/`,
`shims/web/`, `shims/framework/`, ...), its host half (if it has one) under
`evaluator/capabilities/<unit>/`. Files load in the order of their numbers across the whole
runtime (ties broken by name; gaps left for new ones). Each is one function expression
`(function (boot) { ... return {...}; })` whose exports land on a private `boot` record under
the file's name, so `20_timers.js` reads `boot.clock`; names are unique across units. Each
header says `// Load: eager`, `// Load: lazy` or `// Load: host`:

- eager shims run when the sandbox is prepared, in order;
- lazy shims ride along as source text and are compiled on first use (a getter on `boot`), so a
  fresh isolate pays only for the capabilities an evaluation touches. Preparing every shim
  eagerly cost each isolate about 6 ms of CPU, more than the isolate itself (bench/RESULTS.md).
  A lazy shim that needs others when it loads (`const { ... } = boot.webidl;` at its top level)
  is compiled together with those not loaded yet, in one `Function` call: small files by
  concern (fetch's headers, body, request, response) cost no more to load than one big file,
  where a compile per file cost fetch ~0.5 ms more;
- host shims are lazy shims too large to ride along (the IDNA tables: ~220 KB, which in the
  bundle cost every isolate ~30% more CPU to prepare): the host keeps their source
  (`hosted_source`) and the loader reads it on first use through the runtime's synchronous
  read channel (`boot.host.readText("shim/<name>")`, shims/core/05_host.js).

The bundle is one function expression that evaluates to the runtime's control function: nothing
is declared at the top level of the script, so no bootstrap name ever exists on `globalThis`. The
`Function` constructor that compiles lazy shims is captured before any user code runs.

This package holds no Python logic beyond finding, ordering and packing the files.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import NamedTuple

__all__ = [
    "HOSTED_PREFIX",
    "RUNTIME_SOURCE_URL",
    "ShimFile",
    "bundle",
    "hosted_source",
    "primordial_names",
    "shim_files",
]

RUNTIME_SOURCE_URL = "jseval:runtime"
HOSTED_PREFIX = "shim/"  # read-channel key of a host shim's source: "shim/<name>"
_NAME = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)\.js$")
_LOAD = re.compile(r"^// Load:\s+(eager|lazy|host)\b", re.MULTILINE)
# `const { A, B } = boot.primordials;` or `= P;`, and `P.Name` / `boot.primordials.Name`.
_DESTRUCTURE = re.compile(r"const\s*\{([^}]*)\}\s*=\s*(?:boot\.primordials|P)\s*;")
_MEMBER = re.compile(r"\b(?:boot\.primordials|P)\.([A-Za-z_$][\w$]*)")
# A shim's load-time needs: `const x = boot.name;` or `} = boot.name;` at its top level (the
# factory's body is indented two spaces; deeper lines run at call time).
_LOAD_NEED = re.compile(r"^  (?:const [^\n=]*|\}) = boot\.([a-z_][a-z0-9_]*)\b", re.MULTILINE)


class ShimFile(NamedTuple):
    """One shim: where it sits, when it loads, and its source."""

    number: str
    unit: str
    name: str
    source: str


def shim_files() -> list[ShimFile]:
    """Every shim of every unit, in load order (number, then name)."""
    found: dict[str, ShimFile] = {}
    root = resources.files(__package__)
    for unit in root.iterdir():
        if not unit.is_dir() or unit.name.startswith(("_", ".")):
            continue
        for entry in unit.iterdir():
            match = _NAME.match(entry.name)
            if match is None:
                continue
            number, name = match.groups()
            if name in found:
                other = found[name]
                raise RuntimeError(f"two shims share the name {name}: {other.unit}, {unit.name}")
            found[name] = ShimFile(number, unit.name, name, entry.read_text(encoding="utf-8"))
    return sorted(found.values(), key=lambda shim: (shim.number, shim.name))


def load_kind(source: str) -> str:
    """`eager`, `lazy` or `host`, from the shim's `// Load:` header line."""
    match = _LOAD.search(source)
    if match is None:
        raise RuntimeError("every shim header needs a `// Load: eager|lazy|host` line")
    return match.group(1)


def primordial_names(sources: list[str]) -> list[str]:
    """Every primordial name the shims read, so 00_primordials.js resolves only those."""
    names: set[str] = set()
    for source in sources:
        for block in _DESTRUCTURE.findall(source):
            for part in block.split(","):
                name = part.split(":")[0].strip()
                if name:
                    names.add(name)
        names.update(_MEMBER.findall(source))
    return sorted(names)


# The objects 00_primordials.js resolves names against (its `holders`).
_HOLDERS = (
    "AggregateError Array ArrayBuffer BigInt BigInt64Array BigUint64Array Boolean DataView Date "
    "Error EvalError FinalizationRegistry Float16Array Float32Array Float64Array Function "
    "Int16Array Int32Array Int8Array Map Number Object Promise Proxy RangeError ReferenceError "
    "RegExp Set String Symbol SyntaxError TypeError URIError Uint16Array Uint32Array Uint8Array "
    "Uint8ClampedArray WeakMap WeakRef WeakSet JSON Math Reflect TypedArray"
).split()


def _key(part: str) -> str:
    """`Push` -> `push`; `SymbolIterator` -> `@@iterator` (a well-known symbol)."""
    if part.startswith("Symbol") and len(part) > 6:
        return "@@" + part[6].lower() + part[7:]
    return part[:1].lower() + part[1:]


def _split_names(names: list[str]) -> list[str | int]:
    """Parse each Deno-style name for 00_primordials.js, six entries per name: the name, its
    holder (longest matching constructor or namespace), 1 if the member is on the prototype,
    the member's key, and for a possible getter or setter the slot and the accessor's key.
    Doing this here, once, spares every fresh isolate ~0.4 ms of string work."""
    flat: list[str | int] = []
    for name in names:
        holder = max((h for h in _HOLDERS if name.startswith(h)), key=len, default="")
        rest = name[len(holder) :]
        on_prototype = rest.startswith("Prototype")
        if on_prototype:
            rest = rest[len("Prototype") :]
        slot, accessor = "", ""
        if rest[:3] in ("Get", "Set") and len(rest) > 3:
            slot, accessor = rest[:3].lower(), _key(rest[3:])
        flat += [name, holder, int(on_prototype), _key(rest), slot, accessor]
    return flat


def load_groups(files: list[ShimFile]) -> dict[str, list[str]]:
    """For each lazy shim: the lazy shims it needs at load (transitively, each before the shims
    that need it), then itself. Eager shims are loaded before any lazy one, so they are left out.
    """
    lazy = {shim.name: shim for shim in files if load_kind(shim.source) != "eager"}
    groups: dict[str, list[str]] = {}

    def visit(name: str, order: list[str], path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise RuntimeError(f"shims need each other at load: {' -> '.join((*path, name))}")
        for need in _LOAD_NEED.findall(lazy[name].source):
            if need in lazy:
                visit(need, order, (*path, name))
        order.append(name)

    for name in lazy:
        order: list[str] = []
        visit(name, order, ())
        groups[name] = order
    return groups


def _strip(source: str) -> str:
    """Drop comment-only lines and indentation: less for every fresh isolate to scan."""
    kept = []
    for line in source.split("\n"):
        text = line.strip()
        if text and not text.startswith("//"):
            kept.append(text)
    return "\n".join(kept).rstrip(";")


_LOADER = """(function () {
"use strict";
const FunctionConstructor = Function;
const ErrorConstructor = Error;
const defineProperty = Reflect.defineProperty;
const boot = { __proto__: null, needed: %(needed)s };
const lazy = %(lazy)s; // name -> source, or null for a host shim (read from the host)
const groups = %(groups)s;
const loaded = { __proto__: null };
boot.isLoaded = (name) => loaded[name] === true;
boot.hasCapability = (name) => loaded[name] === true || lazy[name] !== undefined;
// Compile `name` and the lazy shims it needs at load that are not loaded yet, in one call, then
// run them in order. Cut short (a stack overflow), it leaves each shim loaded or not: retry-safe.
function load(name) {
  const group = groups[name];
  const pending = { __proto__: null };
  let count = 0;
  let source = "";
  for (let i = 0; i < group.length; i++) {
    if (loaded[group[i]] === true) continue;
    let text = lazy[group[i]];
    if (text === null) text = boot.host.readText("%(hosted_prefix)s" + group[i]);
    if (typeof text !== "string") throw new ErrorConstructor("the runtime could not be read");
    source += (count === 0 ? "" : ",\\n") + text;
    pending[count++] = group[i];
  }
  const factories = FunctionConstructor("return [" + source + "]\\n//# sourceURL=jseval:" + name)();
  let exports;
  for (let i = 0; i < count; i++) {
    exports = factories[i](boot);
    defineProperty(boot, pending[i], { __proto__: null, value: exports, enumerable: true });
    loaded[pending[i]] = true;
  }
  return exports;
}
const lazyNames = Object.keys(lazy);
for (let i = 0; i < lazyNames.length; i++) {
  const name = lazyNames[i];
  defineProperty(boot, name, {
    __proto__: null, get: () => load(name), enumerable: true, configurable: true,
  });
}
const eager = [
%(eager)s
];
const eagerNames = %(eager_names)s;
for (let i = 0; i < eager.length; i++) {
  boot[eagerNames[i]] = eager[i](boot);
  loaded[eagerNames[i]] = true;
}
return boot.run.control;
})()
//# sourceURL=%(source_url)s
"""


@cache
def bundle() -> str:
    """The runtime as one script whose completion value is the control function."""
    files = shim_files()
    eager: list[str] = []
    eager_names: list[str] = []
    lazy: dict[str, str | None] = {}
    for shim in files:
        kind = load_kind(shim.source)
        if kind == "eager":
            eager.append(_strip(shim.source))
            eager_names.append(shim.name)
        else:
            lazy[shim.name] = _strip(shim.source) if kind == "lazy" else None
    lazy_literal = "{ __proto__: null, " + ", ".join(
        f"{json.dumps(name)}: {json.dumps(text)}" for name, text in lazy.items()
    ) + " }"
    return _LOADER % {
        "needed": json.dumps(_split_names(primordial_names([shim.source for shim in files]))),
        "lazy": lazy_literal,
        "groups": json.dumps(load_groups(files)),
        "eager": ",\n".join(eager),
        "eager_names": json.dumps(eager_names),
        "source_url": RUNTIME_SOURCE_URL,
        "hosted_prefix": HOSTED_PREFIX,
    }


@cache
def hosted_source(name: str) -> str | None:
    """The source of the host shim `name` as the loader compiles it; None if there is none."""
    for shim in shim_files():
        if shim.name == name and load_kind(shim.source) == "host":
            return _strip(shim.source)
    return None
