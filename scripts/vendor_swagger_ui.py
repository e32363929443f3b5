"""Vendor Swagger UI (npm `swagger-ui-dist`) into api/docs_ui/swagger-ui/, pinned and checked.

`/docs` must work without internet (SPEC section 11), so the service serves Swagger UI's files
itself. They come from the npm registry through `npm pack` (the ordinary client), at the version
pinned below; the tarball's sha512 must equal the pinned integrity before anything is extracted.
Only the files `/docs` loads are kept (the bundle, its stylesheet) with their licence texts;
`VENDOR.json` records where they came from. CI never runs this script: the files are committed.

Why not the PyPI package `swagger-ui-bundle`: its last release (1.1.0, 2023) carries Swagger UI
4.15.5, which cannot render OpenAPI 3.1, the version FastAPI writes.

Run from the repository root after changing VERSION/INTEGRITY:

    python scripts/vendor_swagger_ui.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "swagger-ui-dist"
VERSION = "5.35.0"
INTEGRITY = (
    "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ=="
)
# What /docs loads, and the licence texts that must travel with it.
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "LICENSE",
    "NOTICE",
    "swagger-ui-bundle.js.LICENSE.txt",
)
TARGET = Path(__file__).resolve().parent.parent / "api" / "docs_ui" / "swagger-ui"


def integrity_of(data: bytes) -> str:
    """npm's Subresource-Integrity string of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", scratch],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(scratch) / f"{PACKAGE}-{VERSION}.tgz"
        data = tarball.read_bytes()
        actual = integrity_of(data)
        if actual != INTEGRITY:
            print(f"integrity mismatch for {PACKAGE}@{VERSION}: {actual}", file=sys.stderr)
            return 1
        TARGET.mkdir(parents=True, exist_ok=True)
        checksums: dict[str, str] = {}
        with tarfile.open(tarball) as archive:
            for name in FILES:
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    print(f"{name} missing from the tarball", file=sys.stderr)
                    return 1
                content = member.read()
                (TARGET / name).write_bytes(content)
                checksums[name] = "sha256-" + hashlib.sha256(content).hexdigest()
    record = {
        "package": PACKAGE,
        "version": VERSION,
        "integrity": INTEGRITY,
        "files": checksums,
    }
    (TARGET / "VENDOR.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{VERSION} into {TARGET.relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
