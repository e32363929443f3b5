"""What the OpenAPI document (and so `/docs`) says beyond the routes' signatures.

- Examples for every request body, each of which the service answers with 200 as given
  (tests/api/test_openapi.py posts every one to a live server): Swagger UI's "Try it out"
  starts from them, and a generated sample would be invalid (`args` in script mode, `now_ms`
  with the real clock, a seed rounded by JavaScript's doubles).
- The error bodies as they are really sent: `{"detail": "..."}`, and for 422 a list of
  `{type, loc, msg}` (the API strips FastAPI's `input`, `ctx` and `url`).
- The Bearer scheme (Swagger UI's Authorize button) on the protected operations, when
  `JSEVAL_API_KEYS` is set, and the admin keys' own scheme on `/v1/admin/*` when
  `JSEVAL_ADMIN_KEYS` is. Without keys nothing is declared: a scheme that accepts anything
  would only mislead (docs/DECISIONS.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = [
    "BATCH_EXAMPLES",
    "ERROR_RESPONSES",
    "EVALUATE_EXAMPLES",
    "RESULT_EXAMPLE",
    "ErrorBody",
    "ValidationErrorBody",
    "ValidationErrorItem",
    "install_openapi",
]

BEARER_SCHEME = "bearerAuth"
ADMIN_SCHEME = "adminBearerAuth"
_SCHEMES: dict[str, dict[str, str]] = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "One of the keys in `JSEVAL_API_KEYS`.",
    },
    ADMIN_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "One of the keys in `JSEVAL_ADMIN_KEYS` (the admin API only).",
    },
}


class ErrorBody(BaseModel):
    """An HTTP error: 401, 413, 429, 503."""

    detail: str = Field(description="What went wrong, in one sentence.")


class ValidationErrorItem(BaseModel):
    """One reason a request is invalid (pydantic's shape, without the input echoed back)."""

    type: str = Field(description="pydantic's error type: `missing`, `less_than_equal`, ...")
    loc: list[str | int] = Field(
        description="Where: `body`, then field names and list indexes."
    )
    msg: str = Field(description="Why, in one sentence.")


class ValidationErrorBody(BaseModel):
    """422: the request is invalid; it never reached a sandbox."""

    detail: list[ValidationErrorItem] = Field(description="Every problem found.")


def _error(description: str, example: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "model": ErrorBody,
        "content": {"application/json": {"example": {"detail": example}}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error(
        "`JSEVAL_API_KEYS` is set and the `Authorization: Bearer` key is missing or wrong.",
        "Not authenticated",
        {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    ),
    413: _error("The body is larger than `JSEVAL_MAX_REQUEST_BYTES`.", "Request body too large"),
    422: {
        "description": "The request is invalid (shape or a server limit); nothing was run.",
        "model": ValidationErrorBody,
        "content": {
            "application/json": {
                "example": {
                    "detail": [
                        {
                            "type": "less_than_equal",
                            "loc": ["body", "timeout_ms"],
                            "msg": "Input should be less than or equal to 30000",
                        }
                    ]
                }
            }
        },
    },
    429: _error(
        "More evaluations are waiting than `JSEVAL_MAX_QUEUE` allows; retry later.",
        "Too many evaluations waiting; retry later",
        _RETRY_AFTER,
    ),
    503: _error(
        "The service is starting or shutting down.",
        "Service unavailable: starting or shutting down",
        _RETRY_AFTER,
    ),
}


def _example(summary: str, value: dict[str, Any], description: str = "") -> dict[str, Any]:
    example: dict[str, Any] = {"summary": summary, "value": value}
    if description:
        example["description"] = description
    return example


EVALUATE_EXAMPLES: dict[str, dict[str, Any]] = {
    "script": _example(
        "Script: console, store, an action",
        {
            "code": "console.log('hi');\n"
            "storeValue('visits', (appsmith.store.visits ?? 0) + 1);\n"
            "showAlert('Saved', 'success');\n"
            "1 + 1",
            "store": {"visits": 1},
        },
        "The completion value is the result; `store` carries the store from a previous run.",
    ),
    "function": _example(
        "Function: return, await, args and globals",
        {
            "code": "const row = Table1.selectedRow;\n"
            "await new Promise(resolve => setTimeout(resolve, 10));\n"
            "return { id: row.id, doubled: args[0] * 2 };",
            "mode": "function",
            "args": [21],
            "globals": {"Table1": {"selectedRow": {"id": 7}}},
        },
    ),
    "expression": _example(
        "Expression: an Appsmith {{ }} binding",
        {
            "code": "Input1.text.trim().toUpperCase()",
            "mode": "expression",
            "globals": {"Input1": {"text": "  hello "}},
        },
    ),
    "virtual_clock": _example(
        "Virtual clock and a seed: deterministic",
        {
            "code": "await new Promise(resolve => setTimeout(resolve, 3600e3));\n"
            "return [new Date().toISOString(), Math.random()];",
            "mode": "function",
            "clock": "virtual",
            "now_ms": 0,
            "random_seed": 42,
        },
        "A one-hour timer completes at once, at 01:00 virtual time; the random number is the "
        "same on every run.",
    ),
    "timers": _example(
        "Timers left pending",
        {"code": "setInterval(() => console.log('tick'), 100, 'poll');\n'started'"},
        "Without `wait_for_timers` the evaluation ends when the script does; the interval is "
        "cancelled and listed in `timers.pending`.",
    ),
    "failure": _example(
        "A failure is still a 200",
        {"code": "const user = null;\nuser.name"},
        "`ok` is false and `error` says why, with the line and column in `code`.",
    ),
}

BATCH_EXAMPLES: dict[str, dict[str, Any]] = {
    "batch": _example(
        "Two evaluations, each in its own sandbox",
        {
            "evaluations": [
                {"code": "1 + 1"},
                {
                    "code": "return Table1.selectedRow.id * 2",
                    "mode": "function",
                    "globals": {"Table1": {"selectedRow": {"id": 21}}},
                },
            ]
        },
    )
}

RESULT_EXAMPLE: dict[str, Any] = {
    "ok": True,
    "result": 2,
    "result_type": "number",
    "error": None,
    "logs": [{"level": "log", "args": ["hi"], "text": "hi", "at_ms": 0.4}],
    "logs_truncated": False,
    "actions": [
        {"type": "STORE_VALUE", "payload": {"key": "visits", "value": 2, "persist": True}},
        {"type": "SHOW_ALERT", "payload": {"message": "Saved", "style": "success"}},
    ],
    "store": {"visits": 2},
    "store_ops": [{"op": "set", "key": "visits", "value": 2, "persist": True}],
    "timers": {"pending": []},
    "fetches": [],
    "stats": {"wall_ms": 1.9, "queue_ms": 0.1},
}


def install_openapi(
    app: FastAPI,
    *,
    protected: bool,
    open_paths: Iterable[str],
    open_prefixes: Iterable[str],
    admin_prefix: str | None = None,
    admin_protected: bool = False,
) -> None:
    """Make `app.openapi()` declare who may call what: the Bearer scheme of `JSEVAL_API_KEYS`
    on the protected operations (when keys are set), and the admin keys' own scheme on the
    admin API (when admin keys are set; an evaluation key never opens it).

    Args:
        app: the app whose document is built (once, then cached by FastAPI).
        protected: whether API keys are configured.
        open_paths, open_prefixes: what the API key middleware leaves open.
        admin_prefix: where the admin API lives (guarded by admin keys alone).
        admin_protected: whether admin keys are configured.
    """
    open_exact = frozenset(open_paths)
    prefixes = tuple(open_prefixes)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        _one_validation_error_model(schema)
        schemes: dict[str, Any] = {}
        for path, operations in schema.get("paths", {}).items():
            if admin_prefix and (path == admin_prefix or path.startswith(admin_prefix + "/")):
                scheme = ADMIN_SCHEME if admin_protected else None
            elif path in open_exact or path.startswith(prefixes):
                scheme = None
            else:
                scheme = BEARER_SCHEME if protected else None
            if scheme is None:
                continue
            schemes[scheme] = _SCHEMES[scheme]
            for operation in operations.values():
                operation["security"] = [{scheme: []}]
        if schemes:
            schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _one_validation_error_model(schema: dict[str, Any]) -> None:
    """Every 422 documented as the body really sent (`ValidationErrorBody`): FastAPI adds its
    own `HTTPValidationError` (with `input`, `ctx`) to any route that does not list a 422, and
    api/app.py strips those fields from every 422 it sends."""
    components = schema.get("components", {}).get("schemas", {})
    if "ValidationErrorBody" not in components:
        return
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                own = responses["422"].get("description")  # a route's own, if it wrote one
                responses["422"] = {
                    "description": own if own and own != "Validation Error"
                    else ERROR_RESPONSES[422]["description"],
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ValidationErrorBody"},
                            **ERROR_RESPONSES[422]["content"]["application/json"],
                        }
                    },
                }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
