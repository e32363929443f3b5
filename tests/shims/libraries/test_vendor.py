"""The vendored library builds are exactly what the manifest pins (tools/vendor_npm.py)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
VENDOR = ROOT / "shims" / "libraries" / "vendor"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_npm", ROOT / "tools" / "vendor_npm.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MANIFEST = json.loads((VENDOR / "manifest.json").read_text("utf-8"))


@pytest.mark.parametrize(
    "entry", [e for p in MANIFEST["packages"] for e in p["files"]], ids=lambda e: e["to"]
)
def test_each_committed_file_has_its_manifest_checksum(entry: dict) -> None:
    data = (VENDOR / entry["to"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_the_shared_tool_vendors_this_manifest_and_finds_nothing_wrong() -> None:
    tool = _tool()
    assert VENDOR / "manifest.json" in tool.manifests()
    assert tool.check(VENDOR / "manifest.json") == []


def test_integrity_is_checked_before_anything_is_written() -> None:
    tool = _tool()
    data = b"a tarball"
    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    tool.check_integrity(data, good)
    with pytest.raises(SystemExit, match="integrity mismatch"):
        tool.check_integrity(data + b"!", good)
    with pytest.raises(SystemExit, match="only sha512"):
        tool.check_integrity(data, "sha1-" + base64.b64encode(hashlib.sha1(data).digest()).decode())


def test_pins_are_exact_versions_with_sha512_integrity_and_a_license() -> None:
    for package in MANIFEST["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package["name"]
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package["name"]
        assert any(e["to"].startswith("LICENSE.") for e in package["files"]), package["name"]


def test_the_versions_are_appsmiths() -> None:
    versions = {p["name"]: p["version"] for p in MANIFEST["packages"]}
    # app/client/package.json and yarn.lock of appsmithorg/appsmith (docs/DECISIONS.md).
    assert versions == {
        "lodash": "4.17.21", "moment": "2.29.4", "moment-timezone": "0.5.35", "node-forge": "1.3.0",
    }
    decisions = (ROOT / "docs" / "DECISIONS.md").read_text("utf-8")
    for name, version in versions.items():
        assert f"{name} {version}" in decisions, name
