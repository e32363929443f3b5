"""The admin API for installed libraries (SPEC section 9), guarded by api/middleware/admin_auth.py.

    GET    /v1/admin/libraries          {"libraries": [LibraryRecord, ...]}, by name
    GET    /v1/admin/libraries/{name}   LibraryRecord | 404
    PUT    /v1/admin/libraries/{name}   install (201) or replace (200): LibraryRecord | 422
    DELETE /v1/admin/libraries/{name}   204 | 404

A PUT body is the bundle itself, or JSON:
- `Content-Type: text/javascript` (or `application/javascript`, `text/plain`): the UTF-8 source
  as it is, the version in `?version=` (so `curl --data-binary @bundle.js` installs a file);
- `Content-Type: application/json`: `{"source": "...", "version": "1.2.3"}` (`version`
  optional, or in `?version=`; both and different is a 422), for programs and the /docs page.

Installing runs the check (`check_library`) where evaluations run, a worker process with the
default service, never in this process; a refused bundle is a 422 whose message says why. The
library is then stored and pushed to the workers before the answer is sent, so the next
evaluation on this replica can use it (other replicas: within JSEVAL_LIBRARY_REFRESH_MS).
Each change is logged with its action, name, version and hash (an audit line), never the source.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.dependencies import LibrarySyncDep, ServiceDep
from evaluator import NotFound, RequestRejected
from evaluator.libraries import (
    LIBRARY_NAME_PATTERN,
    LIBRARY_VERSION_PATTERN,
    MAX_LIBRARY_BYTES,
    StoredLibrary,
    validate_library_input,
)

__all__ = ["LibraryList", "LibraryRecord", "LibraryUpload", "router"]

logger = logging.getLogger("jseval.admin")

router = APIRouter(prefix="/v1/admin", tags=["admin"])

JAVASCRIPT_TYPES = frozenset(
    {"text/javascript", "application/javascript", "application/x-javascript", "text/plain"}
)

EXAMPLE_SOURCE = (
    "var Greeter = (function () {\n"
    "  return { VERSION: '1.0.0', hello: function (name) { return 'hello ' + name; } };\n"
    "})();\n"
)

NamePath = Annotated[
    str,
    Path(
        pattern=LIBRARY_NAME_PATTERN,
        description="npm-like: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or "
        "digit; not a built-in library's name (lodash, moment, forge).",
        examples=["greeter"],
    ),
]
VersionQuery = Annotated[
    str | None,
    Query(
        pattern=LIBRARY_VERSION_PATTERN,
        description="The version to record (default: the bundle's own `VERSION`/`version` "
        "string, else `unknown`); with a JSON body, its `version` field may give it instead.",
    ),
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong admin key"},
    403: {"description": "The admin API is disabled (no JSEVAL_ADMIN_KEYS)"},
    503: {"description": "The data store cannot answer, or the service is starting or "
          "shutting down"},
}


class LibraryRecord(BaseModel):
    """An installed library as stored (the source is not shown)."""

    name: str = Field(description="The library's name (the path's).")
    version: str = Field(description="The version given, else the bundle's own, else `unknown`.")
    globals: list[str] = Field(
        description="The globals the bundle defines: each loads the library on first read."
    )
    sha256: str = Field(
        description="SHA-256 of the stored source's UTF-8 bytes, in hex: what `sha256sum "
        "bundle.js` prints for the file that was installed."
    )
    size_bytes: int = Field(description="The source's size in bytes (UTF-8).")
    installed_at: datetime = Field(description="When this version was installed (UTC).")

    @classmethod
    def of(cls, stored: StoredLibrary) -> LibraryRecord:
        return cls.model_validate(stored.info())


class LibraryList(BaseModel):
    libraries: list[LibraryRecord] = Field(description="Every installed library, by name.")


class LibraryUpload(BaseModel):
    """The JSON form of a PUT body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"source": EXAMPLE_SOURCE, "version": "1.0.0"}]},
    )

    source: str = Field(
        description=f"The bundle: a UMD or IIFE build that defines globals when run as a "
        f"script (at most {MAX_LIBRARY_BYTES} bytes of UTF-8)."
    )
    version: str | None = Field(
        None,
        pattern=LIBRARY_VERSION_PATTERN,
        description="The version to record (default: the bundle's own `VERSION`/`version` "
        "string, else `unknown`).",
    )


_PUT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The bundle as JavaScript text (version in `?version=`), or JSON.",
        "content": {
            "text/javascript": {
                "schema": {"type": "string"},
                "examples": {"iife": {"summary": "An IIFE bundle", "value": EXAMPLE_SOURCE}},
            },
            "application/json": {
                "schema": LibraryUpload.model_json_schema(),
                "examples": {
                    "json": {
                        "summary": "The source and a version, as JSON",
                        "value": {"source": EXAMPLE_SOURCE, "version": "1.0.0"},
                    }
                },
            },
        },
    }
}


def _rejected(msg: str, kind: str, loc: list[str | int] | None = None) -> RequestRejected:
    return RequestRejected([{"type": kind, "loc": loc or ["body"], "msg": msg}])


async def _upload(request: Request, query_version: str | None) -> tuple[str, str | None]:
    """(source, version) from a PUT body of either form."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            upload = LibraryUpload.model_validate_json(body)
        except ValidationError as exc:
            raise RequestRejected(
                [
                    {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)
                ]
            ) from None
        if None not in (query_version, upload.version) and query_version != upload.version:
            raise _rejected(
                "the query's version and the body's differ: give one",
                "version_conflict", ["query", "version"],
            )
        return upload.source, upload.version or query_version
    if media_type in JAVASCRIPT_TYPES:
        try:
            return body.decode("utf-8"), query_version
        except UnicodeDecodeError:
            raise _rejected("the body is not UTF-8 text", "not_utf8") from None
    raise RequestRejected(
        [
            {
                "type": "unsupported_media_type",
                "loc": ["header", "content-type"],
                "msg": "send the bundle as text/javascript, or JSON ({\"source\": ...}) as "
                "application/json",
            }
        ],
        status_code=415,
    )


@router.get(
    "/libraries",
    summary="List installed libraries (the built-in ones are listed by /v1/info)",
    responses=_ERRORS,
)
def list_libraries(sync: LibrarySyncDep) -> LibraryList:
    return LibraryList(libraries=[LibraryRecord.of(item) for item in sync.store.list_all()])


@router.get(
    "/libraries/{name}",
    summary="Read one installed library's record",
    responses={**_ERRORS, 404: {"description": "No installed library of that name"}},
)
def get_library(name: NamePath, sync: LibrarySyncDep) -> LibraryRecord:
    return LibraryRecord.of(sync.store.get(name))


@router.put(
    "/libraries/{name}",
    summary="Install or replace a library (a UMD/IIFE bundle)",
    description=(
        "The bundle runs once in a fresh sandbox under the default limits (as Appsmith's "
        "\"install library\" runs it: a browser script, `self` and `window` the global "
        "object), and the globals it defines are recorded. Refused with 422 and the reason: a "
        "bundle that does not parse, throws, runs past the time or memory budget, defines no "
        "global, defines or replaces a name of the sandbox or of another library, or is over "
        f"{MAX_LIBRARY_BYTES} bytes. Evaluations load it when they first read one of its "
        "globals."
    ),
    openapi_extra=_PUT_BODY,
    responses={
        **_ERRORS,
        201: {"description": "Installed", "model": LibraryRecord},
        415: {"description": "The body is neither JavaScript nor JSON"},
        422: {"description": "The bundle was refused (the message says why), or the request "
              "is invalid"},
    },
)
async def put_library(
    name: NamePath,
    request: Request,
    response: Response,
    sync: LibrarySyncDep,
    service: ServiceDep,
    version: VersionQuery = None,
) -> LibraryRecord:
    source, version = await _upload(request, version)
    validate_library_input(name, source, version)  # the cheap refusals, before any sandbox
    await sync.refresh()  # what other replicas installed counts for the check
    try:
        library = await service.check_library(name, source, version)
    except RequestRejected:
        logger.info("library refused name=%s", name)
        raise
    created = await run_in_threadpool(sync.store.save, library)
    await sync.refresh()  # the workers have it before the answer leaves
    stored = await run_in_threadpool(sync.store.get, name)
    response.status_code = 201 if created else 200
    logger.info(
        "library %s name=%s version=%s sha256=%s", "installed" if created else "replaced",
        name, stored.version, stored.sha256,
    )
    return LibraryRecord.of(stored)


@router.delete(
    "/libraries/{name}",
    status_code=204,
    summary="Remove an installed library",
    responses={**_ERRORS, 404: {"description": "No installed library of that name"}},
)
async def delete_library(name: NamePath, sync: LibrarySyncDep) -> Response:
    if not await run_in_threadpool(sync.store.remove, name):
        raise NotFound("library", name)
    await sync.refresh()
    logger.info("library removed name=%s", name)
    return Response(status_code=204)
