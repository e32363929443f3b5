"""The one exception tree of jseval.

```
JsevalError                    base of everything jseval raises
├── EvaluationFailed           the JS ran and failed: becomes `error` of an ok=false result
│     JSSyntaxError "syntax" · JSRuntimeError "runtime" · EvaluationTimeout "timeout"
│     MemoryLimitExceeded "memory" · OutputLimitExceeded "limit"
│     UnserializableResult "unserializable" · SandboxFailure "internal"
├── RequestRejected            never reached a sandbox: 422 (and 413/401 in the API)
│     └── AuthenticationFailed   401: the API key is missing or wrong
├── ServiceBusy                queue full: 429 with Retry-After
├── ServiceUnavailable         starting or shutting down: 503
│     └── ServiceUnreachable     no HTTP answer at all: refused, timed out, cut off
├── UnexpectedResponse         an HTTP answer no jseval service gives (a 500, a wrong URL)
└── DataStoreError             the data store (datasources) cannot open or answer: 503 / exit 2
      MasterKeyError           JSEVAL_MASTER_KEY missing where a secret needs it, or not this
                               database's key (a clear startup error, never garbage)
      NotFound                 no datasource (or other stored item) of that name: 404
```

`AuthenticationFailed`, `ServiceUnreachable` and `UnexpectedResponse` are raised by
`evaluator.client`, the HTTP client.

`Evaluator.evaluate()` turns an `EvaluationFailed` into a result and never raises it; only the
other branches leave the library. Messages are fixed or built from counts and field names: none
holds user code, a value, a path or a traceback.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

__all__ = [
    "AuthenticationFailed",
    "DataStoreError",
    "ErrorKind",
    "EvaluationFailed",
    "EvaluationTimeout",
    "JSRuntimeError",
    "JSSyntaxError",
    "JsevalError",
    "MasterKeyError",
    "MemoryLimitExceeded",
    "NotFound",
    "OutputLimitExceeded",
    "RequestRejected",
    "SandboxFailure",
    "ServiceBusy",
    "ServiceUnavailable",
    "ServiceUnreachable",
    "UnexpectedResponse",
    "UnserializableResult",
]

ErrorKind = Literal["syntax", "runtime", "timeout", "memory", "limit", "unserializable", "internal"]


class JsevalError(Exception):
    """Base of every exception jseval raises."""


class EvaluationFailed(JsevalError):
    """The JavaScript was run and the evaluation failed; carried as a result, not raised."""

    kind: ClassVar[ErrorKind] = "internal"
    default_name: ClassVar[str] = "Error"

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        line: int | None = None,
        column: int | None = None,
        stack: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name or self.default_name
        self.line = line
        self.column = column
        self.stack = stack

    def __repr__(self) -> str:  # never the message: it may quote user data
        return f"<{type(self).__name__} kind={self.kind!r} name={self.name!r}>"


class JSSyntaxError(EvaluationFailed):
    """The code does not parse."""

    kind = "syntax"
    default_name = "SyntaxError"


class JSRuntimeError(EvaluationFailed):
    """An uncaught exception or a rejected result promise."""

    kind = "runtime"


class EvaluationTimeout(EvaluationFailed, TimeoutError):
    """The wall-clock budget of the evaluation was spent."""

    kind = "timeout"
    default_name = "TimeoutError"


class MemoryLimitExceeded(EvaluationFailed, MemoryError):
    """The isolate went past its memory budget (heap or ArrayBuffers)."""

    kind = "memory"
    default_name = "RangeError"


class OutputLimitExceeded(EvaluationFailed):
    """A cap on the result, timers, or another output was exceeded."""

    kind = "limit"
    default_name = "RangeError"


class UnserializableResult(EvaluationFailed):
    """The result cannot be encoded (a cycle, a throwing getter or toJSON)."""

    kind = "unserializable"
    default_name = "TypeError"


class SandboxFailure(EvaluationFailed):
    """The sandbox itself failed (crash, protocol error). Never expected."""

    kind = "internal"
    default_name = "InternalError"


FAILURE_BY_KIND: dict[str, type[EvaluationFailed]] = {
    cls.kind: cls
    for cls in (
        JSSyntaxError,
        JSRuntimeError,
        EvaluationTimeout,
        MemoryLimitExceeded,
        OutputLimitExceeded,
        UnserializableResult,
        SandboxFailure,
    )
}


class RequestRejected(JsevalError):
    """The request is invalid; it never reached a sandbox (HTTP 422).

    `errors` uses FastAPI's validation-error shape (`loc`, `msg`, `type`) so the API can return
    it as the `detail` of a 422 unchanged.
    """

    def __init__(self, errors: list[dict[str, Any]], status_code: int = 422) -> None:
        super().__init__("; ".join(str(e.get("msg", "invalid request")) for e in errors))
        self.errors = errors
        self.status_code = status_code


class AuthenticationFailed(RequestRejected):
    """The service wants an API key and got none or a wrong one (HTTP 401)."""

    def __init__(self, reason: str = "Not authenticated") -> None:
        super().__init__(
            [{"type": "unauthorized", "loc": ["header", "Authorization"], "msg": reason}],
            status_code=401,
        )


class ServiceBusy(JsevalError):
    """More evaluations are waiting than the queue holds (HTTP 429)."""

    def __init__(self, retry_after_s: int = 1) -> None:
        super().__init__("too many evaluations waiting; retry later")
        self.retry_after_s = retry_after_s


class ServiceUnavailable(JsevalError):
    """The service is starting or shutting down (HTTP 503)."""

    def __init__(self, reason: str = "starting or shutting down") -> None:
        super().__init__(reason)


class ServiceUnreachable(ServiceUnavailable):
    """No HTTP answer came: the connection was refused, timed out or broke."""


class UnexpectedResponse(JsevalError):
    """The answer is not one a jseval service gives: a 500, a 404 from a wrong base URL, a body
    that is not a result. `status_code` is the HTTP status."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code


class DataStoreError(JsevalError):
    """The data store (datasources, later libraries) cannot open or answer.

    The message is for the operator: it names settings and key ids, never a secret, a
    password of the database URL or a stored value.
    """


class MasterKeyError(DataStoreError):
    """`JSEVAL_MASTER_KEY` is missing where a secret needs it, or is not this database's key."""


class NotFound(DataStoreError, LookupError):
    """No stored item of that name (HTTP 404)."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"no {what} named '{name}'")
        self.what = what
        self.name = name
