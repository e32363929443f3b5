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

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # What /docs offers when it builds a body from the schema: valid as given (a sample
        # generated field by field would put `args` in script mode and `now_ms` with the
        # real clock).
        json_schema_extra={"examples": [{"code": "console.log('hi'); 1 + 1"}]},
    )

    code: str = Field(
        description="JavaScript source, at most `JSEVAL_MAX_CODE_BYTES` UTF-8 bytes.",
        examples=["console.log('hi'); storeValue('visits', 1); 1 + 1"],
    )
    mode: Mode = Field(
        "script",
        description="`script`: a classic script, the result is its completion value (a thenable "
        "is awaited). `function`: the body of an async function, `return` gives the result, "
        "`await` works, called with `args`. `expression`: one expression, as in an Appsmith "
        "`{{ }}` binding (framework actions and Promise results are errors).",
    )
    args: list[JsonValue] = Field(
        default_factory=list,
        description="`function` mode only (422 otherwise): the function's arguments, also the "
        "read-only global `args`.",
        examples=[[21]],
    )
    globals: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Name -> JSON value, defined as read-only globals before the code runs "
        "(the data tree: `Table1`, `Input1`, ...). Names must be JavaScript identifiers that "
        "the sandbox does not define.",
        examples=[{"Table1": {"selectedRow": {"id": 7}}}],
    )
    store: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="The initial `appsmith.store` (pass a result's `store` to carry it on).",
        examples=[{"visits": 1}],
    )
    appsmith: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="Other `appsmith.*` fields (`user`, `URL`, `mode`, `theme`); `store` is "
        "always taken from the `store` field.",
        examples=[{"user": {"email": "ada@example.com"}}],
    )
    timeout_ms: int | None = Field(
        None,
        ge=1,
        description="Wall-clock budget of the whole evaluation (sync code, awaited promises, "
        "timers, fetches), at most `JSEVAL_MAX_TIMEOUT_MS`; null: `JSEVAL_DEFAULT_TIMEOUT_MS`.",
        examples=[1000],
    )
    memory_mb: int | None = Field(
        None,
        ge=8,
        description="Memory budget of the isolate, ArrayBuffers included, at most "
        "`JSEVAL_MAX_MEMORY_MB`; null: `JSEVAL_DEFAULT_MEMORY_MB`.",
        examples=[64],
    )
    wait_for_timers: bool = Field(
        False,
        description="End only when no timer is pending (timers still pending at the budget "
        "make it a `timeout`); false: pending timers are cancelled and listed in "
        "`timers.pending`.",
    )
    clock: Clock = Field(
        "real",
        description="`virtual`: timers fire at once in due order and `Date.now()` advances by "
        "the virtual delays only (deterministic tests); `real`: the wall clock.",
    )
    now_ms: int | None = Field(
        None,
        ge=-_MAX_DATE_MS,
        le=_MAX_DATE_MS,
        description="Start of the virtual clock, epoch milliseconds; only with `clock: "
        "\"virtual\"` (422 otherwise); null: the current time.",
        examples=[0],
    )
    random_seed: int | None = Field(
        None,
        ge=-(2**63),
        lt=2**64,
        description="When set, `Math.random()` (and `crypto.getRandomValues`/`randomUUID`) "
        "are deterministic, seeded with it; null: truly random.",
        examples=[42],
    )
    fetch: bool = Field(True, description="`false` removes `fetch` for this evaluation.")

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

    kind: ErrorKind = Field(
        description="`syntax` (does not parse), `runtime` (uncaught exception or rejected "
        "promise), `timeout` (budget spent), `memory` (budget exceeded), `limit` (a cap on "
        "logs, result, fetches, timers), `unserializable` (the result cannot be encoded), "
        "`internal` (the sandbox itself failed; never expected)."
    )
    name: str = Field(description="The error's name: `TypeError`, `ActionValidationError`, ...")
    message: str = Field(description="The error's message.")
    line: int | None = Field(
        None,
        description="1-based line in `code` where V8 places the error; null when unknown "
        "(always for `timeout`, `memory`, `limit`).",
    )
    column: int | None = Field(None, description="1-based column in `code`, with `line`.")
    stack: str | None = Field(
        None, description="Only frames of the user's code, with positions in `code`."
    )


class LogEntry(BaseModel):
    """One console call."""

    level: str = Field(description="The console method: `log`, `info`, `warn`, `error`, ...")
    args: list[JsonValue] = Field(description="The call's arguments, encoded like `result`.")
    text: str = Field(
        description="The line as a browser console prints it (`%s %d %o` substitutions applied)."
    )
    at_ms: float = Field(description="Milliseconds since the evaluation started.")


class Action(BaseModel):
    """One framework action, Appsmith's type name and payload (`CLEAR_STORE`'s is null)."""

    type: str = Field(description="Appsmith's action type: `SHOW_ALERT`, `STORE_VALUE`, ...")
    payload: dict[str, JsonValue] | None = Field(
        description="The action's arguments, as Appsmith's trigger handlers take them; null for "
        "`CLEAR_STORE`."
    )


class SetStoreOp(BaseModel):
    """`storeValue(key, value, persist)`."""

    op: Literal["set"] = Field("set", description="Always `set`.")
    key: str = Field(description="The store key.")
    value: JsonValue = Field(description="The value stored.")
    persist: bool = Field(description="Whether Appsmith would keep it across page loads.")


class RemoveStoreOp(BaseModel):
    """`removeValue(key)`."""

    op: Literal["remove"] = Field("remove", description="Always `remove`.")
    key: str = Field(description="The store key removed.")


class ClearStoreOp(BaseModel):
    """`clearStore()`."""

    op: Literal["clear"] = Field("clear", description="Always `clear`.")


StoreOp = Annotated[SetStoreOp | RemoveStoreOp | ClearStoreOp, Field(discriminator="op")]


class PendingTimer(BaseModel):
    """A timer still scheduled when the evaluation ended. `id` is the key it is registered
    under: the numeric id, or an interval's custom key as given (any truthy value, as JSON)."""

    id: JsonValue = Field(
        description="The key the timer is registered under: an interval's custom key as given "
        "(any truthy value, as JSON), otherwise the numeric id."
    )
    kind: Literal["timeout", "interval"] = Field(description="`setTimeout` or `setInterval`.")
    delay_ms: float = Field(description="The timer's delay.")


class Timers(BaseModel):
    """Timers at the end of the evaluation."""

    pending: list[PendingTimer] = Field(
        default_factory=list, description="Timers still scheduled (cancelled), in id order."
    )


class FetchRecord(BaseModel):
    """One fetch call: no bodies, no headers."""

    method: str = Field(description="The request method.")
    url: str = Field(description="The URL requested (after normalisation).")
    status: int | None = Field(None, description="The response status; null if none came.")
    duration_ms: float = Field(0.0, description="Time until the response head (or failure).")
    error: str | None = Field(
        None, description="Why the fetch failed (`fetch failed: ...`); null on a response."
    )


class Stats(BaseModel):
    """Where the time went."""

    wall_ms: float = Field(0.0, description="Time in the sandbox.")
    queue_ms: float = Field(0.0, description="Time waiting for a free sandbox.")


class EvaluationResult(BaseModel):
    """The outcome of one evaluation, with every record it made. `ok` false carries `error`."""

    ok: bool = Field(description="Whether the JavaScript succeeded.")
    result: JsonValue = Field(
        None,
        description="The value as `JSON.parse(JSON.stringify(value))` gives it, plus: a BigInt "
        "is its decimal string, a Map an object, a Set an array, an Error `{name, message}`, a "
        "Symbol its string; `undefined` and functions are null (see `result_type`).",
    )
    result_type: ResultType | None = Field(
        None, description="The JavaScript type of the result; null when `ok` is false."
    )
    error: ErrorInfo | None = Field(None, description="Why it failed, when `ok` is false.")
    logs: list[LogEntry] = Field(
        default_factory=list,
        description="Every console call, in order (at most `JSEVAL_MAX_LOG_ENTRIES` entries and "
        "`JSEVAL_MAX_LOG_BYTES` of text).",
    )
    logs_truncated: bool = Field(
        False, description="Whether console output past a cap was dropped."
    )
    actions: list[Action] = Field(
        default_factory=list, description="Every framework action called, in order."
    )
    store: dict[str, JsonValue] = Field(
        default_factory=dict, description="The final `appsmith.store`."
    )
    store_ops: list[StoreOp] = Field(
        default_factory=list, description="Every store change, in order."
    )
    timers: Timers = Field(default_factory=Timers, description="Timers left at the end.")
    fetches: list[FetchRecord] = Field(
        default_factory=list, description="One entry per `fetch` call."
    )
    output_truncated: bool = Field(
        False,
        description="Whether the answer passed `JSEVAL_MAX_OUTPUT_BYTES` and lists were trimmed "
        "from their ends (logs first, then fetches, store_ops, actions, timers); the outcome is "
        "unchanged.",
    )
    stats: Stats = Field(default_factory=Stats, description="Timing of this evaluation.")

    def __repr__(self) -> str:  # never the values: they are user data
        kind = self.error.kind if self.error else None
        return f"<EvaluationResult ok={self.ok} kind={kind!r} result_type={self.result_type!r}>"

    __str__ = __repr__
