"""The supervisor <-> worker wire format: length-prefixed binary frames over a Unix socket.

Why not multiprocessing's `Connection` with pickles: pickling pydantic models costs more than
the evaluation of `1 + 1`, and a pickle from a process that ran untrusted code is not something
to load. A frame is a fixed 25-byte header and a payload of JSON bytes:

    <I payload length> <B type> <Q job id> <d number> <I count>

`number` carries the job's queue time in an EVAL frame; `count` carries the worker's warm
sandboxes in RESULT and STATUS frames. The payload of an EVAL is the request as JSON (pydantic's
own `model_dump_json`), of a RESULT the `EvaluationResult` as JSON, exactly as the worker's
engine produced it; the API process never unpickles anything.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = [
    "CANCEL",
    "EVAL",
    "HEADER",
    "READY",
    "RECYCLE",
    "RESULT",
    "SETTINGS",
    "SHUTDOWN",
    "STATUS",
    "frame",
]

HEADER: Final = struct.Struct("<IBQdI")

# supervisor -> worker
EVAL: Final = 1  # payload: the request JSON; number: queue_ms
SHUTDOWN: Final = 2  # finish what runs, close the pool, exit 0
SETTINGS: Final = 3  # the first frame only: the settings as JSON
CANCEL: Final = 4  # job id: stop that evaluation now (its caller went away); its RESULT follows
# worker -> supervisor
READY: Final = 10  # the pool is warm; count: warm sandboxes
RESULT: Final = 11  # payload: the EvaluationResult JSON; count: warm sandboxes
STATUS: Final = 12  # count: warm sandboxes (sent when it changes while idle)
RECYCLE: Final = 13  # an isolate will not stop: replace me once my evaluations are done


def frame(
    kind: int, job_id: int = 0, payload: bytes = b"", number: float = 0.0, count: int = 0
) -> bytes:
    """One frame, header and payload, ready for `sendall`."""
    return HEADER.pack(len(payload), kind, job_id, number, count) + payload
