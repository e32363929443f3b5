"""URL and URLSearchParams (shims/web/50_url_parser.js, 43_idna.js, 52_url.js): the standard's
test data, run against the sandbox's classes AND the host's parser (ada, the parser fetch's
network policy uses), so the two agree as SPEC section 3 promises.

The data is the web-platform-tests' `urltestdata.json` and `setters_tests.json`, vendored beside
fetch's URL tests (tests/evaluator/capabilities/fetch/data/SOURCE.md). Each file is run in one
evaluation (a fixture); each entry is then its own test, against both parsers.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import ada_url
import pytest

from evaluator import Evaluator

DATA = Path(__file__).parents[2] / "evaluator" / "capabilities" / "fetch" / "data"
URL_DATA = [e for e in json.loads((DATA / "urltestdata.json").read_text("utf-8")) if isinstance(e, dict)]
SETTERS_DATA = json.loads((DATA / "setters_tests.json").read_text("utf-8"))
SETTER_CASES = [
    (setter, index, case)
    for setter, cases in SETTERS_DATA.items()
    if setter != "comment"
    for index, case in enumerate(cases)
]
FIELDS = ("href", "origin", "protocol", "username", "password", "host", "hostname", "port",
          "pathname", "search", "hash")

# Every entry parsed by the sandbox's URL: the fields, or the error's name.
PARSE_ALL = """
return DATA.map((entry) => {
  let url;
  try {
    url = entry.base === null ? new URL(entry.input) : new URL(entry.input, entry.base);
  } catch (error) {
    return { threw: error.name,
             canParse: entry.base === null ? URL.canParse(entry.input) : URL.canParse(entry.input, entry.base),
             parsed: URL.parse(entry.input, entry.base ?? undefined) };
  }
  const fields = {};
  for (const name of FIELDS) fields[name] = url[name];
  fields.searchParams = url.searchParams.toString();
  fields.json = url.toJSON();
  return fields;
});
"""

SET_ALL = """
return DATA.map(([setter, href, value]) => {
  const url = new URL(href);
  url[setter] = value;
  const fields = {};
  for (const name of FIELDS) fields[name] = url[name];
  return fields;
});
"""


@pytest.fixture(scope="module")
def js_parsed(evaluator: Evaluator) -> list[dict[str, Any]]:
    data = [{"input": e["input"], "base": e.get("base")} for e in URL_DATA]
    result = evaluator.evaluate({
        "code": PARSE_ALL, "mode": "function", "globals": {"DATA": data, "FIELDS": list(FIELDS)},
        "timeout_ms": 20000,
    })
    assert result.ok, result.error
    assert isinstance(result.result, list)
    return result.result


@pytest.fixture(scope="module")
def js_set(evaluator: Evaluator) -> list[dict[str, Any]]:
    data = [[setter, case["href"], case["new_value"]] for setter, _, case in SETTER_CASES]
    result = evaluator.evaluate({
        "code": SET_ALL, "mode": "function", "globals": {"DATA": data, "FIELDS": list(FIELDS)},
        "timeout_ms": 20000,
    })
    assert result.ok, result.error
    assert isinstance(result.result, list)
    return result.result


def host_parse(entry: dict[str, Any]) -> dict[str, str] | None:
    """What the host's parser (ada) makes of an entry; None if it fails it."""
    try:
        url = ada_url.URL(entry["input"], entry.get("base"))
    except ValueError:
        return None
    return {name: getattr(url, name) for name in FIELDS}


def test_the_data_is_all_there() -> None:
    assert len(URL_DATA) == 891 and len(SETTER_CASES) == 278


@pytest.mark.parametrize(
    "index", range(len(URL_DATA)), ids=[repr(e["input"])[:50] for e in URL_DATA]
)
def test_url_parses_every_entry_as_the_standard_and_the_host_do(
    index: int, js_parsed: list[dict[str, Any]]
) -> None:
    entry = URL_DATA[index]
    got = js_parsed[index]
    host = host_parse(entry)
    if entry.get("failure"):
        assert got == {"threw": "TypeError", "canParse": False, "parsed": None}
        assert host is None
        return
    expected = {name: entry[name] for name in FIELDS if name in entry}
    assert {name: got[name] for name in expected} == expected
    assert got["json"] == got["href"]
    if "searchParams" in entry:
        assert got["searchParams"] == entry["searchParams"]
    # The same parse on both sides of the bridge: every field the host's parser reports.
    assert host is not None
    assert {name: got[name] for name in FIELDS} == host


@pytest.mark.parametrize(
    "index", range(len(SETTER_CASES)),
    ids=[f"{s}-{i}:{c['new_value']!r}"[:60] for s, i, c in SETTER_CASES],
)
def test_url_setters_follow_the_standard_and_the_host(
    index: int, js_set: list[dict[str, Any]]
) -> None:
    setter, _, case = SETTER_CASES[index]
    got = js_set[index]
    assert {name: got[name] for name in case["expected"]} == case["expected"]
    host = ada_url.URL(case["href"])
    with contextlib.suppress(ValueError):  # ada refuses what the standard ignores: no change
        setattr(host, setter, case["new_value"])
    assert {name: got[name] for name in FIELDS} == {name: getattr(host, name) for name in FIELDS}


# -- IDNA: the web-platform-tests' toascii.json, through the host parser of each side --------------
TOASCII_DATA = [
    e for e in json.loads((DATA / "toascii.json").read_text("utf-8")) if isinstance(e, dict)
]

HOSTS_ALL = """
return DATA.map((input) => {
  try { return new URL('https://' + input + '/x').host; } catch (e) { return null; }
});
"""


@pytest.fixture(scope="module")
def js_hosts(evaluator: Evaluator) -> list[str | None]:
    result = evaluator.evaluate({
        "code": HOSTS_ALL, "mode": "function",
        "globals": {"DATA": [e["input"] for e in TOASCII_DATA]},
    })
    assert result.ok, result.error
    assert isinstance(result.result, list)
    return result.result


@pytest.mark.parametrize(
    "index", range(len(TOASCII_DATA)), ids=[repr(e["input"])[:40] for e in TOASCII_DATA]
)
def test_hosts_go_to_ascii_as_the_standard_and_the_host_do(
    index: int, js_hosts: list[str | None]
) -> None:
    entry = TOASCII_DATA[index]
    try:
        host: str | None = ada_url.URL(f"https://{entry['input']}/x").host
    except ValueError:
        host = None
    assert js_hosts[index] == entry["output"] == host
