"""Write api/static/favicon.ico: the playground's icon, a pair of braces on jseval blue.

Drawn from the pixel map below and packed by hand (a PNG inside an ICO container) so the icon
is reproducible from this file with the standard library alone: `python tools/playground/favicon.py`.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

PIXELS = """
.bbbbbbbbbbbbbb.
bbbbbbbbbbbbbbbb
bbbbbbbbbbbbbbbb
bbbbwwbbbbwwbbbb
bbbwbbbbbbbbwbbb
bbbwbbbbbbbbwbbb
bbbwbbbbbbbbwbbb
bbwbbbbbbbbbbwbb
bbwbbbbbbbbbbwbb
bbbwbbbbbbbbwbbb
bbbwbbbbbbbbwbbb
bbbwbbbbbbbbwbbb
bbbbwwbbbbwwbbbb
bbbbbbbbbbbbbbbb
bbbbbbbbbbbbbbbb
.bbbbbbbbbbbbbb.
"""
COLOURS = {".": (0, 0, 0, 0), "b": (0x22, 0x56, 0xD6, 0xFF), "w": (0xFF, 0xFF, 0xFF, 0xFF)}
SCALE = 2


def png(rows: list[str]) -> bytes:
    size = len(rows) * SCALE
    raw = b""
    for row in rows:
        line = b"".join(bytes(COLOURS[c]) * SCALE for c in row)
        raw += (b"\0" + line) * SCALE

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(image: bytes, size: int) -> bytes:
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image


def main() -> None:
    rows = PIXELS.split()
    target = Path(__file__).resolve().parents[2] / "api" / "static" / "favicon.ico"
    target.write_bytes(ico(png(rows), len(rows) * SCALE))
    print(f"{target.name}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
