"""The request and result models: one definition, used by the library, the CLI and the API.

Field names are the contract's (docs/API.md lists them). Bounds that depend on server settings
(`timeout_ms` maxima, code size, ...) are checked by `check_request()` against a `Settings`,
because a pydantic model's bounds are static and the OpenAPI schema is built from them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from evaluator.errors import ErrorKind, RequestRejected
from evaluator.settings import Settings

__all__ = [
    "Action",
    "ClearStoreOp",
    "ErrorInfo",
    "EvaluationRequest",
    "EvaluationResult",
    "FetchRecord",
    "LogEntry",
    "PendingTimer",
    "RemoveStoreOp",
    "ResultType",
    "SetStoreOp",
    "Stats",
    "StoreOp",
    "Timers",
    "check_request",
]

Mode = Literal["script", "function", "expression"]
Clock = Literal["real", "virtual"]
ResultType = Literal[
    "undefined",
    "null",
    "boolean",
    "number",
    "string",
    "bigint",
    "symbol",
    "function",
    "array",
    "object",
    "date",
    "map",
    "set",
    "error",
]

# The earliest and latest instants a JavaScript Date can hold (ECMA-262 21.4.1.1).
_MAX_DATE_MS = 8_640_000_000_000_000
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
# Levels of arrays and objects a request's data may nest: the same bound as the sandbox's
# encoder (shims/core/08_encode.js MAX_DEPTH). The worker re-parses requests and the API parses
# results with JSON parsers that stop near 200 levels; deeper data (accepted here up to
# pydantic's own ~255) failed in the worker as kind `internal` instead of being a 422.
MAX_JSON_DEPTH = 128


def _json_depth(value: JsonValue) -> int:
    """Levels of arrays/objects in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[JsonValue, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest

# Names a request's `globals` may not take: every global the sandbox defines (built-ins, the
# framework functions, web APIs; kept in step with the sandbox by tests/shims/test_globals.py),
# plus reserved words. Defining one would shadow something the code relies on.
RESERVED_GLOBALS: frozenset[str] = frozenset(
    """
    AbortController AbortSignal AggregateError Array ArrayBuffer AsyncDisposableStack BigInt
    BigInt64Array BigUint64Array Boolean DataView Date DisposableStack Error EvalError
    FinalizationRegistry Float16Array Float32Array Float64Array Function Headers Infinity
    Int16Array Int32Array Int8Array Intl Iterator JSON Map Math NaN Number Object Promise Proxy
    RangeError ReferenceError Reflect RegExp Request Response Set String SuppressedError Symbol
    SyntaxError Temporal TextDecoder TextEncoder TypeError URIError URL URLSearchParams
    Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet WebAssembly
    appsmith args atob btoa clearInterval clearStore clearTimeout closeModal console
    copyToClipboard crypto decodeURI decodeURIComponent download encodeURI encodeURIComponent
    escape eval fetch globalThis isFinite isNaN localStorage navigateTo parseFloat parseInt
    performance
    postWindowMessage queueMicrotask removeValue resetWidget setInterval setTimeout showAlert
    showModal storeValue structuredClone undefined unescape _ forge moment
    arguments await break case catch class const continue debugger default delete do else
    enum export extends false finally for function if implements import in instanceof
    interface let new null package private protected public return static super switch this
    throw true try typeof var void while with yield
    """.split()
)


class EvaluationRequest(BaseModel):
    """One evaluation: code, how to run it, and the data it sees."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="JavaScript source.")
    mode: Mode = "script"
    args: list[JsonValue] = Field(
        default_factory=list, description="`function` mode only: the function's arguments."
    )
    globals: dict[str, JsonValue] = Field(
        default_factory=dict, description="Read-only globals defined before the code runs."
    )
    store: dict[str, JsonValue] = Field(default_factory=dict, description="Initial appsmith.store.")
    appsmith: dict[str, JsonValue] = Field(
        default_factory=dict, description="Other appsmith.* fields (user, URL, mode, theme)."
    )
    timeout_ms: int | None = Field(
        None, ge=1, description="Wall-clock budget of the whole evaluation; server default if null."
    )
    memory_mb: int | None = Field(
        None, ge=8, description="Memory budget of the isolate, ArrayBuffers included."
    )
    wait_for_timers: bool = False
    clock: Clock = "real"
    now_ms: int | None = Field(
        None, ge=-_MAX_DATE_MS, le=_MAX_DATE_MS, description="Virtual clock start (epoch ms)."
    )
    random_seed: int | None = Field(None, ge=-(2**63), lt=2**64)
    fetch: bool = True

    @field_validator("globals")
    @classmethod
    def _global_names(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        for name in value:
            if not _IDENTIFIER.match(name):
                raise ValueError(f"global name {name!r} is not a JavaScript identifier")
            if name in RESERVED_GLOBALS:
                raise ValueError(f"global name {name!r} is reserved by the sandbox")
        return value

    @field_validator("args", "globals", "store", "appsmith")
    @classmethod
    def _shallow_enough(cls, value: Any) -> Any:
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            if _json_depth(item) > MAX_JSON_DEPTH:
                raise ValueError(f"a value is nested deeper than {MAX_JSON_DEPTH} levels")
        return value

    @model_validator(mode="after")
    def _mode_rules(self) -> EvaluationRequest:
        if self.args and self.mode != "function":
            raise ValueError("args is only allowed in function mode")
        if self.now_ms is not None and self.clock != "virtual":
            raise ValueError("now_ms is only allowed with clock 'virtual'")
        return self


def check_request(request: EvaluationRequest, settings: Settings) -> None:
    """Check the settings-dependent bounds of a request; raise `RequestRejected` (422)."""
    errors: list[dict[str, Any]] = []

    def fail(field: str, msg: str, type_: str = "less_than_equal") -> None:
        errors.append({"type": type_, "loc": ["body", field], "msg": msg})

    code_bytes = len(request.code.encode("utf-8", "surrogatepass"))
    if code_bytes > settings.max_code_bytes:
        fail("code", f"code is {code_bytes} bytes; at most {settings.max_code_bytes} allowed")
    if request.timeout_ms is not None and request.timeout_ms > settings.max_timeout_ms:
        fail("timeout_ms", f"Input should be less than or equal to {settings.max_timeout_ms}")
    if request.memory_mb is not None and request.memory_mb > settings.max_memory_mb:
        fail("memory_mb", f"Input should be less than or equal to {settings.max_memory_mb}")
    if errors:
        raise RequestRejected(errors)


class ErrorInfo(BaseModel):
    """Why an evaluation failed: a `kind` from a fixed set, and JavaScript's name and message."""

    model_config = ConfigDict(frozen=True)

    kind: ErrorKind
    name: str
    message: str
    line: int | None = None
    column: int | None = None
    stack: str | None = None


class LogEntry(BaseModel):
    """One console call."""

    level: str
    args: list[JsonValue]
    text: str
    at_ms: float


class Action(BaseModel):
    """One framework action, Appsmith's type name and payload (`CLEAR_STORE`'s is null)."""

    type: str
    payload: dict[str, JsonValue] | None


class SetStoreOp(BaseModel):
    op: Literal["set"] = "set"
    key: str
    value: JsonValue
    persist: bool


class RemoveStoreOp(BaseModel):
    op: Literal["remove"] = "remove"
    key: str


class ClearStoreOp(BaseModel):
    op: Literal["clear"] = "clear"


StoreOp = Annotated[SetStoreOp | RemoveStoreOp | ClearStoreOp, Field(discriminator="op")]


class PendingTimer(BaseModel):
    """A timer still scheduled when the evaluation ended. `id` is the key it is registered
    under: the numeric id, or an interval's custom key as given (any truthy value, as JSON)."""

    id: JsonValue
    kind: Literal["timeout", "interval"]
    delay_ms: float


class Timers(BaseModel):
    pending: list[PendingTimer] = Field(default_factory=list)


class FetchRecord(BaseModel):
    """One fetch call: no bodies, no headers."""

    method: str
    url: str
    status: int | None = None
    duration_ms: float = 0.0
    error: str | None = None


class Stats(BaseModel):
    wall_ms: float = 0.0
    queue_ms: float = 0.0


class EvaluationResult(BaseModel):
    """The outcome of one evaluation, with every record it made. `ok` false carries `error`."""

    ok: bool
    result: JsonValue = None
    result_type: ResultType | None = None
    error: ErrorInfo | None = None
    logs: list[LogEntry] = Field(default_factory=list)
    logs_truncated: bool = False
    actions: list[Action] = Field(default_factory=list)
    store: dict[str, JsonValue] = Field(default_factory=dict)
    store_ops: list[StoreOp] = Field(default_factory=list)
    timers: Timers = Field(default_factory=Timers)
    fetches: list[FetchRecord] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)

    def __repr__(self) -> str:  # never the values: they are user data
        kind = self.error.kind if self.error else None
        return f"<EvaluationResult ok={self.ok} kind={kind!r} result_type={self.result_type!r}>"

    __str__ = __repr__
