"""Datasources (SPEC section 8): operator-configured REST APIs whose credentials jseval
appends to queries and never shows.

    store = DatasourceStore(DataStore.open(settings))
    store.put("payments", Datasource(base_url="https://api.example.com/v1",
                                     headers={"X-Api-Key": {"secret": "..."}}))
    store.get("payments")            # secrets as {"secret": true}
    resolved = store.resolve("payments")       # API process only: secrets decrypted
    request = build_outbound_request(resolved, QuerySpec(path="/users/1"), params={})

The pieces: `models.py` (the validated shape), `_records.py` (sealing secrets into a stored
record and opening them), `_store.py` (the database), `_outbound.py` (the request a query
sends, with the redirect rule). docs/SECURITY.md, "Datasource secrets", is the design.
"""

from __future__ import annotations

from evaluator.datasources._outbound import (
    OutboundRequest,
    QueryRefused,
    QuerySpec,
    build_outbound_request,
    follow_redirect,
)
from evaluator.datasources._records import ResolvedDatasource, ResolvedValue
from evaluator.datasources._store import DatasourceStore
from evaluator.datasources.models import (
    DATASOURCE_EXAMPLE,
    NAME_PATTERN,
    BasicAuth,
    BearerAuth,
    Datasource,
    SecretValue,
)

__all__ = [
    "DATASOURCE_EXAMPLE",
    "NAME_PATTERN",
    "BasicAuth",
    "BearerAuth",
    "Datasource",
    "DatasourceStore",
    "OutboundRequest",
    "QueryRefused",
    "QuerySpec",
    "ResolvedDatasource",
    "ResolvedValue",
    "SecretValue",
    "build_outbound_request",
    "follow_redirect",
]
