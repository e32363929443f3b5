"""Response bodies (`_body.py`): decoded within the size cap, with bounded work, off the loop.

The decoder is fed real compressed streams (tests/support.py builds them: the `gzip, gzip` bomb
of issue #10, and an honest double coding that costs real CPU); the end-to-end tests fetch them
from `origin_server` over 127.0.0.1. Nothing here asserts a duration: where the work happens
is read from the threads' CPU counters, and how much work is done from the decoder's count.
"""

from __future__ import annotations

import gzip
import os
import threading
import zlib
from collections.abc import Iterator

import pytest

from evaluator import Evaluator, Settings
from evaluator.capabilities.fetch._body import (
    MAX_INNER_RATIO,
    BodyDecoder,
    _TooLarge,
    _TooMuchWork,
    stage_limit,
)
from tests.support import gzip_gzip_bomb, heavy_double_gzip, value

_MIB = 1 << 20


def feed_all(decoder: BodyDecoder, pieces: Iterator[bytes], chunk: int = 65536) -> tuple[bytes, int]:
    """Feed `pieces` in network-sized chunks, as `read_body` does; (decoded, raw bytes fed)."""
    out: list[bytes] = []
    raw = 0
    buffer = b""
    for piece in pieces:
        buffer += piece
        while len(buffer) >= chunk:
            raw += chunk
            out += decoder.feed(buffer[:chunk])
            buffer = buffer[chunk:]
    raw += len(buffer)
    out += decoder.feed(buffer)
    return b"".join(out), raw


# -- work ------------------------------------------------------------------------------------


def test_the_gzip_gzip_bomb_is_stopped_after_bounded_work() -> None:
    # 1 GB of empty deflate blocks inside two gzip layers, 1.9 MB on the wire: it decodes to
    # nothing, so the size cap alone never fired and inflating it all took 2.6 s of CPU.
    decoder = BodyDecoder(["gzip", "gzip"], 10 * _MIB)
    pieces = gzip_gzip_bomb(1 << 30)
    with pytest.raises(_TooMuchWork):
        feed_all(decoder, pieces)
    # Stopped within the first network chunk: at most the ratio's worth of inner stream.
    assert decoder.produced == 0
    assert decoder.work <= 65536 + MAX_INNER_RATIO * 65536 + 2 * 65536
    assert decoder.work < 3 * _MIB  # of the 1 GB the inner stage would have taken in


@pytest.mark.parametrize("limit", [256 * 1024, 4 * _MIB])
def test_work_is_bounded_by_the_stage_limit_whatever_the_ratio(limit: int) -> None:
    # An honest double coding larger than the cap: refused once any stage takes in too much.
    body, _ = heavy_double_gzip(8 * _MIB)
    decoder = BodyDecoder(["gzip", "gzip"], limit)
    with pytest.raises((_TooLarge, _TooMuchWork)):
        feed_all(decoder, iter([body]))
    assert decoder.work <= 2 * stage_limit(limit) + 65536


def test_an_honest_double_coding_decodes_within_the_bounds() -> None:
    body, payload = heavy_double_gzip(4 * _MIB)
    decoder = BodyDecoder(["gzip", "gzip"], 8 * _MIB)
    decoded, raw = feed_all(decoder, iter([body]))
    assert decoded == payload
    assert raw == len(body)
    assert decoder.work <= (1 + MAX_INNER_RATIO) * raw + 2 * 65536


def test_deflate_then_gzip_and_raw_deflate_decode() -> None:
    text = b'{"items": [' + b'{"id": 1, "name": "x"}, ' * 2000 + b"{}]}"
    both = gzip.compress(zlib.compress(text))  # Content-Encoding: deflate, gzip
    assert feed_all(BodyDecoder(["deflate", "gzip"], _MIB), iter([both]))[0] == text
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = raw_deflate.compress(text) + raw_deflate.flush()
    assert feed_all(BodyDecoder(["deflate"], _MIB), iter([data]))[0] == text


def test_a_single_gzip_bomb_is_stopped_by_its_decoded_size() -> None:
    decoder = BodyDecoder(["gzip"], 100_000)
    with pytest.raises(_TooLarge):
        feed_all(decoder, iter([gzip.compress(b"\0" * 20_000_000)]))
    assert decoder.produced <= 100_000 + 65536


# -- end to end: the origin serves them ------------------------------------------------------


@pytest.fixture(scope="module")
def decoding(origin_server) -> Iterator[Evaluator]:
    settings = Settings(
        fetch_allow=(f"127.0.0.1:{origin_server.port}",), fetch_max_bytes=32 * _MIB, pool_size=2
    )
    with Evaluator(settings) as instance:
        yield instance


def test_the_bomb_fetched_from_a_real_origin_is_refused(decoding, origin_server) -> None:
    url = origin_server.url("/bomb?mb=1024")
    message = value(decoding, f"return await fetch({url!r}).catch(e => e.message)", timeout_ms=10_000)
    assert message == "fetch failed: the response's nested content codings expand too far"


def test_more_than_two_content_codings_are_refused(decoding, origin_server) -> None:
    two = origin_server.url("/encoded?codings=gzip,gzip&text=two")
    three = origin_server.url("/encoded?codings=gzip,gzip,gzip&text=three")
    mixed = origin_server.url("/encoded?codings=deflate,gzip&text=mixed")
    assert value(decoding, f"return await (await fetch({two!r})).text()") == "two"
    assert value(decoding, f"return await (await fetch({mixed!r})).text()") == "mixed"
    message = value(decoding, f"return await fetch({three!r}).catch(e => e.message)")
    assert message == "fetch failed: the response has more than 2 content codings"


def _thread_cpu_ticks(prefix: str) -> int:
    """utime + stime of this process's threads whose name starts with `prefix` (from /proc)."""
    total = 0
    for thread in threading.enumerate():
        if not thread.name.startswith(prefix) or thread.native_id is None:
            continue
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_inflating_runs_off_the_loop_every_evaluation_shares(decoding, origin_server) -> None:
    # The fetch loop thread serves every evaluation of the process: while one body is inflated
    # (~0.45 s of CPU here), the loop must stay free. Read from the threads' CPU counters, so the
    # test holds on any machine: the decoding threads do the work, the loop thread almost none.
    url = origin_server.url("/heavy?mb=8")
    _, payload = heavy_double_gzip(8 * _MIB)
    code = f"return (await (await fetch({url!r})).arrayBuffer()).byteLength"
    assert value(decoding, code, timeout_ms=20_000) == len(payload)  # warm: the origin caches
    loop_before, decode_before = _thread_cpu_ticks("jseval-fetch"), _thread_cpu_ticks("jseval-decode")
    for _ in range(2):
        assert value(decoding, code, timeout_ms=20_000) == len(payload)
    loop_ticks = _thread_cpu_ticks("jseval-fetch") - loop_before
    decode_ticks = _thread_cpu_ticks("jseval-decode") - decode_before
    assert decode_ticks >= 10, "the bodies were not inflated on the decoding threads"
    assert loop_ticks * 4 < decode_ticks, (loop_ticks, decode_ticks)
