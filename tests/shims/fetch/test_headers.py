"""shims/fetch/20_headers.js: Headers as code sees it (guards, iteration, validation)."""

from __future__ import annotations

import pytest

from tests.support import value


def test_headers_are_case_insensitive_and_iterate_sorted_and_combined(evaluator):
    result = value(evaluator, """
      const h = new Headers({'Content-Type': 'text/plain', 'X-B': ' 2 '});
      h.append('x-a', '1'); h.append('X-A', '3'); h.set('content-TYPE', 'application/json');
      const seen = []; h.forEach((v, k, self) => seen.push([k, v, self === h]));
      return {get: h.get('X-A'), has: h.has('x-b'), missing: h.get('nope'), entries: [...h],
              keys: [...h.keys()], values: [...h.values()], seen, tag: String(h),
              iter: h[Symbol.iterator] === h.entries, deleted: (h.delete('X-a'), h.has('x-a'))}
    """)
    assert result == {
        "get": "1, 3", "has": True, "missing": None,
        "entries": [["content-type", "application/json"], ["x-a", "1, 3"], ["x-b", "2"]],
        "keys": ["content-type", "x-a", "x-b"], "values": ["application/json", "1, 3", "2"],
        "seen": [["content-type", "application/json", True], ["x-a", "1, 3", True], ["x-b", "2", True]],
        "tag": "[object Headers]", "iter": True, "deleted": False,
    }


def test_headers_accept_pairs_records_and_headers(evaluator):
    result = value(evaluator, """
      const a = new Headers([['A', '1'], ['a', '2']]);
      const b = new Headers(a); b.set('b', 'x');
      const c = new Headers(new Map([['m', 'v']]));
      return [[...a], [...b], [...c], [...new Headers()]]
    """)
    assert result == [[["a", "1, 2"]], [["a", "1, 2"], ["b", "x"]], [["m", "v"]], []]


@pytest.mark.parametrize(
    "code",
    [
        "new Headers({'bad name': 'x'})",
        "new Headers([['a']])",
        "new Headers(1)",
        "new Headers().append('a', 'x\\ny')",
        "new Headers().set('\\u0100', 'x')",
        "new Headers().get()",
        "new Headers().forEach(1)",
    ],
)
def test_invalid_headers_throw_type_errors(evaluator, code):
    result = evaluator.evaluate({"code": code})
    assert result.error is not None and result.error.name == "TypeError", code


def test_headers_iterators_are_live_iterators(evaluator):
    result = value(evaluator, """
      const h = new Headers({a: '1'}); const it = h.keys(); h.append('b', '2');
      return [it.next(), it.next(), it.next(), Object.prototype.toString.call(it),
              typeof it[Symbol.iterator], it.map ? [...h.keys().map(k => k.toUpperCase())] : null]
    """)
    assert result[:4] == [
        {"value": "a", "done": False}, {"value": "b", "done": False}, {"done": True},
        "[object Headers Iterator]",
    ]
    assert result[4] == "function" and result[5] == ["A", "B"]
