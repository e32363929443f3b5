"""shims/fetch/23_request.js: Request (normalisation, guards, validation of RequestInit)."""

from __future__ import annotations

import pytest

from tests.support import value


def test_request_normalises_and_guards(evaluator):
    result = value(evaluator, """
      const r = new Request('HTTPS://API.Example.com:443', {method: 'post', body: 'x',
        headers: {Cookie: 'a=b', 'X-Ok': '1', Host: 'evil'}, credentials: 'include'});
      const c = r.clone();
      return [r.method, r.url, [...r.headers], r.credentials, r.redirect, r.signal.aborted,
              await c.text(), r.bodyUsed, c.bodyUsed]
    """)
    assert result == [
        "POST", "https://api.example.com/",
        [["content-type", "text/plain;charset=UTF-8"], ["x-ok", "1"]],
        "include", "follow", False, "x", False, True,
    ]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("new Request('/relative')", "TypeError"),
        ("new Request('http://x/', {method: 'GET', body: 'x'})", "TypeError"),
        ("new Request('http://x/', {method: 'CONNECT'})", "TypeError"),
        ("new Request('http://x/', {method: 'bad method'})", "TypeError"),
        ("new Request('http://x/', {mode: 'navigate'})", "TypeError"),
        ("new Request('http://x/', {signal: {}})", "TypeError"),
        ("new Request()", "TypeError"),
    ],
)
def test_request_validation(evaluator, code, name):
    result = evaluator.evaluate({"code": code})
    assert result.error is not None and result.error.name == name, code
