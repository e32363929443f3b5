"""Which libraries a sandbox offers, and their sources, as the runtime reads them.

The built-in libraries (SPEC section 9: lodash, moment, forge) are described by
`shims/libraries/vendor/manifest.json`, whose files tools/vendor_npm.py fetched and verified.
Installed libraries (`InstalledLibrary`) come from the data store. A `LibraryCatalog` is the
host's side of the runtime's synchronous reads (`HostTexts`): it answers `library/<name>/<n>`
with the n-th source of a library and `library-pristine` with the key list the loader needs; it
tells the sandbox which globals to publish (built-ins when a sandbox is prepared, installed ones
per evaluation) and `/v1/info` what is offered.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from evaluator.capabilities import EncodedText, encode_text
from evaluator.capabilities.libraries._pristine import pristine_keys

if TYPE_CHECKING:
    from evaluator.capabilities.libraries._store import LibraryStore

__all__ = [
    "BUILTIN_LIBRARIES",
    "PRISTINE_KEY",
    "InstalledLibrary",
    "Library",
    "LibraryCatalog",
    "LibraryOffer",
    "builtin_libraries",
]

PRISTINE_KEY = "library-pristine"
_VENDOR = "libraries/vendor"


@dataclass(frozen=True, slots=True)
class Library:
    """A library as `/v1/info` lists it."""

    name: str
    version: str
    globals: tuple[str, ...]
    builtin: bool
    docs_url: str | None = None

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "globals": list(self.globals),
            "builtin": self.builtin,
            "docs_url": self.docs_url,
        }


@dataclass(frozen=True, slots=True)
class _BuiltinLibrary:
    library: Library
    files: tuple[str, ...]  # vendored file names, in load order
    modules: tuple[str, ...]  # the npm package each file is (what `require` finds)
    omit: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InstalledLibrary:
    """A library an operator installed (SPEC section 9): a UMD/IIFE bundle and the globals it
    defined when it was checked."""

    name: str
    version: str
    globals: tuple[str, ...]
    source: str

    @property
    def key(self) -> str:
        """Its source's read key; the content hash keeps a replaced source from being confused
        with the one an evaluation started with."""
        digest = hashlib.sha256(self.source.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return f"library/{self.name}@{digest}/0"

    @property
    def library(self) -> Library:
        return Library(self.name, self.version, self.globals, builtin=False)


def _manifest() -> dict[str, Any]:
    text = resources.files("shims").joinpath(f"{_VENDOR}/manifest.json").read_text("utf-8")
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def _builtins() -> tuple[_BuiltinLibrary, ...]:
    manifest = _manifest()
    module_of = {
        entry["to"]: package["name"]
        for package in manifest["packages"]
        for entry in package["files"]
    }
    found = []
    for spec in manifest["libraries"]:
        files = tuple(spec["sources"])
        found.append(
            _BuiltinLibrary(
                Library(
                    spec["name"],
                    spec["version"],
                    tuple(spec["globals"]),
                    builtin=True,
                    docs_url=spec.get("docs_url"),
                ),
                files,
                tuple(module_of[name] for name in files),
                tuple(spec.get("omit", ())),
            )
        )
    return tuple(found)


_BUILTINS = _builtins()
BUILTIN_LIBRARIES: tuple[Library, ...] = tuple(b.library for b in _BUILTINS)


def builtin_libraries() -> tuple[Library, ...]:
    """The built-in libraries (lodash, moment, forge), as `/v1/info` lists them."""
    return BUILTIN_LIBRARIES


@functools.cache
def _vendored_text(name: str) -> EncodedText:
    """A vendored file, encoded for the read channel (once per process)."""
    text = resources.files("shims").joinpath(f"{_VENDOR}/{name}").read_text("utf-8")
    return encode_text(text)


def _spec(
    library: Library, keys: Iterable[str], modules: Iterable[str], omit: Iterable[str], mode: str
) -> dict[str, Any]:
    return {
        "name": library.name,
        "mode": mode,
        "globals": list(library.globals),
        "sources": [{"key": k, "module": m} for k, m in zip(keys, modules, strict=True)],
        "omit": list(omit),
    }


@dataclass(frozen=True, slots=True)
class LibraryOffer:
    """What one evaluation is offered: the installed libraries when it started, and their
    texts. It answers the runtime's reads for that evaluation (`HostTexts`), so a library
    replaced or removed while it runs stays readable to it, and is freed when it ends."""

    catalog: LibraryCatalog
    libraries: tuple[InstalledLibrary, ...]
    specs: tuple[dict[str, Any], ...]
    texts: Mapping[str, EncodedText]

    def installed_specs(self) -> list[dict[str, Any]]:
        """The installed libraries, for the start message (published per evaluation)."""
        return list(self.specs)

    def encoded_text(self, key: str) -> EncodedText | None:
        text = self.texts.get(key)
        return text if text is not None else self.catalog.encoded_text(key)


class LibraryCatalog:
    """The built-in libraries and the installed ones (replaced whole by `set_installed`)."""

    def __init__(self, installed: Iterable[InstalledLibrary] = ()) -> None:
        self._lock = threading.Lock()
        self._pristine: EncodedText | None = None
        self._synced: int | None = None
        self._offer = self._make_offer(tuple(installed), {})

    def _make_offer(
        self, libraries: tuple[InstalledLibrary, ...], previous: Mapping[str, EncodedText]
    ) -> LibraryOffer:
        specs = []
        texts: dict[str, EncodedText] = {}
        for lib in libraries:
            key = lib.key
            text = previous.get(key)
            texts[key] = text if text is not None else encode_text(lib.source)
            specs.append(_spec(lib.library, [key], [lib.name], (), "script"))
        return LibraryOffer(self, libraries, tuple(specs), texts)

    # -- what the sandbox publishes ------------------------------------------------------

    @staticmethod
    def builtin_specs() -> tuple[dict[str, Any], ...]:
        """The built-ins, for `SandboxConfig.libraries` (published when a sandbox is prepared)."""
        return tuple(
            _spec(
                b.library,
                (f"library/{b.library.name}/{i}" for i in range(len(b.files))),
                b.modules,
                b.omit,
                "module",
            )
            for b in _BUILTINS
        )

    def offer(self) -> LibraryOffer:
        """What an evaluation starting now is offered (take it once per evaluation)."""
        return self._offer

    def installed_specs(self) -> list[dict[str, Any]]:
        """The installed libraries, for the start message (published per evaluation)."""
        return self._offer.installed_specs()

    def installed(self) -> tuple[InstalledLibrary, ...]:
        """The installed libraries offered now, in installation order."""
        return self._offer.libraries

    def libraries(self) -> list[Library]:
        """Every library offered, built-ins first (what `/v1/info` lists)."""
        return [*BUILTIN_LIBRARIES, *(lib.library for lib in self._offer.libraries)]

    def sync(self, store: LibraryStore) -> bool:
        """Offer what `store` holds now, if it changed since the last sync (one cheap call to
        `store.version()` otherwise); whether it changed."""
        version = store.version()
        if version == self._synced:
            return False
        self.set_installed(store.installed())
        self._synced = version
        return True

    def set_installed(self, installed: Iterable[InstalledLibrary]) -> None:
        """Offer exactly these installed libraries to evaluations that start from now on.

        Evaluations already running keep their `LibraryOffer`; texts of unchanged libraries
        are reused, the others are encoded here (off any evaluation's path)."""
        libraries = tuple(installed)
        with self._lock:
            self._offer = self._make_offer(libraries, self._offer.texts)

    # -- HostTexts -----------------------------------------------------------------------

    def encoded_text(self, key: str) -> EncodedText | None:
        """The text under `key` (called on an isolate's thread; never raises for a bad key)."""
        if key == PRISTINE_KEY:
            if self._pristine is None:
                self._pristine = encode_text(pristine_keys())
            return self._pristine
        name, _, index = key.removeprefix("library/").rpartition("/")
        for builtin in _BUILTINS:
            if builtin.library.name == name and index.isdigit():
                position = int(index)
                if position < len(builtin.files):
                    return _vendored_text(builtin.files[position])
                return None
        return self._offer.texts.get(key)

    def warm(self) -> None:
        """Compute the intrinsic key list now (a bare isolate, once per process), so that the
        first library load does not."""
        self.encoded_text(PRISTINE_KEY)
