"""Runs every background consumer of one process until told to stop."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field

from engine.services import Services
from engine.sittings.grader import grade_sitting
from engine.workers.consumer import Entry, StreamConsumer
from engine.workers.persister import AnswerPersister
from engine.workers.sweeper import run_sweeper

PERSIST_GROUP = "persister"
GRADE_GROUP = "grader"


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def make_grade_handler(svc: Services):  # type: ignore[no-untyped-def]
    async def handle(entries: list[Entry]) -> None:
        for _, f in entries:
            await grade_sitting(svc.pool, svc.store, svc.keys, uuid.UUID(f[b"s"].decode()))
    return handle


@dataclass
class Workers:
    svc: Services
    name: str = field(default_factory=consumer_name)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    persister: AnswerPersister = field(init=False)

    def __post_init__(self) -> None:
        self.persister = AnswerPersister(self.svc.pool)

    def consumers(self) -> list[StreamConsumer]:
        ks, redis = self.svc.keyspace, self.svc.redis
        grade = make_grade_handler(self.svc)
        found = []
        for shard in range(ks.shards):
            found.append(StreamConsumer(redis, ks.answer_stream(shard), PERSIST_GROUP, self.name,
                                        self.persister))
            found.append(StreamConsumer(redis, ks.grading_stream(shard), GRADE_GROUP, self.name,
                                        grade, batch_size=50))
        return found

    def start(self) -> None:
        for consumer in self.consumers():
            self.tasks.append(asyncio.create_task(consumer.run(self.stop)))
        self.tasks.append(asyncio.create_task(
            run_sweeper(self.svc.store, self.svc.keyspace, self.stop)))

    async def close(self) -> None:
        self.stop.set()
        # blocked XREADGROUP calls return within block_ms; cancel to be prompt
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
