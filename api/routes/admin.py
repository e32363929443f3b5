"""The admin API: datasources (SPEC section 8), guarded by api/middleware/admin_auth.py.

    GET    /v1/admin/datasources          {"datasources": [Datasource, ...]}, by name
    GET    /v1/admin/datasources/{name}   Datasource | 404
    PUT    /v1/admin/datasources/{name}   create (201) or replace (200): Datasource
    DELETE /v1/admin/datasources/{name}   204 | 404

Every answer shows secrets as `{"secret": true}`; a PUT may write `{"secret": true}` back to
keep a stored one. The routes are plain `def`s: FastAPI runs them in its thread pool, where
the blocking database calls belong. Each change is logged with its action and the
datasource's name (an audit line), never its configuration.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from api.dependencies import DatasourcesDep
from evaluator.datasources import NAME_PATTERN, Datasource

__all__ = ["DatasourceList", "router"]

logger = logging.getLogger("jseval.admin")

router = APIRouter(prefix="/v1/admin", tags=["admin"])

NamePath = Annotated[
    str,
    Path(
        pattern=NAME_PATTERN,
        description="Identifier-like: a letter or _, then letters, digits or _ (at most 64).",
        examples=["payments"],
    ),
]

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or wrong admin key"},
    403: {"description": "The admin API is disabled (no JSEVAL_ADMIN_KEYS)"},
    503: {"description": "The data store cannot answer (unreachable, wrong master key)"},
}


class DatasourceList(BaseModel):
    datasources: list[Datasource] = Field(description="Every datasource, by name.")


@router.get(
    "/datasources",
    summary="List datasources (secrets shown as {\"secret\": true})",
    responses=_ERRORS,
)
def list_datasources(store: DatasourcesDep) -> DatasourceList:
    return DatasourceList(datasources=store.list_all())


@router.get(
    "/datasources/{name}",
    summary="Read one datasource (secrets shown as {\"secret\": true})",
    responses={**_ERRORS, 404: {"description": "No datasource of that name"}},
)
def get_datasource(name: NamePath, store: DatasourcesDep) -> Datasource:
    return store.get(name)


@router.put(
    "/datasources/{name}",
    summary="Create or replace a datasource",
    description=(
        'Any header, query or auth value may be given as {"secret": "..."}: it is encrypted '
        "(AES-256-GCM) before it is stored and never shown again. "
        '{"secret": true} keeps the value already stored at that field. Secrets need '
        "JSEVAL_MASTER_KEY on the server (422 otherwise)."
    ),
    responses={**_ERRORS, 201: {"description": "Created", "model": Datasource}},
)
def put_datasource(
    name: NamePath, datasource: Datasource, store: DatasourcesDep, response: Response
) -> Datasource:
    saved, created = store.put(name, datasource)
    response.status_code = 201 if created else 200
    logger.info("datasource %s name=%s", "created" if created else "replaced", name)
    return saved


@router.delete(
    "/datasources/{name}",
    status_code=204,
    summary="Remove a datasource",
    responses={**_ERRORS, 404: {"description": "No datasource of that name"}},
)
def delete_datasource(name: NamePath, store: DatasourcesDep) -> Response:
    store.remove(name)
    logger.info("datasource removed name=%s", name)
    return Response(status_code=204)
