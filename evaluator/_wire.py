"""The supervisor <-> worker wire format: length-prefixed binary frames over a Unix socket.

Why not multiprocessing's `Connection` with pickles: pickling pydantic models costs more than
the evaluation of `1 + 1`, and a pickle from a process that ran untrusted code is not something
to load. A frame is a fixed 25-byte header and a payload of JSON bytes:

    <I payload length> <B type> <Q job id> <d number> <I count>

`number` carries the job's queue time in an EVAL frame; `count` carries the worker's warm
sandboxes in RESULT and STATUS frames. The payload of an EVAL is the request as JSON (pydantic's
own `model_dump_json`), of a RESULT the `EvaluationResult` as JSON, exactly as the worker's
engine produced it; the API process never unpickles anything.

Installed libraries (SPEC section 9) reach workers in LIBRARIES frames: the whole set, sources
included, right after SETTINGS and again whenever it changes. Frames on the socket are ordered,
so an EVAL sent after a LIBRARIES frame is evaluated with that set. A CHECK runs the install
check of a bundle in the worker (the API process, which holds the keys, never runs a bundle);
its RESULT payload is `{"library": {"version", "globals"}}` or `{"refused": reason}`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any, Final

import orjson
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from evaluator._json import dumps_json, loads_json
from evaluator.capabilities.libraries import InstalledLibrary
from evaluator.models import EvaluationRequest

__all__ = [
    "CANCEL",
    "CHECK",
    "EVAL",
    "HEADER",
    "LIBRARIES",
    "OUTBOUND",
    "READY",
    "RECYCLE",
    "RESULT",
    "SETTINGS",
    "SHUTDOWN",
    "STATUS",
    "decode_libraries",
    "decode_request",
    "encode_libraries",
    "encode_request",
    "frame",
]

HEADER: Final = struct.Struct("<IBQdI")

# supervisor -> worker
EVAL: Final = 1  # payload: the request JSON; number: queue_ms
SHUTDOWN: Final = 2  # finish what runs, close the pool, exit 0
SETTINGS: Final = 3  # the first frame only: the settings as JSON
CANCEL: Final = 4  # job id: stop that evaluation now (its caller went away); its RESULT follows
LIBRARIES: Final = 5  # the second frame, and on every change: [{name, version, globals, source}]
CHECK: Final = 6  # payload: {name, source, version}: check a bundle as installable; RESULT follows
# worker -> supervisor
READY: Final = 10  # the pool is warm; count: warm sandboxes
RESULT: Final = 11  # payload: the EvaluationResult (or CHECK answer) JSON; count: warm sandboxes
STATUS: Final = 12  # count: warm sandboxes (sent when it changes while idle)
RECYCLE: Final = 13  # an isolate will not stop: replace me once my evaluations are done
OUTBOUND: Final = 14  # the job asked a host capability for something: never run it again


def frame(
    kind: int, job_id: int = 0, payload: bytes = b"", number: float = 0.0, count: int = 0
) -> bytes:
    """One frame, header and payload, ready for `sendall`."""
    return HEADER.pack(len(payload), kind, job_id, number, count) + payload


def encode_libraries(libraries: Iterable[InstalledLibrary]) -> bytes:
    """A LIBRARIES payload: every installed library, source included."""
    return orjson.dumps(
        [
            {"name": lib.name, "version": lib.version, "globals": list(lib.globals),
             "source": lib.source}
            for lib in libraries
        ]
    )


def decode_libraries(payload: bytes) -> tuple[InstalledLibrary, ...]:
    """The libraries of a LIBRARIES payload (ValueError if it is not one)."""
    items: Any = orjson.loads(payload)
    if not isinstance(items, list):
        raise ValueError("a LIBRARIES payload is a list")
    found = []
    for item in items:
        name, version, globals_, source = (
            item["name"], item["version"], item["globals"], item["source"]
        )
        if not (
            isinstance(name, str) and isinstance(version, str) and isinstance(source, str)
            and isinstance(globals_, list) and all(isinstance(g, str) for g in globals_)
        ):
            raise ValueError("a LIBRARIES entry has the wrong shape")
        found.append(InstalledLibrary(name, version, tuple(globals_), source))
    return tuple(found)


def encode_request(request: EvaluationRequest) -> bytes:
    """The request as JSON bytes, whatever strings and integers it holds."""
    try:
        return request.__pydantic_serializer__.to_json(request)
    except PydanticSerializationError:  # a lone surrogate
        return dumps_json(request.model_dump(mode="json")).encode()


def decode_request(payload: bytes) -> EvaluationRequest:
    """The request `encode_request` wrote."""
    try:
        return EvaluationRequest.model_validate_json(payload)
    except ValidationError:  # stdlib JSON with escaped lone surrogates, which jiter refuses
        return EvaluationRequest.model_validate(loads_json(payload))
