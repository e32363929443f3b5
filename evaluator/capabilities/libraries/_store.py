"""Where installed libraries live: the interface a store implements, and one in memory.

The real store is the data store of SPEC section 8 (`evaluator.libraries.SqlLibraryStore`:
SQLite under `JSEVAL_DATA_DIR` by default, `JSEVAL_DATABASE_URL` for replicas); it lives
outside this package because this one is imported by worker processes, which never load
SQLAlchemy. `MemoryLibraryStore` keeps libraries for one process (tests, an embedding
application). A store holds checked libraries only (`check_library`): it never runs anything.
It does refuse, in the same step as the write, a library whose global another one already
defines, so two installs racing on two replicas cannot both take a name. `version()` changes
whenever the set changes, so a catalog can refresh cheaply (`LibraryCatalog.sync`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

from evaluator.capabilities.libraries._catalog import InstalledLibrary
from evaluator.capabilities.libraries._install import LibraryRefused

__all__ = ["LibraryStore", "MemoryLibraryStore", "refuse_shared_globals"]


class LibraryStore(Protocol):
    """Installed libraries, by name."""

    def installed(self) -> Sequence[InstalledLibrary]:
        """Every installed library, in installation order."""

    def save(self, library: InstalledLibrary) -> bool:
        """Install `library`, replacing one of the same name; whether it is new.

        Raises LibraryRefused when another library defines one of its globals."""

    def remove(self, name: str) -> bool:
        """Uninstall `name`; whether there was one."""

    def version(self) -> int:
        """A number that changes whenever the installed set changes."""


def refuse_shared_globals(
    library: InstalledLibrary, others: Iterable[tuple[str, Sequence[str]]]
) -> None:
    """Raise LibraryRefused if a library of another name (`(name, globals)` pairs) defines one
    of `library`'s globals."""
    mine = set(library.globals)
    for name, globals_ in others:
        if name == library.name:
            continue
        shared = sorted(mine.intersection(globals_))
        if shared:
            raise LibraryRefused(
                f"the bundle defines {shared[0]!r}, which library {name!r} already defines"
            )


class MemoryLibraryStore:
    """A `LibraryStore` in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._libraries: dict[str, InstalledLibrary] = {}
        self._version = 0

    def installed(self) -> Sequence[InstalledLibrary]:
        with self._lock:
            return tuple(self._libraries.values())

    def save(self, library: InstalledLibrary) -> bool:
        with self._lock:
            refuse_shared_globals(
                library, ((lib.name, lib.globals) for lib in self._libraries.values())
            )
            created = self._libraries.pop(library.name, None) is None
            self._libraries[library.name] = library
            self._version += 1
            return created

    def remove(self, name: str) -> bool:
        with self._lock:
            found = self._libraries.pop(name, None) is not None
            if found:
                self._version += 1
            return found

    def version(self) -> int:
        with self._lock:
            return self._version
