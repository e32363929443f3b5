"""The fetch attacks of issue #10 as soak entries: request bodies and what each answer must be.

`tests/security/test_fetch_egress.py` runs each attack on its own, with the checks its technique
needs; these are the same attacks in the form a soak mixes with good evaluations (issue #10 item
6: concurrency 8, every good evaluation must succeed, nothing answers `internal`). Each entry is
(name, body, check): `body` is a `POST /v1/evaluate` body for a service whose fetch may reach
`origin` (the red team's settings), `check(result)` is None when the answer is right, else why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[dict[str, Any]], str | None]


def _rejects_with(*reasons: str) -> Check:
    def check(result: dict[str, Any]) -> str | None:
        if not result["ok"]:
            return f"failed: {result['error']}"
        value = result["result"]
        if not isinstance(value, str) or not value.startswith(reasons):
            return f"unexpected outcome {value!r:.200}"
        return None

    return check


def _lists_every_call(result: dict[str, Any]) -> str | None:
    if not result["ok"]:
        return f"failed: {result['error']}"
    if len(result["fetches"]) <= 50:
        return f"only {len(result['fetches'])} fetch records for 3000 calls"
    return None


def soak_attacks(origin: str) -> list[tuple[str, dict[str, Any], Check]]:
    """The attacks, against the allowed origin at `origin` (`http://127.0.0.1:PORT`)."""
    port = origin.rsplit(":", 1)[1]
    function = {"mode": "function", "timeout_ms": 5000, "memory_mb": 32}
    return [
        (
            "gzip,gzip bomb (1 GB of empty deflate blocks)",
            {"code": f"return await fetch('{origin}/bomb?mb=1024').then(r => r.text(), e => e.message)", **function},
            _rejects_with("fetch failed: the response's nested content codings expand too far"),
        ),
        (
            "three content codings",
            {"code": f"return await fetch('{origin}/encoded?codings=gzip,gzip,gzip').then(r => r.text(), e => e.message)", **function},
            _rejects_with("fetch failed: the response has more than 2 content codings"),
        ),
        (
            "an SMTP dialogue posted to port 25",
            {"code": "return await fetch('http://127.0.0.1:25/', {method: 'POST', body: 'HELO x\\r\\nQUIT\\r\\n'}).then(r => r.status, e => e.message)", **function},
            _rejects_with("fetch failed: port 25 is refused by the network policy (a bad port)"),
        ),
        (
            "the allowed origin's address in IPv4-mapped form, at another port",
            {"code": f"return await fetch('http://[::ffff:127.0.0.1]:{int(port) + 1}/').then(r => r.status, e => e.message)", **function},
            _rejects_with("fetch failed: [::ffff:7f00:1] is an IPv4-mapped form of a loopback address"),
        ),
        (
            "3000 calls past the request cap",
            {"code": f"const u = '{origin}/status?code=204&' + 'x'.repeat(500); for (let i = 0; i < 3000; i++) fetch(u).catch(() => 0); return 1", **function},
            _lists_every_call,
        ),
    ]
