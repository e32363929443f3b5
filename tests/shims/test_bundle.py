"""shims/__init__.py: finding, ordering and packing the shims (no isolate needed)."""

from __future__ import annotations

import re

import pytest

import shims
from shims import bundle, load_groups, load_kind, primordial_names, shim_files

FILES = shim_files()


def test_shims_load_in_number_then_name_order_and_names_are_unique() -> None:
    keys = [(shim.number, shim.name) for shim in FILES]
    assert keys == sorted(keys)
    assert len({shim.name for shim in FILES}) == len(FILES)
    assert FILES[0].name == "primordials"


@pytest.mark.parametrize("shim", FILES, ids=lambda shim: f"{shim.unit}/{shim.number}_{shim.name}")
def test_every_shim_has_the_header_and_shape_the_rules_ask_for(shim) -> None:
    head = shim.source.split("(function (boot)", 1)[0]
    assert head.startswith(f"// shims/{shim.unit}/{shim.number}_{shim.name}.js: ")
    for field in ("// Exposes:", "// Hides:", "// Needs:", "// Load:"):
        assert field in head, field
    assert load_kind(shim.source) in ("eager", "lazy", "host")
    assert '"use strict";' in shim.source


def test_every_global_names_a_shim_that_exports_it() -> None:
    install = next(shim for shim in FILES if shim.name == "install").source
    names = {shim.name for shim in FILES}
    published = re.findall(r'^\s+\w+: \["(\w+)", "(\w+)"', install, re.MULTILINE)
    assert len(published) >= 30
    for module, export in published:
        assert module in names, module
        source = next(shim for shim in FILES if shim.name == module).source
        exports = source[source.rindex("return {") :]
        assert re.search(rf"\b{export}\b", exports), (module, export)


def test_a_lazy_shim_is_compiled_with_what_it_needs_at_load() -> None:
    groups = load_groups(FILES)
    lazy = {shim.name for shim in FILES if load_kind(shim.source) != "eager"}
    assert set(groups) == lazy
    for name, group in groups.items():
        assert group[-1] == name and len(group) == len(set(group))
        assert set(group) <= lazy
    fetch = groups["fetch"]
    for need in ("webidl", "headers", "body", "request", "response", "abort", "utf8"):
        assert fetch.index(need) < fetch.index("fetch")
    assert fetch.index("headers") < fetch.index("request")
    assert groups["base64"] == ["webidl", "base64"]
    assert groups["idna"] == ["idna_data", "idna"]


def test_a_host_shim_is_not_in_the_bundle_but_kept_for_the_read_channel() -> None:
    """The IDNA tables would cost every isolate ~30% more to prepare: they stay in the host."""
    data = next(shim for shim in FILES if shim.name == "idna_data")
    assert load_kind(data.source) == "host"
    text = bundle()
    assert '"idna_data": null' in text and "bidiS1LTR: /" not in text
    hosted = shims.hosted_source("idna_data")
    assert hosted is not None and "bidiS1LTR: /" in hosted and len(hosted) > 200_000
    assert shims.hosted_source("webidl") is None  # a lazy shim rides along in the bundle


def test_the_idna_data_is_what_its_tool_makes_from_the_vendored_tr46() -> None:
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).parents[2] / "tools" / "build_idna_data.py"
    spec = importlib.util.spec_from_file_location("build_idna_data", tool)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = next(shim for shim in FILES if shim.name == "idna_data")
    assert module.build() == data.source


def test_shims_that_need_each_other_at_load_are_refused() -> None:
    cyclic = [
        shims.ShimFile("40", "t", "a", "// Load: lazy\n  const { x } = boot.b;\n"),
        shims.ShimFile("41", "t", "b", "// Load: lazy\n  const { y } = boot.a;\n"),
    ]
    with pytest.raises(RuntimeError, match="need each other"):
        load_groups(cyclic)


def test_primordial_names_are_collected_from_destructuring_and_members() -> None:
    source = "const { ArrayPrototypeJoin, MapPrototypeGet: get } = boot.primordials;\nP.StringPrototypeSlice(x)"
    assert primordial_names([source]) == ["ArrayPrototypeJoin", "MapPrototypeGet", "StringPrototypeSlice"]


def test_the_bundle_declares_nothing_at_the_top_level() -> None:
    text = bundle()
    assert text.startswith("(function () {")
    assert "//# sourceURL=jseval:runtime" in text
