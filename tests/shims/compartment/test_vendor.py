"""The vendored SES (compartment mode, SPEC section 10): pinned, unmodified, and working in our V8.

Compartment mode is not built yet (docs/design/compartment-mode.md); these tests hold the vendored
package to its manifest, and check that this mini-racer's V8 still runs SES's `lockdown()` with
the options the design chose, so a V8 or SES upgrade that breaks it fails here first.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import pytest

from evaluator._bridge import Isolate

VENDOR = resources.files("shims") / "compartment" / "vendor"
MANIFEST = json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))
FILES = [entry for package in MANIFEST["packages"] for entry in package["files"]]
# The options docs/design/compartment-mode.md chose, and why, are written there.
LOCKDOWN_OPTIONS = (
    "{errorTaming: 'unsafe', stackFiltering: 'verbose', overrideTaming: 'severe', "
    "consoleTaming: 'unsafe', localeTaming: 'unsafe', evalTaming: 'no-eval', "
    "reporting: 'none', errorTrapping: 'none', unhandledRejectionTrapping: 'none'}"
)


def test_ses_is_pinned_to_one_version_and_a_sha512_integrity() -> None:
    [package] = MANIFEST["packages"]
    assert package["name"] == "ses"
    assert package["version"].count(".") == 2 and "^" not in package["version"]
    assert package["integrity"].startswith("sha512-")


@pytest.mark.parametrize("entry", FILES, ids=[entry["to"] for entry in FILES])
def test_vendored_file_matches_its_manifest_checksum(entry: dict[str, str]) -> None:
    data = (VENDOR / entry["to"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def _evaluate(isolate: Isolate, code: str) -> object:
    reply = isolate.eval(code).wait(30)
    assert reply is not None, "V8 did not answer"
    assert reply.ok, reply.text[:500]
    return reply.value


def test_lockdown_runs_in_our_v8_and_a_compartment_is_confined() -> None:
    source = (VENDOR / "ses.umd.min.js").read_text(encoding="utf-8")
    isolate = Isolate()
    try:
        _evaluate(isolate, source + "\n//# sourceURL=jseval:ses\n;0")
        _evaluate(isolate, f"lockdown({LOCKDOWN_OPTIONS}); 0")
        checks = _evaluate(
            isolate,
            """(() => {
              const c = new Compartment({ __options__: true, globals: { x: 40 } });
              const out = [c.evaluate('x + 2')];
              out.push(Object.isFrozen(Array.prototype));
              try { c.evaluate('Array.prototype.leak = 1'); out.push('assigned'); }
              catch (e) { out.push(e.name); }
              try { c.evaluate('undeclared = 1'); out.push('assigned'); }
              catch (e) { out.push(e.name); }
              try { c.evaluate('import("x")'); out.push('compiled'); }
              catch (e) { out.push(e.name); }
              out.push(c.evaluate('typeof globalThis.x'), new Compartment().evaluate('typeof x'));
              return JSON.stringify(out);
            })()""",
        )
        assert json.loads(str(checks)) == [
            42, True, "TypeError", "ReferenceError", "SyntaxError", "number", "undefined",
        ]
    finally:
        isolate.close()
