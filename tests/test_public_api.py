"""evaluator.__all__ is the public API: pinned here, so a change to it is a deliberate one."""

from __future__ import annotations

import evaluator

PUBLIC = {
    "Library", "builtin_libraries", "Action", "InstalledLibrary", "LibraryRefused",
    "LibraryStore", "MemoryLibraryStore", "check_library", "DataStoreError", "ErrorInfo", "ErrorKind",
    "EvaluationFailed", "EvaluationRequest",
    "EvaluationResult", "EvaluationService", "EvaluationTimeout", "Evaluator", "FetchRecord",
    "JSRuntimeError", "JSSyntaxError", "JsevalError", "LocalService", "LogEntry",
    "MasterKeyError", "MemoryLimitExceeded", "NotFound", "OutputLimitExceeded", "PendingTimer", "RequestRejected",
    "SandboxFailure", "ServiceBusy", "ServiceStats", "ServiceUnavailable", "Settings", "Stats",
    "StoreOp", "Timers", "UnserializableResult", "__version__", "check_request", "v8_version",
    # Raised by the HTTP client (evaluator.client).
    "AuthenticationFailed", "ServiceUnreachable", "UnexpectedResponse",
}
OPTIONAL = {"WorkerPool"}


def test_all_is_pinned_and_sorted() -> None:
    names = set(evaluator.__all__)
    assert PUBLIC <= names <= PUBLIC | OPTIONAL
    assert list(evaluator.__all__) == sorted(evaluator.__all__)


def test_public_classes_present_as_evaluator() -> None:
    assert evaluator.Evaluator.__module__ == "evaluator"
    assert evaluator.EvaluationRequest.__module__ == "evaluator"
