"""GET /healthz (the process is alive) and GET /readyz (sandboxes warm, taking evaluations).

Both stay open when API keys are set, and both answer from the event loop without touching a
sandbox, so they stay fast while every sandbox is busy (evaluations run off the loop).
`/readyz` is 503 while the service starts, drains or has stopped, so a load balancer stops
sending evaluations before they would be refused. `/healthz` is 503 only when the service failed
to start, the one state a restart fixes.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.dependencies import LifecycleDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Liveness",
    responses={
        200: {
            "description": "The process serves (`status`: `starting`, `ready`, `draining`, ...).",
            "content": {"application/json": {"example": {"status": "ready"}}},
        },
        503: {"description": "The service failed to start: restart the process."},
    },
)
async def healthz(lifecycle: LifecycleDep) -> JSONResponse:
    """200 while the process serves; 503 if the service failed to start."""
    phase = lifecycle.phase
    return JSONResponse({"status": phase}, status_code=503 if phase == "failed" else 200)


@router.get(
    "/readyz",
    summary="Readiness: sandboxes warm",
    responses={
        200: {
            "description": "Sandboxes are warm and evaluations are taken.",
            "content": {
                "application/json": {
                    "example": {
                        "status": "ready",
                        "warm_sandboxes": 4,
                        "workers_alive": 2,
                        "workers_total": 2,
                    }
                }
            },
        },
        503: {"description": "Starting, draining or stopped: send evaluations elsewhere."},
    },
)
async def readyz(lifecycle: LifecycleDep) -> JSONResponse:
    """200 once the service's sandboxes are warm and it takes evaluations; 503 otherwise."""
    phase = lifecycle.phase
    stats = lifecycle.service.stats()
    body = {
        "status": phase,
        "warm_sandboxes": stats.warm_sandboxes,
        "workers_alive": stats.workers_alive,
        "workers_total": stats.workers_total,
    }
    ready = phase == "ready" and lifecycle.service.ready()
    return JSONResponse(body, status_code=200 if ready else 503)
