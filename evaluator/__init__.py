"""jseval: evaluate untrusted JavaScript in fresh V8 sandboxes.

The public API is what this module exports; everything in `evaluator._*` is private.
"""

from __future__ import annotations

from evaluator._bridge import v8_version
from evaluator._in_process import Evaluator
from evaluator._service import EvaluationService, LocalService, ServiceStats
from evaluator._worker_pool import WorkerPool
from evaluator.capabilities.libraries import (
    InstalledLibrary,
    Library,
    LibraryRefused,
    LibraryStore,
    MemoryLibraryStore,
    builtin_libraries,
    check_library,
)
from evaluator.errors import (
    AuthenticationFailed,
    DataStoreError,
    ErrorKind,
    EvaluationFailed,
    EvaluationTimeout,
    JsevalError,
    JSRuntimeError,
    JSSyntaxError,
    MasterKeyError,
    MemoryLimitExceeded,
    NotFound,
    OutputLimitExceeded,
    RequestRejected,
    SandboxFailure,
    ServiceBusy,
    ServiceUnavailable,
    ServiceUnreachable,
    UnexpectedResponse,
    UnserializableResult,
)
from evaluator.models import (
    Action,
    ErrorInfo,
    EvaluationRequest,
    EvaluationResult,
    FetchRecord,
    LogEntry,
    PendingTimer,
    Stats,
    StoreOp,
    Timers,
    check_request,
)
from evaluator.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "Action",
    "AuthenticationFailed",
    "DataStoreError",
    "ErrorInfo",
    "ErrorKind",
    "EvaluationFailed",
    "EvaluationRequest",
    "EvaluationResult",
    "EvaluationService",
    "EvaluationTimeout",
    "Evaluator",
    "FetchRecord",
    "InstalledLibrary",
    "JSRuntimeError",
    "JSSyntaxError",
    "JsevalError",
    "Library",
    "LibraryRefused",
    "LibraryStore",
    "LocalService",
    "LogEntry",
    "MasterKeyError",
    "MemoryLibraryStore",
    "MemoryLimitExceeded",
    "NotFound",
    "OutputLimitExceeded",
    "PendingTimer",
    "RequestRejected",
    "SandboxFailure",
    "ServiceBusy",
    "ServiceStats",
    "ServiceUnavailable",
    "ServiceUnreachable",
    "Settings",
    "Stats",
    "StoreOp",
    "Timers",
    "UnexpectedResponse",
    "UnserializableResult",
    "WorkerPool",
    "__version__",
    "builtin_libraries",
    "check_library",
    "check_request",
    "v8_version",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "evaluator"
del _name, _obj
