"""The host half of `fetch` (JavaScript in `shims/fetch/`): sessions, transport, network policy."""

from __future__ import annotations

from evaluator.capabilities.fetch._session import FetchCapability, FetchSession

__all__ = ["FetchCapability", "FetchSession"]
