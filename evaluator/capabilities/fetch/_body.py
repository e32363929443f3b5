"""Response bodies: read within the size cap, Content-Encoding undone without a bomb.

httpx's decoders inflate a whole network chunk at once, so 64 KiB of a gzip bomb becomes
~64 MiB before anything could count it; here the raw bytes are read as they came
(`aiter_raw`) and every inflate call is bounded, so neither the compressed input nor the
decoded output can pass the cap (`fetch_max_bytes`) by more than one chunk.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import httpx

from evaluator.capabilities.fetch._failures import FetchFailure

__all__ = ["read_body"]

_CHUNK = 65536


class _TooLarge(Exception):
    pass


class _Decoder:
    """Content-Encoding decoding (gzip, deflate; chains), never producing past `limit` bytes:
    every inflate call is bounded (`max_length`)."""

    def __init__(self, encodings: Sequence[str], limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self._stages: list[Any] = []
        for encoding in reversed(encodings):  # the last applied is undone first
            if encoding in ("gzip", "x-gzip"):
                self._stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif encoding == "deflate":
                self._stages.append(["deflate", b""])  # zlib or raw: decided on the first bytes
            elif encoding in ("", "identity"):
                continue
            else:  # unknown coding: the bytes pass through as they are (browsers do the same)
                self._stages = []
                break

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        self._push(0, data, out)
        return out

    def _push(self, index: int, data: bytes, out: list[bytes]) -> None:
        if index == len(self._stages):
            self.produced += len(data)
            if self.produced > self.limit:
                raise _TooLarge()
            out.append(data)
            return
        stage = self._stages[index]
        if isinstance(stage, list):  # deflate: zlib-wrapped or raw, told by the first two bytes
            stage[1] += data
            if len(stage[1]) < 2:
                return
            head = stage[1]
            wrapped = (head[0] & 0x0F) == 8 and ((head[0] << 8) | head[1]) % 31 == 0
            stage = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            self._stages[index] = stage
            data = head
        while True:
            piece = stage.decompress(data, _CHUNK)
            progressed = bool(piece) or len(stage.unconsumed_tail) < len(data)
            data = stage.unconsumed_tail
            if piece:
                self._push(index + 1, piece, out)
            if (not data and len(piece) < _CHUNK) or not progressed:
                return



async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The response's body, decoded; FetchFailure if it is larger than `limit` bytes (before or
    after decoding) or cannot be decoded."""
    try:
        return await _read(response, limit)
    except _TooLarge:
        raise FetchFailure("limit", f"the response is larger than {limit} bytes") from None
    except (zlib.error, EOFError):
        raise FetchFailure("network", "the response body could not be decoded") from None


async def _read(response: httpx.Response, limit: int) -> bytes:
    encodings = [
        part.strip().lower()
        for part in response.headers.get("content-encoding", "").split(",")
        if part.strip()
    ]
    decoder = _Decoder(encodings, limit)
    declared = response.headers.get("content-length")
    if not encodings and declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge()
    # Compressed input is bounded too: a stream of empty deflate blocks decodes to nothing.
    raw_limit = limit + limit // 64 + _CHUNK
    raw = 0
    parts: list[bytes] = []
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        if raw > raw_limit:
            raise _TooLarge()
        parts.extend(decoder.feed(chunk))
    return b"".join(parts)
