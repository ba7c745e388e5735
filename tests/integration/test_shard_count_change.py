"""Changing ``UJIAN_STREAM_SHARDS`` while sittings are live: a sitting's shard travels in its id
(engine/redis_adapter/keys.py), so a process started with another shard count still finds it, and
the workers consume every shard any process of the namespace has placed sittings on."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from engine.app import create_app, open_services
from engine.redis_adapter.keys import shard_of
from engine.services import Services
from engine.settings import Settings
from engine.workers.runner import Workers
from tests.integration.conftest import RIGHT_ANSWERS, Api, School


def _answer(paper: dict[str, Any], seq: int) -> dict[str, Any]:
    item = paper["sections"][0]["items"][0]
    right = next(r for r in RIGHT_ANSWERS if r["kind"] == item["kind"])
    return {"seq": seq, "item": item["id"], "response": right}


async def _drain(svc: Services) -> None:
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while await consumer.run_once() > 0:
            pass


async def test_live_sittings_survive_a_smaller_shard_count(
    settings: Settings, school: School, svc: Services
) -> None:
    namespace = f"shards-{uuid.uuid4().hex[:8]}"
    wide = msgspec.structs.replace(
        settings, redis_namespace=namespace, stream_shards=8, run_workers_in_api=False
    )
    narrow = msgspec.structs.replace(wide, stream_shards=2)
    sittings: list[tuple[str, str, dict[str, Any]]] = []
    async with AsyncTestClient(app=create_app(wide)) as client:
        api = Api(client)
        for _ in range(2):
            exam = await api.exam(school.teacher)
            for student in school.students:
                sitting = await api.start(student, exam["id"])
                paper = await api.paper(student, sitting["id"])
                r = await api.answer(student, sitting["id"], [_answer(paper, 1)])
                assert r.status_code == 200, r.text
                sittings.append((student, sitting["id"], paper))
    shards = {shard_of(uuid.UUID(s), 8) for _, s, _ in sittings}
    assert max(shards) >= 2  # twelve sittings over eight shards: some beyond the new two

    async with AsyncTestClient(app=create_app(narrow)) as client:
        api.client = client  # the same sign-ins: the same devices hold the sittings
        for student, sitting_id, paper in sittings:
            r = await api.answer(student, sitting_id, [_answer(paper, 2)])
            assert r.status_code == 200, r.text
            assert r.json()["acked_seq"] == 2
        async with open_services(narrow) as narrow_svc:
            assert narrow_svc.keyspace.consumed_shards == 8
            await _drain(narrow_svc)

    async with svc.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT sitting_id, seq FROM answer_log WHERE sitting_id = ANY($1::uuid[])",
            [uuid.UUID(s) for _, s, _ in sittings],
        )
    logged = sorted((str(r["sitting_id"]), r["seq"]) for r in rows)
    assert logged == sorted((s, seq) for _, s, _ in sittings for seq in (1, 2))
    keys = [k async for k in svc.redis.scan_iter(match=f"{namespace}:*")]
    await svc.redis.delete(*keys)
