"""The egress proxy (`JSEVAL_EGRESS_PROXY`): every outbound connection as a CONNECT tunnel.

Operators route outbound traffic through a proxy so that it leaves from known addresses (as
Appsmith Cloud does) or passes their own filter. Two rules keep the network policy whole:

- the policy is checked on the target first, by the transport, exactly as without a proxy;
  nothing refused ever reaches the proxy;
- the proxy is asked to `CONNECT` to the address the policy checked (`CONNECT 93.184.216.34:443`),
  never to the host name: a proxy that resolved the name itself could be answered differently
  (DNS rebinding) and would connect somewhere unchecked.

Plain http goes through a tunnel too, not as a forwarded `GET http://name/` (which would have
the proxy resolve the name). Inside the tunnel everything is as without a proxy: the `Host`
header, TLS SNI and certificate verification use the URL's host name, because the tunnel is a
network stream and httpcore runs HTTP and TLS over it as over a socket. The proxy sees the
target address and port and, for https, nothing else.

The proxy itself is operator configuration: it is not subject to the policy (it is usually on
a private address), and its name is resolved by the OS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore

__all__ = ["EgressProxy", "ProxyError", "parse_proxy"]

_MAX_RESPONSE_HEAD = 16 * 1024


class ProxyError(httpcore.ConnectError):
    """The proxy did not open the tunnel; `reason` is the public text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EgressProxy:
    """An HTTP proxy that accepts CONNECT, at `host:port`."""

    host: str
    port: int

    async def tunnel(
        self,
        backend: httpcore.AsyncNetworkBackend,
        address: str,
        port: int,
        timeout: float | None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        """A stream to `address:port` through the proxy (CONNECT to the address itself)."""
        try:
            stream = await backend.connect_tcp(
                self.host, self.port, timeout=timeout, socket_options=socket_options
            )
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            raise ProxyError("could not connect to the egress proxy") from exc
        try:
            target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
            await stream.write(
                f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode("ascii"), timeout
            )
            status = await _read_status(stream, timeout)
        except BaseException:
            await stream.aclose()
            raise
        if not 200 <= status < 300:
            await stream.aclose()
            raise ProxyError(f"the egress proxy refused the connection (HTTP {status})")
        return stream


async def _read_status(stream: httpcore.AsyncNetworkStream, timeout: float | None) -> int:
    """The status of the proxy's answer to CONNECT. Nothing may follow its head: the client
    speaks first in both HTTP and TLS, so bytes after it mean a confused or hostile proxy."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await stream.read(_MAX_RESPONSE_HEAD, timeout)
        if not chunk:
            raise ProxyError("the egress proxy closed the connection")
        head += chunk
        if len(head) > _MAX_RESPONSE_HEAD:
            raise ProxyError("the egress proxy sent an invalid response")
    end = head.index(b"\r\n\r\n") + 4
    parts = head.split(b"\r\n", 1)[0].split(b" ", 2)
    valid = len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") and parts[1].isdigit()
    if not valid or end != len(head):
        raise ProxyError("the egress proxy sent an invalid response")
    return int(parts[1])


def parse_proxy(text: str | None) -> EgressProxy | None:
    """`http://host:port` (JSEVAL_EGRESS_PROXY) -> EgressProxy; ValueError naming the variable
    if it is anything else (another scheme, credentials, a path)."""
    if text is None or not text.strip():
        return None
    problem = "expected http://host:port"
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"JSEVAL_EGRESS_PROXY: {problem}") from None
    if parts.scheme != "http" or not parts.hostname or port == 0:
        raise ValueError(f"JSEVAL_EGRESS_PROXY: {problem}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("JSEVAL_EGRESS_PROXY: credentials in the proxy URL are not supported")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"JSEVAL_EGRESS_PROXY: {problem} (no path)")
    return EgressProxy(parts.hostname, port if port is not None else 80)
