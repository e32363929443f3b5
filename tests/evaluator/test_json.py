"""JSON at the boundaries (`_json.py`): what the fast encoders refuse still crosses, exactly."""

from __future__ import annotations

import json

from evaluator._json import dumps_json, loads_json, well_formed


def test_request_data_past_64_bits_still_encodes() -> None:
    assert dumps_json({"n": 2**70}) == '{"n": 1180591620717411303424}'
    assert dumps_json({"n": 1}) == '{"n":1}'


def test_lone_surrogates_cross_as_escapes_and_come_back_exact() -> None:
    value = {"code": "'\ud800'.length", "k\udc00": ["\udbff", "é"]}
    text = dumps_json(value)
    assert text.isascii() and "\\ud800" in text
    assert loads_json(text) == value == json.loads(text)


def test_well_formed_replaces_only_lone_surrogates() -> None:
    assert well_formed({"a\ud800": ["x\udc00", "😀", 2**70]}) == {"a\ufffd": ["x\ufffd", "😀", 2**70]}
    clean = {"a": ["b", 1]}
    assert well_formed(clean) is clean  # nothing to replace: nothing copied
