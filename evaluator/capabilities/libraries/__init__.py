"""The libraries unit's host half (SPEC section 9): lodash, moment and forge built in, and
libraries an operator installs. Its JavaScript is `shims/libraries/65_libraries.js`; the
vendored builds and their pinned manifest are in `shims/libraries/vendor/`.
"""

from __future__ import annotations

from evaluator.capabilities.libraries._catalog import (
    BUILTIN_LIBRARIES,
    PRISTINE_KEY,
    InstalledLibrary,
    Library,
    LibraryCatalog,
    LibraryOffer,
    builtin_libraries,
)
from evaluator.capabilities.libraries._install import (
    LIBRARY_NAME_PATTERN,
    LIBRARY_VERSION_PATTERN,
    MAX_LIBRARY_BYTES,
    LibraryRefused,
    check_library,
    is_library_global,
    validate_library_input,
)
from evaluator.capabilities.libraries._store import LibraryStore, MemoryLibraryStore

__all__ = [
    "BUILTIN_LIBRARIES",
    "LIBRARY_NAME_PATTERN",
    "LIBRARY_VERSION_PATTERN",
    "MAX_LIBRARY_BYTES",
    "PRISTINE_KEY",
    "InstalledLibrary",
    "Library",
    "LibraryCatalog",
    "LibraryOffer",
    "LibraryRefused",
    "LibraryStore",
    "MemoryLibraryStore",
    "builtin_libraries",
    "check_library",
    "is_library_global",
    "validate_library_input",
]
