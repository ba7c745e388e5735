"""Operations endpoints of the overflow: utilisation and route, and the dead-letter queue."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, put
from litestar.datastructures import State
from litestar.params import JSONBody

from engine.auth.policy import allow
from engine.deps import Svc
from engine.kernel.errors import forbidden
from engine.kernel.principal import Principal
from engine.overflow.dead_letters import DeadLetters, inspect
from engine.overflow.process_overflow import Overflow
from engine.overflow.routing import Route
from engine.overflow.transport import sqs_client
from engine.overflow.utilisation import ClusterMonitor, force_utilisation, release_utilisation


class OverflowStatus(msgspec.Struct, frozen=True, kw_only=True):
    process_utilisation: float
    cluster_utilisation: float
    live_processes: int
    threshold: float
    release_below: float
    route: Route  # the router's decision for the next batch
    queue_configured: bool
    share_remote: float  # of the last 1,000 jobs this process dispatched
    # cluster_utilisation is an operator's override (PUT /v1/admin/overflow/forced) while true
    forced: bool = False


class ForcedUtilisation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Route as if the cluster ran at this utilisation, for a while: a drill of the overflow
    (0.95 sends every job away), or the overflow held off (0.0) while a queue is mended."""

    utilisation: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    # it lapses by itself, so a forgotten drill cannot outlive the day
    minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 60


def _require_admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise forbidden("overflow operations are for organisers (admin)")


class OverflowController(Controller):
    path = "/v1/admin/overflow"
    tags = ["operations"]
    opt = allow("admin")  # who may call: engine/auth/policy.py

    @get("/", summary="Utilisation, the overflow route and the share of jobs sent away")
    async def status(
        self, svc: Svc, state: State, request: Request[Principal, Any, Any]
    ) -> OverflowStatus:
        _require_admin(request.user)
        return await _status(svc, state)

    @put("/forced", summary="Route every process as if the cluster ran at a set utilisation")
    async def force(
        self,
        svc: Svc,
        state: State,
        request: Request[Principal, Any, Any],
        data: JSONBody[ForcedUtilisation],
    ) -> OverflowStatus:
        _require_admin(request.user)
        namespace = svc.settings.redis_namespace
        await force_utilisation(svc.redis, namespace, data.utilisation, data.minutes * 60)
        return await _status(svc, state)

    @delete("/forced", summary="Route on the measured utilisation again", status_code=200)
    async def release(
        self, svc: Svc, state: State, request: Request[Principal, Any, Any]
    ) -> OverflowStatus:
        _require_admin(request.user)
        await release_utilisation(svc.redis, svc.settings.redis_namespace)
        return await _status(svc, state)

    @get("/dead-letters", summary="Poison jobs parked in the dead-letter queue")
    async def dead_letters(self, svc: Svc, request: Request[Principal, Any, Any]) -> DeadLetters:
        _require_admin(request.user)
        settings = svc.settings
        if not settings.overflow_dlq_url:
            return DeadLetters(configured=False)
        client = sqs_client(settings.overflow_endpoint_url, settings.aws_region)
        return await asyncio.to_thread(inspect, client, settings.overflow_dlq_url)


async def _status(svc: Svc, state: State) -> OverflowStatus:
    overflow: Overflow | None = getattr(state, "overflow", None)
    cluster = await ClusterMonitor(svc.redis, svc.settings.redis_namespace).read()
    if overflow:
        await overflow.monitor.read()  # the route below on this reading, not a second-old one
    return OverflowStatus(
        process_utilisation=overflow.publisher.last if overflow else 0.0,
        cluster_utilisation=cluster.mean,
        live_processes=cluster.processes,
        threshold=svc.settings.overflow_threshold,
        release_below=svc.settings.overflow_threshold - svc.settings.overflow_hysteresis,
        # what the next batch would do: the same decision the dispatcher takes
        route=await overflow.dispatcher.route() if overflow else "local",
        queue_configured=bool(svc.settings.overflow_queue_url),
        share_remote=overflow.dispatcher.share.value if overflow else 0.0,
        forced=cluster.forced,
    )
