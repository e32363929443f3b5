"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evaluator import EvaluationResult, Evaluator


class StubResolver:
    """DNS for tests: names map to lists of answers (one list per call, the last repeats); the
    calls are recorded. No test ever resolves a real name."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, hostname: str, port: int) -> list[str]:
        self.calls.append(hostname)
        if hostname not in self.answers:
            raise OSError("no such name")
        queue = self.answers[hostname]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def call(evaluator: Evaluator, code: str, **fields: Any) -> EvaluationResult:
    """Evaluate `code` in function mode."""
    return evaluator.evaluate({"code": code, "mode": "function", **fields})


def value(evaluator: Evaluator, code: str, **fields: Any) -> Any:
    """The result of `code` in function mode, which must succeed."""
    result = call(evaluator, code, **fields)
    assert result.ok, result.error
    return result.result


# -- compression bombs (fetch's bounded decoding) ------------------------------------------------

_EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored deflate block of 0 bytes
_INNER_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# A final empty fixed-Huffman block, then CRC-32 and size of nothing.
_INNER_TAIL = b"\x03\x00" + b"\x00" * 8
_UNIT = _EMPTY_STORED_BLOCK * 13107  # 65535 bytes that inflate to nothing


def _deflate_units() -> tuple[bytes, bytes, bytes]:
    """(head, unit, tail) of a raw deflate stream: after a full flush the compressor forgets
    everything, so compressing `_UNIT` again gives the same bytes, and any number of units can
    be streamed without compressing them (1 GB of input costs nothing to serve)."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = compressor.compress(_INNER_HEADER) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(_UNIT) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(_INNER_TAIL) + compressor.flush(zlib.Z_FINISH)
    return head, unit, tail


def gzip_gzip_bomb(inner_bytes: int) -> Iterator[bytes]:
    """`Content-Encoding: gzip, gzip` around `inner_bytes` of empty deflate blocks (the attack
    of issue #10: 1 GB decoded to nothing after 2.6 s of CPU). A valid stream, produced lazily:
    ~119 bytes on the wire per 64 KiB of inner stream."""
    import struct
    import zlib

    head, unit, tail = _deflate_units()
    units = max(0, (inner_bytes - len(_INNER_HEADER) - len(_INNER_TAIL)) // len(_UNIT))
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + head
    crc = zlib.crc32(_INNER_HEADER)
    for _ in range(units):
        crc = zlib.crc32(_UNIT, crc)
        yield unit
    crc = zlib.crc32(_INNER_TAIL, crc)
    size = len(_INNER_HEADER) + units * len(_UNIT) + len(_INNER_TAIL)
    yield tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


# Four empty fixed-Huffman deflate blocks (10 bits each, byte-aligned after four): the most
# inflating work per byte of stream.
_EMPTY_FIXED_BLOCKS = b"\x02\x08\x20\x80\x00"


def heavy_double_gzip(inner_bytes: int, seed: int = 0) -> tuple[bytes, bytes]:
    """(body, decoded) of an honest `Content-Encoding: gzip, gzip` response whose inner stream
    is mostly empty deflate blocks, so inflating it costs real CPU (~0.45 s for 8 MiB here),
    while its inner stage stays ~27 times the bytes sent: within the decoder's ratio (a random
    byte every 66 keeps the outer layer from compressing better)."""
    import gzip
    import random
    import struct
    import zlib

    units = inner_bytes // 66
    payload = random.Random(seed).randbytes(units)
    run = _EMPTY_FIXED_BLOCKS * 12
    parts = [_INNER_HEADER]
    for i in range(units):  # 48 empty blocks, then a stored block of one byte
        parts += (run, b"\x00\x01\x00\xfe\xff", payload[i : i + 1])
    parts.append(b"\x03\x00" + struct.pack("<II", zlib.crc32(payload), len(payload)))
    return gzip.compress(b"".join(parts), 6), payload
