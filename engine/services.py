"""The long-lived collaborators a request or a worker needs, built once per process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from engine.cpu_jobs import CpuJobs
from engine.exams.grading_spec import load_grading_spec
from engine.exams.loaders import load_paper
from engine.kernel.sql import Pool
from engine.redis_adapter.connections import PipelinedRedis, RedisClient
from engine.redis_adapter.durability import Durability
from engine.redis_adapter.keys import KeySpace, SittingKeys
from engine.settings import Settings
from engine.sittings.grader import KeysCache
from engine.sittings.store import AnswerBudget, SittingStore
from question_bank.cache import PaperCache


@dataclass
class Services:
    settings: Settings
    pool: Pool
    # a RedisClient (redis_adapter/connections.py); Any here because Litestar builds a msgspec
    # model of a handler's dependencies, and msgspec refuses a field typed as a union of two classes
    redis: Any
    keyspace: KeySpace = field(init=False)
    # the scripts and reads every answer, timer and telemetry request makes
    pipelined: PipelinedRedis = field(init=False)
    store: SittingStore = field(init=False)
    papers: PaperCache = field(init=False)
    keys: KeysCache = field(init=False)
    # where CPU-heavy jobs run; in the caller unless a process opens its pools (engine/app.py):
    # the overflow Lambda runs one job at a time on a loop of its own and keeps it so
    cpu: CpuJobs = field(default_factory=CpuJobs.inline)
    # sitting id -> (exam version id, student id); never changes, so a bounded memo saves a
    # round trip and lets the answer path check ownership before it looks at the items
    sitting_owner: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keyspace = KeySpace(self.settings.redis_namespace, self.settings.stream_shards)
        s = self.settings
        self.pipelined = PipelinedRedis(
            self.redis,
            Durability(s.redis_ack_durability, s.redis_ack_replicas, s.redis_ack_timeout_ms),
        )
        budget = AnswerBudget(
            s.answer_budget_events_per_min,
            s.answer_budget_events_burst,
            s.answer_budget_bytes_per_min,
            s.answer_budget_bytes_burst,
        )
        self.store = SittingStore(
            self.redis, self.keyspace, self.pipelined, budget, s.latest_answer_format
        )
        # typed here, so the type checker holds the client to the caches' BlobStore
        redis: RedisClient = self.redis
        self.papers = PaperCache(
            redis,
            self.settings.redis_namespace,
            lambda v: load_paper(self.pool, v, self.papers.fragments),
        )
        self.keys = KeysCache(lambda v: load_grading_spec(self.pool, v))

    def keys_for(self, sitting_id: str) -> SittingKeys:
        return self.keyspace.for_sitting(uuid.UUID(sitting_id))

    def remember_sitting_owner(
        self, sitting_id: str, exam_version_id: str, student_id: str
    ) -> None:
        if len(self.sitting_owner) >= 200_000:
            self.sitting_owner.clear()  # cheap to refill, one HMGET per sitting
        self.sitting_owner[sitting_id] = (exam_version_id, student_id)
