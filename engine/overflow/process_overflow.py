"""The overflow of one process: its utilisation publisher and its dispatcher, built from the
process's services, and the tasks each job kind makes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from engine.overflow import dead_letters
from engine.overflow.dispatcher import Dispatcher, Task
from engine.overflow.http_load import http_in_flight
from engine.overflow.jobs import ForensicsJob, GradeJob, Job, PersistJob
from engine.overflow.routing import Router
from engine.overflow.transport import SqsTransport, sqs_client
from engine.overflow.utilisation import (
    ClusterMonitor,
    CpuSampler,
    InFlight,
    LoopLag,
    Sampler,
    UtilisationPublisher,
    pool_busy,
)
from engine.ports import WithPool, WithRedis, WithSettings
from engine.redis_adapter import job_payloads
from engine.redis_adapter.streams import Entry, Persister
from engine.settings import Settings


class Needs(WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)

# runs one job here (engine/job_runner.py's execute, bound to the process's collaborators)
RunJob = Callable[[Job, Persister], Awaitable[object]]


def job_id(kind: str, stream: str, entry_id: bytes) -> str:
    """Derived from the stream entry, so a replayed entry makes the same job (and the Lambda's
    idempotency layer applies it once)."""
    return f"{kind}:{stream.replace('{', '').replace('}', '')}:{entry_id.decode()}"


def build_transport(settings: Settings, client: Any = None) -> SqsTransport | None:
    if not settings.overflow_queue_url:
        return None
    client = client or sqs_client(settings.overflow_endpoint_url, settings.aws_region)
    return SqsTransport(settings.overflow_queue_url, client)


class Overflow:
    def __init__(self, svc: Needs, run_job: RunJob, transport: SqsTransport | None = None) -> None:
        settings = svc.settings
        self.svc = svc
        self.run_job = run_job
        self.in_flight = InFlight(limit=settings.db_pool_max)
        self.sampler = Sampler(
            CpuSampler(),
            LoopLag(),
            lambda: max(
                self.in_flight.ratio(),
                pool_busy(svc.pool, settings.db_pool_max),
                http_in_flight.ratio(),
            ),
        )
        self.publisher = UtilisationPublisher(svc.redis, settings.redis_namespace, self.sampler)
        self.monitor = ClusterMonitor(svc.redis, settings.redis_namespace)
        self.dispatcher = Dispatcher(
            router=Router(settings.overflow_threshold, settings.overflow_hysteresis),
            monitor=self.monitor,
            transport=transport if transport is not None else build_transport(settings),
            namespace=settings.redis_namespace,
            shards=settings.stream_shards,
            in_flight=self.in_flight,
        )
        self.started = False
        self._stop = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.started:
            return
        self.publisher.start()
        settings = self.svc.settings
        if settings.overflow_dlq_url:
            client = sqs_client(settings.overflow_endpoint_url, settings.aws_region)
            self._watcher = asyncio.create_task(
                dead_letters.watch(client, settings.overflow_dlq_url, self._stop)
            )
        self.started = True

    async def close(self) -> None:
        if not self.started:
            return
        self._stop.set()
        await self.publisher.close()
        if self._watcher:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        self.started = False

    # ---- the tasks of each job kind

    def grade_tasks(self, stream: str, entries: list[Entry]) -> list[Task]:
        """One task for the whole read: graded in bulk here, or one message to SQS."""
        if not entries:
            return []
        ids = list(dict.fromkeys(uuid.UUID(fields[b"s"].decode()) for _, fields in entries))
        job = GradeJob(
            job_id=job_id("grade", stream, entries[0][0]) + f"+{len(entries)}",
            sitting_id=ids[0],
            also=ids[1:],
        )
        return [Task(job, partial(self.run_job, job, _no_persister))]

    def persist_task(self, persist: Persister, stream: str, entries: list[Entry]) -> Task:
        jid = job_id("persist", stream, entries[0][0])
        key = job_payloads.payload_key(self.svc.settings.redis_namespace, jid)
        redis = self.svc.redis
        return Task(
            PersistJob(job_id=jid, parcel=key, entries=len(entries)),
            run_local=partial(persist, entries),
            stage=partial(job_payloads.put, redis, key, entries),
            unstage=partial(job_payloads.drop, redis, key),
        )

    def forensics_task(self, exam_id: uuid.UUID) -> Task:
        job = ForensicsJob(job_id=f"forensics:{exam_id}:{uuid.uuid4().hex[:12]}", exam_id=exam_id)
        return Task(job, partial(self.run_job, job, _no_persister))

    async def run_forensics(self, exam_id: uuid.UUID) -> None:
        """Analyse an exam's answers for collusion and misfit, here or on the Lambda."""
        await self.dispatcher.dispatch([self.forensics_task(exam_id)])


async def _no_persister(entries: list[Entry]) -> None:
    raise RuntimeError("only persist jobs carry answer entries")
