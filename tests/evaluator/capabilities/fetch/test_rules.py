"""One source for each fetch rule: Python's tables (`_rules.py`), which the runtime is handed at
prepare. These tests fail if the two halves could differ: the shims must hold no table of their
own, and the sandbox must apply every entry of Python's tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator import Evaluator
from evaluator.capabilities import runtime_tables
from evaluator.capabilities.fetch import _rules
from tests.support import value

SHIMS = Path(__file__).resolve().parents[4] / "shims"


def shim_sources() -> dict[str, str]:
    return {str(path.relative_to(SHIMS)): path.read_text() for path in SHIMS.rglob("*.js")}


@pytest.mark.parametrize(
    "literal",
    [
        # (`set-cookie` itself is named by Headers' getSetCookie and sort-and-combine.)
        *(f'"{n}"' for n in _rules.FORBIDDEN_REQUEST_HEADERS if "-" in n and n != "set-cookie"),
        *(f'"{name}"' for name in _rules.METHOD_OVERRIDE_HEADERS),
        *(f'"{prefix}"' for prefix in _rules.FORBIDDEN_REQUEST_PREFIXES),
        "TRACK",
        "set-cookie2",
        *(f"{status}: true" for status in _rules.NULL_BODY_STATUSES | _rules.REDIRECT_STATUSES),
        "tchar",
    ],
)
def test_no_shim_keeps_a_copy_of_a_rule_table(literal: str) -> None:
    holders = [name for name, source in shim_sources().items() if literal in source]
    assert holders == [], f"{literal} is written in {holders}: read it from boot.host.tables"


def test_the_runtime_is_handed_the_tables_python_owns() -> None:
    tables = runtime_tables()["fetch"]
    assert set(tables["forbiddenRequestHeaders"]) == _rules.FORBIDDEN_REQUEST_HEADERS
    assert set(tables["forbiddenMethods"]) == _rules.FORBIDDEN_METHODS
    assert set(tables["nullBodyStatuses"]) == _rules.NULL_BODY_STATUSES
    assert set(tables["redirectStatuses"]) == _rules.REDIRECT_STATUSES
    assert tables["tokenCharacters"] == _rules.TOKEN_CHARACTERS
    json.dumps(tables)  # JSON data: it crosses into the isolate as text


def test_the_sandbox_applies_every_entry_of_the_python_tables(evaluator: Evaluator) -> None:
    rules = runtime_tables()["fetch"]
    tables = json.dumps(rules)
    code = f"""
    const t = {tables};
    const kept = (headers) => new Request("http://h.example/", {{ headers }}).headers;
    const throws = (f) => {{ try {{ f(); return false; }} catch (e) {{ return e.name; }} }};
    const out = {{}};
    out.forbidden = t.forbiddenRequestHeaders.filter((n) => kept([[n, "v"]]).has(n));
    out.prefixes = t.forbiddenRequestPrefixes.filter((p) => kept([[p + "x", "v"]]).has(p + "x"));
    out.overrides = t.methodOverrideHeaders.flatMap((h) => [
      kept([[h, "get, " + t.forbiddenMethods[0]]]).has(h), kept([[h, "GET"]]).has(h)]);
    out.methods = t.forbiddenMethods.map((m) => throws(
      () => new Request("http://h.example/", {{ method: m.toLowerCase() }})));
    out.normalized = t.normalizedMethods.map(
      (m) => new Request("http://h.example/", {{ method: m.toLowerCase() }}).method);
    out.tokens = [...t.tokenCharacters].filter((c) => throws(() => new Headers([["a" + c, "v"]])));
    out.nonTokens = ["(", ")", ",", "/", ":", "@", "[", "]", " ", "\\u00e9"]
      .filter((c) => !throws(() => new Headers([["a" + c, "v"]])));
    out.nullBody = t.nullBodyStatuses.filter((s) => s >= 200)
      .map((s) => throws(() => new Response("x", {{ status: s }})));
    out.redirects = t.redirectStatuses.map((s) => Response.redirect("http://h.example/", s).status);
    out.notRedirect = throws(() => Response.redirect("http://h.example/", 300));
    out.hidden = t.hiddenResponseHeaders.filter(
      (n) => new Response("", {{ headers: [[n, "v"]] }}).headers.has(n));
    return out;
    """
    out = value(evaluator, code)
    assert out["forbidden"] == [] and out["prefixes"] == []
    assert out["overrides"] == [False, True] * len(rules["methodOverrideHeaders"])
    assert out["methods"] == ["TypeError"] * len(rules["forbiddenMethods"])
    assert out["normalized"] == sorted(_rules.NORMALIZED_METHODS)
    assert out["tokens"] == [] and out["nonTokens"] == []
    assert out["nullBody"] == ["TypeError"] * len([s for s in _rules.NULL_BODY_STATUSES if s >= 200])
    assert out["redirects"] == sorted(_rules.REDIRECT_STATUSES)
    assert out["notRedirect"] == "RangeError"
    assert out["hidden"] == []


@pytest.mark.parametrize(
    ("name", "value_", "forbidden"),
    [
        ("cookie", "", True),
        ("proxy-authorization", "x", True),
        ("sec-fetch-mode", "x", True),
        ("x-http-method-override", "GET, trace", True),
        ("x-http-method-override", "GET", False),
        ("x-api-key", "k", False),
    ],
)
def test_the_host_applies_the_same_predicate(name: str, value_: str, forbidden: bool) -> None:
    assert _rules.is_forbidden_request_header(name, value_) is forbidden
