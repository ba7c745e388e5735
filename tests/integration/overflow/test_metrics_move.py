"""The engine's metrics move with the work, read from ``/metrics`` of the real app: answers
acknowledged, rows persisted, persister lag, stream lengths, grading queue depth, sittings
graded and the overflow share."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from engine.overflow.metrics import SHARE_REMOTE
from engine.redis_adapter.backlog import sample
from engine.settings import Settings
from engine.workers.backlog import publish
from engine.workers.runner import GRADE_GROUP
from overflow_lambda.local.stack import LocalOverflow
from tests.integration.conftest import Api, School
from tests.integration.overflow.conftest import (
    Cluster,
    _right_by_stem,
    cluster,
    drain,
    eventually,
    items_in_order,
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(api: Api) -> Samples:
    reply = await api.client.get("/metrics")
    assert reply.status_code == 200, reply.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


ITEMS = 4  # the integration exam's items (tests/integration/conftest.py)


async def answered_and_submitted(api: Api, teacher: str, students: list[str]) -> list[str]:
    """A sitting per student, every item answered in one batch of consecutive seqs, submitted."""
    exam = await api.exam(teacher, instant=False)
    ids = []
    for student in students:
        sitting = await api.start(student, exam["id"])
        items = items_in_order(await api.paper(student, sitting["id"]))
        assert len(items) == ITEMS
        events = [
            {"seq": k + 1, "item": item["id"], "response": right}
            for k, (item, right) in enumerate(
                zip(sorted(items, key=lambda i: i["stem"]), _right_by_stem(), strict=True)
            )
        ]
        reply = await api.answer(student, sitting["id"], events)
        assert reply.status_code == 200 and reply.json()["acked_seq"] == ITEMS, reply.text
        reply = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
        assert reply.status_code == 200, reply.text
        ids.append(sitting["id"])
    return ids


async def sampled(c: Cluster) -> Samples:
    """What the workers' backlog sampler publishes (engine/workers/runner.py runs it)."""
    publish(await sample(c.svc.redis, c.svc.keyspace, GRADE_GROUP))
    return await scrape(c.api)


async def test_the_answer_path_and_the_workers_move_their_metrics(
    settings: Settings, school: School
) -> None:
    async with cluster(settings, utilisation=0.30, stack=None) as c:
        before = await scrape(c.api)
        ids = await answered_and_submitted(c.api, school.teacher, school.students[:2])
        async with c.svc.pool.acquire() as conn:
            # the events the API acknowledged are in the answer stream, not yet in PostgreSQL
            stored = await conn.fetchval(
                "SELECT count(*) FROM answer_log WHERE sitting_id = ANY($1::uuid[])", ids
            )
        assert stored == 0
        after = await scrape(c.api)
        acked = value(after, "ujian_answer_events_total") - value(
            before, "ujian_answer_events_total"
        )
        assert acked == 2 * ITEMS
        ok = "ujian_answer_batches_total"
        assert value(after, ok, outcome="ok") - value(before, ok, outcome="ok") == 2

        backlog = await sampled(c)
        # one stream entry per stored batch
        assert value(backlog, "ujian_stream_length", stream="answers") == 2
        assert value(backlog, "ujian_stream_length", stream="grading") == 2
        assert value(backlog, "ujian_grading_queue_depth") == 2

        # the oldest unstored answer ages by Redis's clock until the persister stores it
        async def lagging() -> bool:
            return value(await sampled(c), "ujian_persister_lag_seconds") > 0

        await eventually(lagging, "the persister lag to show")

        assert await drain(c.answer_consumers()) == 2
        persisted = await scrape(c.api)
        rows = "ujian_persisted_answer_rows_total"
        assert value(persisted, rows) - value(before, rows) == acked
        drained = await sampled(c)
        assert value(drained, "ujian_stream_length", stream="answers") == 0
        assert value(drained, "ujian_persister_lag_seconds") == 0
        assert value(drained, "ujian_grading_queue_depth") == 2

        assert await drain(c.grading_consumers()) == 2
        graded = await sampled(c)
        assert value(graded, "ujian_grading_queue_depth") == 0
        done = "ujian_graded_sittings_total"
        moved = value(graded, done, submitted_by="student") - value(
            before, done, submitted_by="student"
        )
        assert moved == 2
        assert value(graded, "ujian_overflow_share_remote") == 0.0


async def test_the_overflow_share_follows_where_jobs_ran(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    SHARE_REMOTE.set(0.0)
    async with cluster(settings, utilisation=0.95, stack=local_overflow) as c:
        await answered_and_submitted(c.api, school.teacher, school.students[:2])
        before = await scrape(c.api)
        assert await drain(c.grading_consumers()) == 2
        after = await scrape(c.api)
        assert value(after, "ujian_overflow_share_remote") == 1.0
        jobs = "ujian_overflow_jobs_total"
        sent = value(after, jobs, kind="grade", route="remote") - value(
            before, jobs, kind="grade", route="remote"
        )
        assert sent == 2
