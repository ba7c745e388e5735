"""persist_ratio: answer-log rows/s through the persister ÷ a bare COPY of the same rows.

The persister path is the real one (XREADGROUP → decode → COPY into the staging table →
INSERT … ON CONFLICT into the partitioned ``answer_log`` → XACK + XDEL), fed with entries
shaped exactly as the answer script writes them. The bare COPY writes the same rows, in the
same batch size, into a plain table of the same columns and the same unique key.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec
import redis.asyncio as aioredis

from engine.db import create_pool
from engine.workers.consumer import StreamConsumer
from engine.workers.persister import AnswerPersister, rows_from_entries

BATCH = 1000
_COLUMNS = ["exam_id", "sitting_id", "seq", "item_id", "response", "client_ts", "server_ts"]


async def _fill(redis: Any, stream: str, sittings: list[Any], rows: int) -> None:
    now_ms = int(time.time() * 1000)
    for start in range(0, rows, BATCH):
        pipe = redis.pipeline(transaction=False)
        for n in range(start, min(rows, start + BATCH)):
            s = sittings[n % len(sittings)]
            seq = 50_000_000 + n // len(sittings)  # far above anything a student sent
            payload = msgspec.json.encode({"seq": seq, "response": {
                "kind": "single_choice", "choice": "abcde"[n % 5]}, "client_ts": now_ms})
            pipe.xadd(stream, {"s": str(s["id"]), "x": str(s["exam_version_id"]), "q": seq,
                               "i": f"item-{n % 150}", "p": payload, "t": now_ms})
        await pipe.execute()


async def measure(database_url: str, redis_url: str, rows: int = 50_000) -> dict[str, float]:
    redis = aioredis.Redis.from_url(redis_url)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    stream = f"bench-persist-{uuid.uuid4().hex[:8]}:answers"
    try:
        async with pool.acquire() as conn:
            sittings = await conn.fetch("SELECT id, exam_version_id FROM sittings LIMIT 500")
        if not sittings:
            raise RuntimeError("no sittings to write answers for: run the start burst first")
        await _fill(redis, stream, sittings, rows)
        persister = AnswerPersister(pool)
        consumer = StreamConsumer(redis, stream, "persister", "bench", persister,
                                  batch_size=BATCH, block_ms=10)
        await consumer.ensure_group()
        # entries kept for the bare COPY below: the same rows, read before the persister runs
        entries = list(await redis.xrange(stream))
        started = time.perf_counter()
        done = 0
        while done < rows:
            done += await consumer.run_once()
        persister_s = time.perf_counter() - started

        async with pool.acquire() as conn:
            await persister._resolve_exams(conn, entries)
            copy_rows = rows_from_entries(entries, persister._exam_of_version)
            table = f"bench_copy_{uuid.uuid4().hex[:8]}"
            await conn.execute(f"CREATE TABLE {table} (exam_id uuid, sitting_id uuid, seq bigint,"
                               " item_id text, response text, client_ts bigint,"
                               " server_ts timestamptz, UNIQUE (exam_id, sitting_id, seq))")
            try:
                started = time.perf_counter()
                for start in range(0, len(copy_rows), BATCH):
                    async with conn.transaction():
                        await conn.copy_records_to_table(
                            table, records=copy_rows[start:start + BATCH], columns=_COLUMNS)
                copy_s = time.perf_counter() - started
            finally:
                await conn.execute(f"DROP TABLE {table}")
            stored = await conn.fetchval("SELECT count(*) FROM answer_log WHERE seq >= 50000000")
    finally:
        await redis.delete(stream)
        await redis.aclose()
        await pool.close()
    persister_rate, copy_rate = rows / persister_s, rows / copy_s
    return {"persist_rows_s": round(persister_rate), "copy_rows_s": round(copy_rate),
            "persist_ratio": round(persister_rate / copy_rate, 3),
            "persist_rows_stored": float(stored)}
