"""Where installed libraries live: the interface the data store of SPEC section 8 implements.

The SQLAlchemy store (r2-datasources: `JSEVAL_DATABASE_URL`, SQLite under `JSEVAL_DATA_DIR` by
default) is the real one; until it lands, `MemoryLibraryStore` keeps them for one process (tests,
the in-process `Evaluator`). A store holds checked libraries only (`check_library`): it never
runs or checks anything itself. `version()` changes whenever the set changes, so a worker can
refresh its catalog cheaply (`LibraryCatalog.sync`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from evaluator.capabilities.libraries._catalog import InstalledLibrary

__all__ = ["LibraryStore", "MemoryLibraryStore"]


class LibraryStore(Protocol):
    """Installed libraries, by name."""

    def installed(self) -> Sequence[InstalledLibrary]:
        """Every installed library, in installation order."""

    def save(self, library: InstalledLibrary) -> None:
        """Install `library`, replacing one of the same name."""

    def remove(self, name: str) -> bool:
        """Uninstall `name`; whether there was one."""

    def version(self) -> int:
        """A number that changes whenever the installed set changes."""


class MemoryLibraryStore:
    """A `LibraryStore` in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._libraries: dict[str, InstalledLibrary] = {}
        self._version = 0

    def installed(self) -> Sequence[InstalledLibrary]:
        with self._lock:
            return tuple(self._libraries.values())

    def save(self, library: InstalledLibrary) -> None:
        with self._lock:
            self._libraries.pop(library.name, None)
            self._libraries[library.name] = library
            self._version += 1

    def remove(self, name: str) -> bool:
        with self._lock:
            found = self._libraries.pop(name, None) is not None
            if found:
                self._version += 1
            return found

    def version(self) -> int:
        with self._lock:
            return self._version
