"""Fetch pinned npm packages from the registry, verify them, and write the vendored files.

    python tools/vendor_npm.py                    # every manifest (shims/*/vendor, api/docs_ui/*)
    python tools/vendor_npm.py shims/compartment/vendor/manifest.json
    python tools/vendor_npm.py --check            # verify the committed files, fetch nothing

A manifest (`shims/<unit>/vendor/manifest.json`) pins each npm package a unit ships: its exact
version, the tarball's `sha512` integrity (`dist.integrity` in the registry's metadata for that
version), the files taken from the tarball and the `sha256` of each file written. Fetching
downloads each tarball, refuses it unless its sha512 matches the pin, extracts only the listed
files and writes them beside the manifest, recording their sha256.

Why the built files are committed instead of fetched at build time: CI and `pip install` must not
need the npm registry, and a reviewer sees exactly what runs in the sandbox in the diff of a
version bump. The tests check every committed file against its manifest checksum, so an edit by
hand cannot go unnoticed.

To move to another version: change `version` and `integrity` in the manifest, run this script,
commit. Every unit's manifest has this format: the built-in libraries' (`shims/libraries/`) and
compartment mode's SES (`shims/compartment/`).

Standard library only, so it runs anywhere Python does.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = "https://registry.npmjs.org"
_MAX_TARBALL_BYTES = 64 * 1024 * 1024


def manifests() -> list[Path]:
    """Every vendored unit's manifest, in a stable order: the shims' units, and /docs' assets."""
    return sorted(
        [
            *(ROOT / "shims").glob("*/vendor/manifest.json"),
            *(ROOT / "api" / "docs_ui").glob("*/manifest.json"),
        ]
    )


def tarball_url(name: str, version: str) -> str:
    """The registry's tarball address for `name@version` (unscoped packages)."""
    return f"{REGISTRY}/{name}/-/{name}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise unless `data` matches the Subresource-Integrity string `sha512-<base64>`."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"only sha512 integrity is accepted, not {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise SystemExit(f"integrity mismatch: expected sha512-{expected}, got sha512-{actual}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str) -> bytes:
    # A fixed https address of the registry, never one taken from input.
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read(_MAX_TARBALL_BYTES + 1)
    if len(data) > _MAX_TARBALL_BYTES:
        raise SystemExit(f"{url}: tarball larger than {_MAX_TARBALL_BYTES} bytes")
    return data


def extract(tarball: bytes, member: str) -> bytes:
    """One regular file of a gzipped tarball (never written to disk as the archive names it)."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        info = archive.getmember(member)
        if not info.isfile():
            raise SystemExit(f"{member} is not a regular file in the tarball")
        handle = archive.extractfile(info)
        assert handle is not None
        return handle.read()


def vendor(path: Path) -> None:
    """Download, verify and write every file a manifest lists; record their sha256."""
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    folder = path.parent
    for package in manifest["packages"]:
        name, version = package["name"], package["version"]
        tarball = fetch(tarball_url(name, version))
        check_integrity(tarball, package["integrity"])
        for entry in package["files"]:
            data = extract(tarball, entry["from"])
            target = folder / entry["to"]
            target.write_bytes(data)
            entry["sha256"] = sha256_hex(data)
            print(f"{name}@{version}: {entry['from']} -> {target.relative_to(ROOT)}")
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def check(path: Path) -> list[str]:
    """The problems with a manifest's committed files: missing, or not what it records."""
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for package in manifest["packages"]:
        for entry in package["files"]:
            target = path.parent / entry["to"]
            where = target.relative_to(ROOT)
            if not target.is_file():
                problems.append(f"{where}: missing")
            elif sha256_hex(target.read_bytes()) != entry.get("sha256"):
                problems.append(f"{where}: sha256 differs from the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("manifest", nargs="*", type=Path, help="default: every unit's manifest")
    parser.add_argument("--check", action="store_true", help="verify, do not fetch")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.manifest] or manifests()
    if args.check:
        problems = [problem for path in paths for problem in check(path)]
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in paths:
        vendor(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
