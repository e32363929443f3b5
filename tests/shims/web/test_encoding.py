"""shims/web/45_encoding.js: TextEncoder and TextDecoder (UTF-8 only)."""

from __future__ import annotations

import pytest

from tests.support import value


def test_encoder_and_decoder_basics(evaluator) -> None:
    got = value(
        evaluator,
        "const e = new TextEncoder(); const d = new TextDecoder('UTF8 ');"
        "const into = new Uint8Array(4); const r = e.encodeInto('a€b', into);"
        "return [e.encoding, d.encoding, d.fatal, d.ignoreBOM, [...e.encode('é')], r.read,"
        " r.written, [...into], d.decode(new Uint8Array([104, 105]).buffer),"
        " d.decode(new DataView(new Uint8Array([33]).buffer)), d.decode()]",
    )
    assert got == ["utf-8", "utf-8", False, False, [0xC3, 0xA9], 2, 4, [97, 0xE2, 0x82, 0xAC],
                   "hi", "!", ""]


def test_ignore_bom_keeps_it(evaluator) -> None:
    got = value(
        evaluator,
        "const b = new Uint8Array([0xef, 0xbb, 0xbf, 0x41]);"
        "return [new TextDecoder().decode(b), new TextDecoder('utf-8', {ignoreBOM: true}).decode(b)]",
    )
    assert got == ["A", "\ufeffA"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("new TextDecoder('latin1')", "RangeError"),
        ("new TextDecoder().decode('text')", "TypeError"),
        ("new TextDecoder().decode({})", "TypeError"),
    ],
)
def test_bad_arguments_throw(evaluator, code: str, name: str) -> None:
    assert value(evaluator, f"try {{ {code} }} catch (e) {{ return e.name }}") == name
