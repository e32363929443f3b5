"""Installed libraries in the data store (SPEC sections 9 and 8): `SqlLibraryStore`.

    store = SqlLibraryStore(DataStore.open(settings))   # or SqlLibraryStore.open(settings)
    store.save(check_library("dayjs", source))          # checked first, where code may run
    store.list_all()                                    # StoredLibrary records, no sources
    store.installed()                                   # InstalledLibrary, sources verified

A public subpackage apart from `evaluator` (like `evaluator.datasources`): it imports
SQLAlchemy, which the in-process `Evaluator` and the worker processes never pay for. Checking a
bundle and offering libraries to evaluations are the libraries unit's job
(`evaluator.capabilities.libraries`); this package only keeps them.
"""

from __future__ import annotations

from evaluator.capabilities.libraries import (
    LIBRARY_NAME_PATTERN,
    LIBRARY_VERSION_PATTERN,
    MAX_LIBRARY_BYTES,
    validate_library_input,
)
from evaluator.libraries._store import SqlLibraryStore, StoredLibrary

__all__ = [
    "LIBRARY_NAME_PATTERN",
    "LIBRARY_VERSION_PATTERN",
    "MAX_LIBRARY_BYTES",
    "SqlLibraryStore",
    "StoredLibrary",
    "validate_library_input",
]
