"""shims/web/44_base64.js: atob and btoa (HTML forgiving-base64)."""

from __future__ import annotations

import pytest

from tests.support import value


def test_round_trips_and_forgiving_input(evaluator) -> None:
    got = value(
        evaluator,
        "return [btoa(''), btoa('a'), btoa('ab'), btoa('\\u00ff\\u00fe'), atob('YWI='),"
        " atob(' Y W I '), atob('YWI'), atob(btoa('\\u0000\\u00ff'))]",
    )
    assert got == ["", "YQ==", "YWI=", "//4=", "ab", "ab", "ab", "\u0000\u00ff"]


@pytest.mark.parametrize("code", ["btoa('\\u0100')", "atob('a')", "atob('a===')", "atob('@@@@')"])
def test_invalid_input_throws_invalid_character_error(evaluator, code: str) -> None:
    got = value(evaluator, f"try {{ {code} }} catch (e) {{ return [e.name, e.constructor.name] }}")
    assert got == ["InvalidCharacterError", "InvalidCharacterError"]


def test_an_argument_is_required(evaluator) -> None:
    assert value(evaluator, "try { atob() } catch (e) { return e.name }") == "TypeError"
