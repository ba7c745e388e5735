"""Persist batches and forensics through the Lambda, cluster utilisation, the status endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from prometheus_client import REGISTRY

from engine.auth.passwords import hash_password
from engine.integrity.forensics import run_forensics
from engine.overflow.utilisation import (
    ClusterMonitor,
    CpuSampler,
    LoopLag,
    Sampler,
    UtilisationPublisher,
)
from engine.redis_adapter.utilisation import override_key, utilisation_key
from engine.services import Services
from engine.settings import Settings
from overflow_lambda.local.stack import LocalOverflow
from tests.integration.conftest import PASSWORD, School, _user
from tests.integration.overflow.conftest import cluster, drain, eventually, items_in_order


def _remote(kind: str) -> float:
    value = REGISTRY.get_sample_value(
        "ujian_overflow_jobs_total", {"kind": kind, "route": "remote"}
    )
    return value or 0.0


def single_choice_items(n: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": f"Question {k}",
            "correct": "a",
            "options": [{"id": o, "text": o.upper()} for o in "abcd"],
        }
        for k in range(n)
    ]


async def logged(svc: Services, sitting_ids: list[str]) -> int:
    async with svc.pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM answer_log WHERE sitting_id = ANY($1::uuid[])",
            [uuid.UUID(s) for s in sitting_ids],
        )
    return count


async def test_answer_batches_and_forensics_run_on_lambda_as_they_run_here(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.95, stack=local_overflow) as c:
        exam = await c.api.exam(school.teacher, items=single_choice_items(6))
        sittings, events_sent = [], 0
        for n, student in enumerate(school.students[:5]):
            sitting = await c.api.start(student, exam["id"])
            items = items_in_order(await c.api.paper(student, sitting["id"]))
            events = [
                {
                    "seq": k + 1,
                    "item": item["id"],
                    "response": {"kind": "single_choice", "choice": "abcd"[(k * n) % 4]},
                }
                for k, item in enumerate(items)
            ]
            assert (await c.api.answer(student, sitting["id"], events)).status_code == 200
            sittings.append(sitting["id"])
            events_sent += len(events)

        sent_before = _remote("persist")
        assert await drain(c.answer_consumers()) == len(sittings)  # an entry per batch
        assert _remote("persist") > sent_before  # the batches went to SQS, by reference

        async def persisted() -> bool:
            return await logged(c.svc, sittings) == events_sent

        await eventually(persisted, "answer batches persisted on the Lambda")
        # the parcels that carried them are gone once applied
        assert await c.svc.redis.keys(f"{c.settings.redis_namespace}:parcel:*") == []

        exam_id = uuid.UUID(exam["id"])
        for student, sitting_id in zip(school.students, sittings, strict=False):
            r = await c.api.call("POST", f"/v1/sittings/{sitting_id}/submit", student)
            assert r.status_code == 200  # forensics looks at finished sittings
        await c.overflow.run_forensics(exam_id)

        async def finished_run() -> Any:
            async with c.svc.pool.acquire() as conn:
                return await conn.fetchrow(
                    "SELECT sittings, items, flags FROM integrity_runs "
                    "WHERE exam_id = $1 AND status = 'done'",
                    exam_id,
                )

        remote = await eventually(finished_run, "the forensics run on the Lambda")
        assert remote["sittings"] == 5 and remote["items"] == 6
        local_flags = await run_forensics(c.svc.pool, exam_id, f"local-{exam_id}")
        async with c.svc.pool.acquire() as conn:
            local = await conn.fetchrow(
                "SELECT sittings, items, flags FROM integrity_runs WHERE job_id = $1",
                f"local-{exam_id}",
            )
        # the same analysis of the same answers, wherever it ran
        assert local_flags == local["flags"] == remote["flags"]
        assert (local["sittings"], local["items"]) == (remote["sittings"], remote["items"])


def forced(redis: Any, namespace: str, value: float, process: str) -> UtilisationPublisher:
    publisher = UtilisationPublisher(
        redis, namespace, Sampler(CpuSampler(), LoopLag(), lambda: 0.0, forced=value)
    )
    publisher.process = process
    return publisher


async def test_cluster_utilisation_is_the_mean_over_live_processes(svc: Services) -> None:
    namespace = f"util{uuid.uuid4().hex[:8]}"
    low, high = forced(svc.redis, namespace, 0.2, "a"), forced(svc.redis, namespace, 0.8, "b")
    await low.publish_once()
    await high.publish_once()
    monitor = ClusterMonitor(svc.redis, namespace)
    reading = await monitor.read()
    assert reading.processes == 2 and abs(reading.mean - 0.5) < 1e-9
    # a process that stopped publishing long ago no longer counts, and is forgotten
    await svc.redis.hset(utilisation_key(namespace), "gone", b"0.99:1")
    reading = await monitor.read()
    assert reading.processes == 2 and abs(reading.mean - 0.5) < 1e-9
    assert not await svc.redis.hexists(utilisation_key(namespace), "gone")
    await high.close()  # leaves at once
    reading = await monitor.read()
    assert reading.processes == 1 and abs(reading.mean - 0.2) < 1e-9


async def test_measured_utilisation_is_a_share(svc: Services) -> None:
    sampler = Sampler(CpuSampler(), LoopLag(), lambda: 0.25)
    sum(i * i for i in range(200_000))  # some CPU to measure
    value = sampler.sample()
    assert 0.25 <= value <= 1.0


async def test_status_endpoint_shows_utilisation_and_route_to_organisers_only(
    settings: Settings, school: School, local_overflow: LocalOverflow
) -> None:
    async with cluster(settings, utilisation=0.9, stack=local_overflow) as c:
        admin = f"admin-{uuid.uuid4().hex[:6]}"
        async with c.svc.pool.acquire() as conn:
            await _user(conn, school.org_id, admin, "admin", hash_password(PASSWORD))
        r = await c.api.call("GET", "/v1/admin/overflow", admin)
        assert r.status_code == 200, r.text
        status = r.json()
        assert abs(status["cluster_utilisation"] - 0.9) < 1e-6 and status["live_processes"] >= 1
        assert status["route"] == "remote" and status["queue_configured"] is True
        assert status["threshold"] == 0.70 and abs(status["release_below"] - 0.60) < 1e-9
        assert status["forced"] is True  # the drill the fixture set
        # the operator holds the overflow off (a queue being mended): every job stays home
        r = await c.api.call(
            "PUT", "/v1/admin/overflow/forced", admin, json={"utilisation": 0.0, "minutes": 30}
        )
        assert r.status_code == 200, r.text
        held = r.json()
        assert held["forced"] is True and held["cluster_utilisation"] == 0.0
        assert held["route"] == "local"
        # lifts it: routing follows the measured utilisation again, in every process
        r = await c.api.call("DELETE", "/v1/admin/overflow/forced", admin)
        assert r.status_code == 200, r.text
        assert r.json()["forced"] is False
        # out-of-range values are refused and change nothing
        for bad in ({"utilisation": 1.5}, {"utilisation": 0.9, "minutes": 0}, {"minutes": 5}):
            r = await c.api.call("PUT", "/v1/admin/overflow/forced", admin, json=bad)
            assert r.status_code == 400 and r.json()["code"] == "validation_failed", r.text
        assert (await c.api.call("GET", "/v1/admin/overflow", admin)).json()["forced"] is False
        # a drill: everything goes away for five minutes
        r = await c.api.call(
            "PUT", "/v1/admin/overflow/forced", admin, json={"utilisation": 0.95, "minutes": 5}
        )
        assert r.status_code == 200, r.text
        assert r.json()["forced"] is True and r.json()["route"] == "remote"
        ttl_ms = await c.svc.redis.pttl(override_key(c.settings.redis_namespace))
        assert 0 < ttl_ms <= 5 * 60 * 1000  # it lapses by itself
        for method in ("PUT", "DELETE"):
            r = await c.api.call(
                method, "/v1/admin/overflow/forced", school.teacher, json={"utilisation": 0.0}
            )
            assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await c.api.call("GET", "/v1/admin/overflow", school.teacher)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        text = (await c.api.client.get("/metrics")).text
        assert "ujian_cluster_utilisation 0.9" in text
        assert "ujian_overflow_route_remote 1.0" in text  # the decision
        assert "ujian_overflow_share_remote " in text  # the share sent away
        assert msgspec.json.decode(r.content)["status"] == 403
