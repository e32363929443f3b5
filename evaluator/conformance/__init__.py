"""The conformance cases: what jseval promises, as data, shipped with the package.

`cases/*.json` each hold a JSON list of `{"name", "request", "expect"}` (plus an optional
`"source"`: the Appsmith file or standard a case comes from). `request` is an EvaluationRequest
body; `expect` is a fragment of the EvaluationResult, matched by `matcher.mismatch`;
`"expect": {"$rejected": true}` means the request itself is invalid (`RequestRejected`
in-process, HTTP 422). The test suite runs every case in-process and over HTTP; they ship in
the package so that any deployment can be checked against them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from evaluator.conformance.matcher import mismatch

__all__ = ["Case", "load_cases", "mismatch"]


@dataclass(frozen=True, slots=True)
class Case:
    """One conformance case; `name` is `<file stem>/<case name>`."""

    name: str
    request: dict[str, Any]
    expect: dict[str, Any]
    source: str | None = None

    @property
    def rejected(self) -> bool:
        """Whether the request must be refused (422) rather than evaluated."""
        return self.expect == {"$rejected": True}


def load_cases(directory: str | os.PathLike[str] | None = None) -> list[Case]:
    """Every case, files in name order, cases in file order: the packaged ones, or those of the
    `*.json` files in `directory` (same format). Raises ValueError for a malformed file."""
    cases: list[Case] = []
    folder: Traversable = (
        resources.files(__package__).joinpath("cases") if directory is None else Path(directory)
    )
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        stem = entry.name[: -len(".json")]
        try:
            raws = json.loads(entry.read_text(encoding="utf-8"))
            for raw in raws:
                cases.append(
                    Case(f"{stem}/{raw['name']}", raw["request"], raw["expect"], raw.get("source"))
                )
        except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
            raise ValueError(
                f"{entry.name}: not a list of {{name, request, expect}} ({type(exc).__name__})"
            ) from None
    return cases
