"""The app factory: ``create_app(settings)`` builds the one Litestar application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import redis.asyncio as aioredis
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.analytics.calibration_service import wait_for_calibrations
from engine.analytics.equating_service import wait_for_equatings
from engine.auth.policy import apply_policies
from engine.auth.revocation import RevocationMirror
from engine.auth.routes import jwt_auth_dependency
from engine.auth.tokens import build_jwt_auth
from engine.compression import COMPRESSION
from engine.cpu_jobs import CpuJobs
from engine.db import create_pool, migrate
from engine.http_metrics import request_metrics
from engine.job_runner import execute
from engine.metrics import paper_cache_collector
from engine.metrics_endpoint import prometheus_config
from engine.overflow.http_load import http_in_flight
from engine.overflow.process_overflow import Overflow
from engine.problems import EXCEPTION_HANDLERS, JsonBodyRequest
from engine.routes import ROUTE_HANDLERS, WORKER_ROUTE_HANDLERS
from engine.scheduling.warmup import Warmup
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers

log = logging.getLogger(__name__)


def connect_redis(url: str, *, cluster: bool = False, max_connections: int = 512) -> Any:
    """A client whose pool waits for a free connection instead of failing: a start burst can
    ask for more at once than the pool holds (blocking stream reads keep some busy). The hot
    path's calls take their own shared connections (engine/redis_adapter/connections.py), so
    after a Redis restart the pooled ones can sit dead until their next use: they reconnect
    and retry then."""
    if cluster:
        return RedisCluster.from_url(url, decode_responses=False, max_connections=max_connections)
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=10,
        health_check_interval=30,
        # a connection left from before a Redis restart fails on first use: reconnect and send
        # again rather than fail the request (a pool made apart gets no retries by default)
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    # from_pool: the client owns the pool, so closing the client closes its connections
    return aioredis.Redis.from_pool(pool)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """The pool and the Redis client, owned for the life of the process."""
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError(
            "UJIAN_DATABASE_URL and UJIAN_REDIS_URL are not set: start with `ujian serve`, "
            "which starts the embedded servers, or point them at your own"
        )
    if settings.migrate_on_start:
        await migrate(settings.database_url)
    pool = await create_pool(
        settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
    )
    redis = connect_redis(
        settings.redis_url,
        cluster=settings.redis_cluster,
        max_connections=settings.redis_max_connections,
    )
    svc = None
    try:
        svc = Services(
            settings=settings,
            pool=pool,
            redis=redis,
            cpu=CpuJobs(
                grading_workers=settings.cpu_grading_workers,
                analysis_workers=settings.cpu_analysis_workers,
            ),
        )
        await svc.cpu.warm()
        await svc.pipelined.durability.check_server(redis)
        # the workers consume every shard a sitting may be on (engine/redis_adapter/keys.py); a
        # Redis down at start (restarting, failing over) must not keep the service from
        # starting: this process then consumes its own count, and says so
        try:
            await svc.keyspace.record_shard_count(redis)
        except (RedisError, OSError) as err:
            log.warning(
                "shard counts not read from Redis (%s): consuming %d", err, svc.keyspace.shards
            )
        yield svc
    finally:
        if svc is not None:
            svc.cpu.close()
            await svc.pipelined.close()
        await redis.aclose()
        await pool.close()


def create_app(settings: Settings, *, worker: bool = False) -> Litestar:
    """The API; with ``worker=True`` the background consumers' process, which serves only its
    probes and metrics (so Kubernetes can check it like any other pod)."""
    jwt_auth = build_jwt_auth(settings, ephemeral=worker)
    run_workers = worker or settings.run_workers_in_api
    http_in_flight.limit = settings.max_in_flight_requests

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_services(settings) as svc:
            app.state.services = svc
            paper_cache_collector.caches.append(svc.papers)
            # publishes this process's utilisation; routes the workers' jobs (engine/overflow)
            overflow = app.state.overflow = Overflow(svc, run_job=partial(execute, svc))
            overflow.start()
            workers = Workers(svc, overflow=overflow) if run_workers else None
            if workers:
                workers.start()
            # API pods load announced papers before their session opens (engine/scheduling)
            warmup = None if worker else Warmup(svc)
            if warmup:
                warmup.start()
            # this process's copy of the revoked sign-ins (engine/auth/revocation.py)
            mirror = (
                None
                if worker
                else RevocationMirror(
                    svc.redis, settings.redis_namespace, settings.revocation_refresh_s
                )
            )
            if mirror:
                await mirror.start()
            try:
                yield
            finally:
                if mirror:
                    await mirror.close()
                if warmup:
                    await warmup.close()
                if workers:
                    await workers.close()
                await wait_for_calibrations()
                await wait_for_equatings()
                await overflow.close()
                paper_cache_collector.caches.remove(svc.papers)

    def provide_services(state: State) -> Services:
        services: Services = state.services
        return services

    app = Litestar(
        route_handlers=WORKER_ROUTE_HANDLERS if worker else ROUTE_HANDLERS,
        lifespan=[lifespan],
        dependencies={
            "svc": Provide(provide_services, sync_to_thread=False),
            "jwt_auth": jwt_auth_dependency(jwt_auth),
        },
        on_app_init=[jwt_auth.on_app_init],
        # one lean middleware: the Prometheus request metrics and the in-flight count
        middleware=[request_metrics(prometheus_config)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_class=JsonBodyRequest,
        request_max_body_size=settings.max_body_bytes,
        compression_config=COMPRESSION,
        openapi_config=OpenAPIConfig(
            title="Ujian",
            version="0.1.0",
            description="Online assessment engine for national-scale timed mock exams.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
    # every handler declares who may call it (engine/auth/policy.py); none → refused. Decided
    # here, once per handler, and checked by the authentication middleware: no per-request guard
    apply_policies(app)
    return app
