"""Runs every background consumer of one process until told to stop."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from engine.integrity.live import LiveAnalyser
from engine.integrity.scheduler import watch_closing
from engine.integrity.stream import copy_answers_to
from engine.job_runner import execute
from engine.overflow.process_overflow import Overflow
from engine.ports import (
    WithCpu,
    WithKeys,
    WithKeySpace,
    WithPipelined,
    WithPool,
    WithRedis,
    WithSettings,
    WithStore,
)
from engine.redis_adapter.stream_consumer import Handler, StreamConsumer
from engine.redis_adapter.streams import Entry
from engine.workers.backlog import run_backlog_sampler
from engine.workers.persister import AnswerPersister
from engine.workers.sweeper import run_sweeper


class Needs(
    WithCpu,
    WithPipelined,
    WithKeySpace,
    WithKeys,
    WithPool,
    WithRedis,
    WithSettings,
    WithStore,
    Protocol,
):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


PERSIST_GROUP = "persister"
GRADE_GROUP = "grader"
INTEGRITY_GROUP = "integrity"


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def make_grade_handler(overflow: Overflow, stream: str) -> Handler:
    # every job goes through the overflow dispatcher: here, or to SQS past the threshold
    async def handle(entries: list[Entry]) -> None:
        await overflow.dispatcher.dispatch(overflow.grade_tasks(stream, entries))

    return handle


def make_persist_handler(overflow: Overflow, persister: Handler, stream: str) -> Handler:
    async def handle(entries: list[Entry]) -> None:
        await overflow.dispatcher.dispatch([overflow.persist_task(persister, stream, entries)])

    return handle


@dataclass
class Workers:
    svc: Needs
    name: str = field(default_factory=consumer_name)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    running: list[StreamConsumer] = field(default_factory=list)
    persister: AnswerPersister = field(init=False)
    # shared with the API when both run in one process; else this process's own
    overflow: Overflow | None = None
    owns_overflow: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.persister = AnswerPersister(self.svc.pool)
        if self.overflow is None:
            self.overflow, self.owns_overflow = (
                Overflow(self.svc, run_job=partial(execute, self.svc)),
                True,
            )

    def consumers(self) -> list[StreamConsumer]:
        ks, redis = self.svc.keyspace, self.svc.redis
        assert self.overflow is not None
        found = []
        live = LiveAnalyser(self.svc)  # integrity: telemetry and answer copies (engine/integrity)
        for shard in range(ks.consumed_shards):
            answers, grading = ks.answer_stream(shard), ks.grading_stream(shard)
            found.append(
                StreamConsumer(
                    redis,
                    answers,
                    PERSIST_GROUP,
                    self.name,
                    make_persist_handler(self.overflow, self.persister, answers),
                    copy_on_ack=copy_answers_to(ks.telemetry_stream(shard)),
                    read_ahead=True,
                    trim_stored=True,
                )
            )
            found.append(
                StreamConsumer(
                    redis,
                    grading,
                    GRADE_GROUP,
                    self.name,
                    make_grade_handler(self.overflow, grading),
                    batch_size=50,
                )
            )
            found.append(
                StreamConsumer(
                    redis,
                    ks.telemetry_stream(shard),
                    INTEGRITY_GROUP,
                    self.name,
                    live,
                    batch_size=200,
                )
            )
        for consumer in found:
            consumer.claim_idle_ms = self.svc.settings.consumer_claim_idle_ms
            consumer.pipelined = self.svc.pipelined
        return found

    def start(self) -> None:
        if self.owns_overflow and self.overflow:
            self.overflow.start()
        self.running = self.consumers()
        for consumer in self.running:
            self.tasks.append(asyncio.create_task(consumer.run(self.stop)))
        self.tasks.append(
            asyncio.create_task(run_sweeper(self.svc.store, self.svc.keyspace, self.stop))
        )
        self.tasks.append(asyncio.create_task(watch_closing(self.svc, self.overflow, self.stop)))
        self.tasks.append(
            asyncio.create_task(
                run_backlog_sampler(self.svc.redis, self.svc.keyspace, GRADE_GROUP, self.stop)
            )
        )

    async def close(self) -> None:
        self.stop.set()
        # blocked XREADGROUP calls return within block_ms; cancel to be prompt
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        for consumer in self.running:
            await consumer.close()
        self.running.clear()
        if self.owns_overflow and self.overflow:
            await self.overflow.close()
