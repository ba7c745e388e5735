"""What the handler runs jobs with: one event loop, one small pool, the engine's Services.

Module-level in the handler, so a warm Lambda instance keeps its connections between
invocations. The envelope names the key space the sender used; Services are kept per key space.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import redis.asyncio as aioredis

from engine.db import create_pool
from engine.job_runner import JobOutcome, execute
from engine.overflow.jobs import Envelope
from engine.services import Services
from engine.settings import Settings
from engine.workers.persister import AnswerPersister


class LambdaServices:
    def __init__(self, settings: Settings) -> None:
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError("the overflow Lambda needs UJIAN_DATABASE_URL and UJIAN_REDIS_URL")
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._pool: Any = None
        self._redis: Any = None
        self._services: dict[tuple[str, int], tuple[Services, AnswerPersister]] = {}

    async def _services_for(self, namespace: str, shards: int) -> tuple[Services, AnswerPersister]:
        if self._pool is None:
            # one instance runs one batch at a time: a connection, and one spare
            self._pool = await create_pool(self.settings.database_url or "", min_size=1, max_size=2)
            self._redis = aioredis.Redis.from_url(
                self.settings.redis_url or "", decode_responses=False
            )
        found = self._services.get((namespace, shards))
        if found is None:
            settings = msgspec.structs.replace(
                self.settings, redis_namespace=namespace, stream_shards=shards
            )
            svc = Services(settings=settings, pool=self._pool, redis=self._redis)
            found = self._services[(namespace, shards)] = (svc, AnswerPersister(self._pool))
        return found

    async def _run(self, envelope: Envelope) -> JobOutcome:
        svc, persister = await self._services_for(envelope.namespace, envelope.shards)
        return await execute(svc, envelope.job, persister)

    def run(self, envelope: Envelope) -> JobOutcome:
        return self.loop.run_until_complete(self._run(envelope))
