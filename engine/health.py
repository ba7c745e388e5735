"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Protocol

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from engine import db
from engine.auth.policy import PUBLIC
from engine.ports import WithPool, WithRedis
from engine.redis_adapter import connections


class Needs(WithPool, WithRedis, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


class Health(msgspec.Struct, frozen=True):
    status: str
    checks: dict[str, str] = {}


@get("/health/live", tags=["operations"], opt=PUBLIC, summary="The process is up")
async def live() -> Health:
    return Health(status="ok")


@get(
    "/health/ready",
    tags=["operations"],
    opt=PUBLIC,
    summary="Ready when Redis answers (the paper and answer paths need nothing else)",
)
async def ready(state: State) -> Response[Health]:
    # before the lifespan has opened the pools there is nothing to check: not ready yet
    svc: Needs | None = state.get("services")
    if svc is None:
        return Response(Health(status="starting"), status_code=503)
    checks: dict[str, str] = {}
    try:
        await db.ping(svc.pool, timeout_s=2)
        checks["postgres"] = "ok"
    except Exception as err:
        checks["postgres"] = f"error: {type(err).__name__}"
    try:
        await connections.ping(svc.redis)
        checks["redis"] = "ok"
    except Exception as err:
        checks["redis"] = f"error: {type(err).__name__}"
    # A PostgreSQL failover must not take every pod out of the load balancer: answers keep
    # flowing into Redis and the persister catches up. Its state is still reported.
    healthy = checks["redis"] == "ok"
    status = "ok" if all(v == "ok" for v in checks.values()) else "degraded"
    return Response(
        Health(status=status if healthy else "unavailable", checks=checks),
        status_code=200 if healthy else 503,
    )
