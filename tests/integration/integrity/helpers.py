"""Shared steps of the integrity tests: drain the consumers, post telemetry, read rows."""

from __future__ import annotations

import uuid
from typing import Any

from engine.redis_adapter.keys import shard_of
from engine.services import Services
from engine.workers.runner import Workers
from tests.integration.conftest import Api

SENT = 50_000_000  # the page's clock when it sends (any value: pages' clocks are wrong)


async def drain(svc: Services) -> int:
    """Run the persister, grader and integrity consumers until every stream is empty (the
    persister copies answers into the integrity stream of the same shard, read after it)."""
    total = 0
    for consumer in Workers(svc).consumers():
        await consumer.ensure_group()
        consumer.block_ms = 10
        while (n := await consumer.run_once()) > 0:
            total += n
    return total


def batch(
    events: list[dict[str, Any]], session: str = "page-aaaa1111", seq: int = 0, sent_at: int = SENT
) -> dict[str, Any]:
    return {"session": session, "batch_seq": seq, "sent_at": sent_at, "events": events}


async def send(api: Api, student: str, sitting_id: str, body: Any) -> Any:
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    return await api.call("POST", f"/v1/sittings/{sitting_id}/telemetry", student, **kwargs)


def telemetry_stream(svc: Services, sitting_id: str) -> str:
    ks = svc.keyspace
    return ks.telemetry_stream(shard_of(uuid.UUID(sitting_id), ks.shards))


async def telemetry_rows(svc: Services, sitting_id: str) -> list[Any]:
    async with svc.pool.acquire() as conn:
        rows: list[Any] = await conn.fetch(
            "SELECT session, batch_seq, idx, type, event FROM telemetry_log "
            "WHERE sitting_id = $1 ORDER BY session, batch_seq, idx",
            uuid.UUID(sitting_id),
        )
    return rows


async def flags_of(api: Api, user: str, exam_id: str, **query: str) -> list[dict[str, Any]]:
    r = await api.call("GET", "/v1/integrity/flags", user, params={"exam_id": exam_id, **query})
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found
