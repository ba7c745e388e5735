"""A Redis primary killed under a load of answer batches, its replica promoted: with
``redis_ack_durability=replica`` no acknowledged answer is lost (ADR 0019); without it, the
answers the primary acknowledged but its replica never had are.

The replica is cut off from its primary for half a second before the kill (stopped, its
replication link dropped): on loopback a healthy replica is a few microseconds behind, so a
kill alone would lose too little to measure every run. A replica behind by half a second is
what a network hiccup or a slow disk makes of it in production, and the same code path."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from bench.loadgen.answer_load import Sitting, Tally, answer_until
from bench.loadgen.failover_drill import fail_over
from bench.loadgen.redis_cluster import ReplicatedCluster
from engine.app import create_app, open_services
from engine.auth.passwords import hash_password
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers
from tests.integration.conftest import PASSWORD, Api, School

STUDENTS = 12


@dataclass
class Outcome:
    sittings: list[Sitting]
    # sitting id -> the last seq Redis holds after the failover
    held: dict[str, int]
    tally: Tally
    # the sittings on the primary that died, and what they had acknowledged at its replica's
    # promotion
    on_victim: list[Sitting]
    acked_at_promotion: dict[str, int]
    promoted_after_s: float

    @property
    def acked(self) -> int:
        return sum(s.acked for s in self.sittings)

    @property
    def acked_lost(self) -> int:
        return sum(max(0, s.acked - self.held[s.id]) for s in self.sittings)


def _single_choice_items(n: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": f"Question {k}",
            "correct": "b",
            "options": [{"id": o, "text": o} for o in "abc"],
        }
        for k in range(n)
    ]


async def _students(svc: Services, school: School) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    names = [f"failover-{tag}-{n}" for n in range(STUDENTS)]
    password_hash = hash_password(PASSWORD)
    async with svc.pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
            "VALUES ($1, $2, $3, $3, 'student', $4)",
            [(uuid.uuid4(), school.org_id, name, password_hash) for name in names],
        )
    return names


def _settings(base: Settings, cluster: ReplicatedCluster, durability: str) -> Settings:
    return Settings(
        database_url=base.database_url,
        redis_url=cluster.url,
        redis_cluster=True,
        redis_namespace=f"f{uuid.uuid4().hex[:8]}",
        stream_shards=6,
        run_workers_in_api=False,
        jwt_secret=base.jwt_secret,
        redis_ack_durability=durability,  # type: ignore[arg-type]
        redis_ack_timeout_ms=200,
        # the load sends faster than a student; the write budget is not under test here
        answer_budget_events_per_min=0,
    )


async def _run(
    settings: Settings, school: School, cluster: ReplicatedCluster, durability: str
) -> Outcome:
    here = _settings(settings, cluster, durability)
    async with open_services(here) as svc, AsyncTestClient(app=create_app(here)) as client:
        api = Api(client)
        exam = await api.exam(school.teacher, items=_single_choice_items(4))
        sittings = []
        for student in await _students(svc, school):
            started = await api.start(student, exam["id"])
            paper = await api.paper(student, started["id"])
            items = [i["id"] for section in paper["sections"] for i in section["items"]]
            sittings.append(Sitting(started["id"], await api.headers(student), items))
        primary_of = {
            s.id: cluster.primary_of(svc.keyspace.for_sitting(uuid.UUID(s.id)).session)
            for s in sittings
        }
        # the URL's node (0) stays up; of the others, the one holding the most sittings dies
        victim = Counter(p for p in primary_of.values() if p != 0).most_common(1)[0][0]
        on_victim = [s for s in sittings if primary_of[s.id] == victim]

        tally, stop = Tally(), asyncio.Event()
        load = [
            asyncio.create_task(answer_until(client, s, tally, stop, pause_s=0.02))
            for s in sittings
        ]
        await asyncio.sleep(1.0)
        acked_at_promotion: dict[str, int] = {}
        drill = await fail_over(
            cluster,
            victim,
            behind_s=0.5,
            on_promotion=lambda: acked_at_promotion.update({s.id: s.acked for s in sittings}),
        )
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*load)

        held = {}
        for s in sittings:
            (last_seq,) = await svc.store.session_fields(uuid.UUID(s.id), "last_seq")
            held[s.id] = int(last_seq or 0)
        outcome = Outcome(
            sittings, held, tally, on_victim, acked_at_promotion, drill.promoted_after_s
        )
        if durability != "none":
            await _persisted_equals_acknowledged(svc, sittings)
        return outcome


async def _persisted_equals_acknowledged(svc: Services, sittings: list[Sitting]) -> None:
    """The persister drains the streams of the promoted replica too: PostgreSQL then holds
    every acknowledged seq of every sitting, once."""
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while await consumer.run_once() > 0:
            pass
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT sitting_id::text AS id, count(*) AS n, count(DISTINCT seq) AS distinct_n, "
            "max(seq) AS last FROM answer_log WHERE sitting_id = ANY($1::uuid[]) "
            "GROUP BY sitting_id",
            [uuid.UUID(s.id) for s in sittings],
        )
    logged = {r["id"]: (r["n"], r["distinct_n"], r["last"]) for r in rows}
    for s in sittings:
        n, distinct_n, last = logged[s.id]
        assert last >= s.acked and n == distinct_n == last, (s.id, s.acked, logged[s.id])


async def test_replica_durability_loses_no_acknowledged_answer_in_a_failover(
    settings: Settings, school: School, replicated_cluster: ReplicatedCluster
) -> None:
    outcome = await _run(settings, school, replicated_cluster, "replica")
    print(
        f"\nreplica: acked {outcome.acked} events, acked_lost {outcome.acked_lost}, "
        f"refusals {dict(outcome.tally.refusals)}, unavailable "
        f"{outcome.tally.unavailable_s():.2f} s, promoted after {outcome.promoted_after_s:.2f} s"
    )
    assert outcome.acked_lost == 0
    assert not any(s.went_back for s in outcome.sittings)
    # the writes the cut-off replica could not hold were refused, not acknowledged, with a
    # 503 that says when to send them again
    assert outcome.tally.refusals["write_not_durable"] > 0
    assert outcome.tally.unavailable_without_retry_after == 0
    # and the sittings of the dead primary go on on its promoted replica, once that has a
    # replica of its own again
    assert all(s.acked > outcome.acked_at_promotion[s.id] for s in outcome.on_victim)


async def test_without_durability_a_failover_loses_acknowledged_answers(
    settings: Settings, school: School, replicated_cluster: ReplicatedCluster
) -> None:
    outcome = await _run(settings, school, replicated_cluster, "none")
    print(
        f"\nnone: acked {outcome.acked} events, acked_lost {outcome.acked_lost}, "
        f"refusals {dict(outcome.tally.refusals)}, unavailable "
        f"{outcome.tally.unavailable_s():.2f} s, promoted after {outcome.promoted_after_s:.2f} s"
    )
    # the half second the primary acknowledged alone is gone with it
    assert outcome.acked_lost > 0
    # and each sitting that lost answers is stuck: the answer script stops at the gap
    assert any(s.went_back for s in outcome.on_victim)
    assert outcome.tally.refusals["write_not_durable"] == 0
