"""Response bodies: read within the size cap, Content-Encoding undone with bounded work, off the
fetch loop.

Three bounds, because a compressed body is the cheapest way to make a server work:
- size: the raw bytes read and the decoded bytes are both capped (`fetch_max_bytes`);
  httpx's own decoders inflate a whole network chunk at once (64 KiB of a gzip bomb is ~64 MiB
  before anything could count it), so the raw bytes are read as they came (`aiter_raw`) and every
  inflate call is bounded (`max_length`);
- work: at most `MAX_CODINGS` (2) content codings; every stage's input (what the stage before
  it produced, or the raw body) is capped like the raw body, and a stage after the first may
  take in at most `MAX_INNER_RATIO` times the raw bytes read so far. Inflating costs CPU for
  input that produces nothing (empty deflate blocks), so capping only the final output was not
  enough: `Content-Encoding: gzip, gzip` around 1 GB of empty blocks decoded to nothing after
  2.6 s of CPU. Now the work is proportional to the bytes the server sent (as for any body)
  and at most about three caps' worth per response. The ratio does not limit honest double
  codings: compressing compressed data gains almost nothing, so their inner stage is about as
  large as the raw body;
- where: inflating runs on a small thread pool, never on the fetch loop thread every evaluation
  of the process shares (zlib releases the GIL while it inflates). Before, that bomb held the
  loop, and another evaluation's trivial fetch went from 21 ms to 2.5 s.
"""

from __future__ import annotations

import asyncio
import os
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from evaluator.capabilities.fetch._failures import FetchFailure

__all__ = ["MAX_CODINGS", "MAX_INNER_RATIO", "BodyDecoder", "read_body", "stage_limit"]

_CHUNK = 65536
MAX_CODINGS = 2
MAX_INNER_RATIO = 32
# Threads that inflate response bodies, shared by the process's evaluations. Each call inflates
# what one network chunk holds (at most MAX_INNER_RATIO chunks of inner stream), so a call is
# short; enough threads that one evaluation's six fetches in flight cannot queue another
# evaluation's decoding behind them: the OS shares the CPU between them instead.
_DECODE_THREADS = 8
_decode_pool: tuple[int, ThreadPoolExecutor] | None = None


def _pool() -> ThreadPoolExecutor:
    """The decoding threads of this process (made again after a fork: threads do not survive
    one). Called on the fetch loop thread only."""
    global _decode_pool
    if _decode_pool is None or _decode_pool[0] != os.getpid():
        pool = ThreadPoolExecutor(_DECODE_THREADS, thread_name_prefix="jseval-decode")
        _decode_pool = (os.getpid(), pool)
    return _decode_pool[1]


def stage_limit(limit: int) -> int:
    """The most one stage of decoding may take in (the raw body, or what the stage before it
    produced): the cap plus deflate's worst-case overhead on incompressible data, plus a chunk."""
    return limit + limit // 64 + _CHUNK


class _TooLarge(Exception):
    pass


class _TooMuchWork(Exception):
    pass


class BodyDecoder:
    """Content-Encoding decoding (gzip, deflate; at most two), never producing past `limit`
    bytes and never feeding any stage more than `stage_limit(limit)` bytes, nor a stage after
    the first more than `MAX_INNER_RATIO` times the raw bytes (plus a chunk).

    `work` counts every byte the stages took in (the raw body included): the CPU spent is
    proportional to it, and it is at most `(1 + MAX_INNER_RATIO) * raw + 2 chunks` and at most
    `2 * stage_limit(limit)`, whatever the body holds.
    """

    def __init__(self, encodings: Sequence[str], limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self.work = 0
        self._stage_limit = stage_limit(limit)
        self._stages: list[Any] = []
        self._taken: list[int] = []
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
        self._taken = [0] * len(self._stages)

    @property
    def decoding(self) -> bool:
        return bool(self._stages)

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
        self._taken[index] += len(data)
        self.work += len(data)
        if index == 0:
            if self._taken[0] > self._stage_limit:
                raise _TooLarge()
        elif self._taken[index] > min(
            self._stage_limit, MAX_INNER_RATIO * self._taken[0] + _CHUNK
        ):
            raise _TooMuchWork()
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
    after decoding), needs more decoding work than the cap allows, or cannot be decoded."""
    try:
        return await _read(response, limit)
    except _TooLarge:
        raise FetchFailure("limit", f"the response is larger than {limit} bytes") from None
    except _TooMuchWork:
        reason = "the response's nested content codings expand too far"
        raise FetchFailure("limit", reason) from None
    except (zlib.error, EOFError):
        raise FetchFailure("network", "the response body could not be decoded") from None


def _content_codings(response: httpx.Response) -> list[str]:
    return [
        part.strip().lower()
        for value in response.headers.get_list("content-encoding")
        for part in value.split(",")
        if part.strip()
    ]


async def _read(response: httpx.Response, limit: int) -> bytes:
    encodings = _content_codings(response)
    if len([e for e in encodings if e != "identity"]) > MAX_CODINGS:
        raise FetchFailure("limit", f"the response has more than {MAX_CODINGS} content codings")
    decoder = BodyDecoder(encodings, limit)
    declared = response.headers.get("content-length")
    undecoded = not decoder.decoding
    if undecoded and declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge()
    loop = asyncio.get_running_loop()
    parts: list[bytes] = []
    async for chunk in response.aiter_raw():
        if decoder.decoding:
            # Off the loop: other evaluations' fetches keep running while this one inflates.
            parts.extend(await loop.run_in_executor(_pool(), decoder.feed, chunk))
        else:
            parts.extend(decoder.feed(chunk))
    return b"".join(parts)
