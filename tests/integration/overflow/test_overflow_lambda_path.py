"""Jobs through SQS → the local Lambda runtime → the real handler, and back home."""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any

from engine.auth.passwords import hash_password
from engine.job_runner import execute
from engine.overflow.jobs import Envelope, GradeJob, PersistJob, encode
from engine.overflow.transport import SqsTransport, sqs_client
from engine.redis_adapter import job_payloads
from engine.services import Services
from engine.settings import Settings
from overflow_lambda.local.stack import LocalOverflow
from tests.integration.conftest import PASSWORD, School, _user
from tests.integration.overflow.conftest import (
    cluster,
    drain,
    eventually,
    submitted_sittings,
)

GRADED = """
SELECT to_jsonb(r) - 'graded_at' - 'updated_at' AS result, s.state, s.points, s.max_points
FROM results r JOIN sittings s ON s.id = r.sitting_id
WHERE r.sitting_id = ANY($1::uuid[]) ORDER BY r.sitting_id
"""


async def graded(svc: Services, ids: list[str]) -> list[dict[str, Any]]:
    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(GRADED, [uuid.UUID(i) for i in ids])
    return [dict(r) for r in rows]


async def all_graded(svc: Services, ids: list[str]) -> list[dict[str, Any]] | None:
    rows = await graded(svc, ids)
    return rows if len(rows) == len(ids) else None


async def ungrade(svc: Services, ids: list[str]) -> None:
    """Back to submitted, as if grading had never happened."""
    uuids = [uuid.UUID(i) for i in ids]
    async with svc.pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM results WHERE sitting_id = ANY($1::uuid[])", uuids)
        await conn.execute(
            "UPDATE sittings SET state = 'submitted', graded_at = NULL, "
            "points = NULL, max_points = NULL WHERE id = ANY($1::uuid[])",
            uuids,
        )


def envelope(c: Any, job: Any) -> str:
    return encode(
        Envelope(job=job, namespace=c.settings.redis_namespace, shards=c.settings.stream_shards)
    ).decode()


async def test_past_the_threshold_grading_runs_on_lambda_and_writes_the_local_rows(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.95, stack=local_overflow) as c:
        assert await c.overflow.dispatcher.route() == "remote"
        _, ids = await submitted_sittings(c.api, school.teacher, school.students[:3])
        received = local_overflow.mapping.stats.received if local_overflow.mapping else 0
        assert await drain(c.grading_consumers()) == 3
        # the stream entries are acknowledged: the jobs are SQS's now
        remote = await eventually(lambda: all_graded(c.svc, ids), "grading on the Lambda")
        # the three jobs went out in messages of up to 50 sittings (GradeJob.also): at least one
        assert local_overflow.mapping and local_overflow.mapping.stats.received > received
        assert c.overflow.dispatcher.share.value == 1.0
        assert {r["state"] for r in remote} == {"graded"}
        assert len({r["points"] for r in remote}) > 1  # different answers, different scores

        await ungrade(c.svc, ids)
        for sitting_id in ids:
            job = GradeJob(job_id=f"local-{sitting_id}", sitting_id=uuid.UUID(sitting_id))
            await execute(c.svc, job, c.workers.persister)
        assert await graded(c.svc, ids) == remote


async def test_below_the_threshold_nothing_is_sent(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.30, stack=local_overflow) as c:
        _, ids = await submitted_sittings(c.api, school.teacher, school.students[3:5])
        assert local_overflow.mapping is not None
        received = local_overflow.mapping.stats.received
        assert await drain(c.grading_consumers()) == 2
        # graded by the time the consumer acknowledged: it ran here
        assert len(await graded(c.svc, ids)) == 2
        assert c.overflow.dispatcher.share.value == 0.0
        attrs = local_overflow.client.get_queue_attributes(
            QueueUrl=local_overflow.queue_url, AttributeNames=["All"]
        )["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "0"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
        assert local_overflow.mapping.stats.received == received


async def test_a_job_delivered_twice_is_applied_once(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.95, stack=local_overflow) as c:
        _, [sitting_id] = await submitted_sittings(c.api, school.teacher, school.students[5:6])
        body = envelope(c, GradeJob(job_id=f"twice-{sitting_id}", sitting_id=uuid.UUID(sitting_id)))
        sqs, mapping = local_overflow.client, local_overflow.mapping
        assert mapping is not None
        sqs.send_message(QueueUrl=local_overflow.queue_url, MessageBody=body)
        await eventually(lambda: all_graded(c.svc, [sitting_id]), "the first delivery")
        # were the job applied again, this sitting would be graded again
        await ungrade(c.svc, [sitting_id])
        deleted = mapping.stats.deleted
        sqs.send_message(QueueUrl=local_overflow.queue_url, MessageBody=body)

        async def consumed() -> bool:
            return mapping.stats.deleted > deleted

        await eventually(consumed, "the second delivery")
        assert await graded(c.svc, [sitting_id]) == []


async def test_a_poison_job_lands_in_the_dlq_and_the_rest_of_its_batch_succeeds(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.95, stack=local_overflow) as c:
        _, ids = await submitted_sittings(c.api, school.teacher, school.students[:2])
        poison_id = f"poison-{uuid.uuid4().hex[:8]}"
        key = job_payloads.payload_key(c.settings.redis_namespace, poison_id)
        await c.svc.redis.set(key, b"\xc1 not msgpack")
        bodies = [envelope(c, PersistJob(job_id=poison_id, parcel=key, entries=1))]
        bodies += [envelope(c, GradeJob(job_id=f"ok-{i}", sitting_id=uuid.UUID(i))) for i in ids]
        local_overflow.client.send_message_batch(
            QueueUrl=local_overflow.queue_url,
            Entries=[{"Id": str(n), "MessageBody": b} for n, b in enumerate(bodies)],
        )
        await eventually(lambda: all_graded(c.svc, ids), "the good jobs of the batch")

        admin = f"admin-{uuid.uuid4().hex[:6]}"
        async with c.svc.pool.acquire() as conn:
            await _user(conn, school.org_id, admin, "admin", hash_password(PASSWORD))

        async def parked() -> Any:
            r = await c.api.call("GET", "/v1/admin/overflow/dead-letters", admin)
            assert r.status_code == 200, r.text
            body = r.json()
            return body if poison_id in {m["job_id"] for m in body["sample"]} else None

        dead = await eventually(parked, "the poison job in the DLQ")
        assert dead["configured"] and dead["messages"] >= 1
        [letter] = [m for m in dead["sample"] if m["job_id"] == poison_id]
        assert letter["kind"] == "persist" and letter["receive_count"] >= 3
        metrics = (await c.api.client.get("/metrics")).text
        gauge = [
            line for line in metrics.splitlines() if line.startswith("ujian_overflow_dead_letters ")
        ]
        assert gauge and float(gauge[0].split()[1]) >= 1
        r = await c.api.call("GET", "/v1/admin/overflow/dead-letters", school.teacher)
        assert r.status_code == 403


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_sqs_unavailable_jobs_run_here_with_a_warning(
    settings: Settings, school: School
) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    transport = SqsTransport(
        f"{endpoint}/000000000000/ujian-overflow",
        sqs_client(endpoint, "ap-southeast-3", max_attempts=2),
    )
    async with cluster(settings, utilisation=0.95, stack=None, transport=transport) as c:
        _, ids = await submitted_sittings(c.api, school.teacher, school.students[2:4])
        # the app's logging set-up replaces root handlers, so listen on the logger itself
        warnings = _Records()
        logging.getLogger("engine.overflow").addHandler(warnings)
        try:
            assert await drain(c.grading_consumers()) == 2
        finally:
            logging.getLogger("engine.overflow").removeHandler(warnings)
        assert len(await graded(c.svc, ids)) == 2  # nothing lost: graded here
        assert any(
            "run locally" in r.getMessage() and r.levelno == logging.WARNING
            for r in warnings.records
        )
        assert c.overflow.dispatcher.share.value == 0.0
        # and for a while jobs stay home instead of waiting on a dead endpoint each time
        assert await c.overflow.dispatcher.route() == "local"
