"""persist_ratio: answer-log rows/s through the persister ÷ a bare COPY of the same rows.

The persister path is the real one (XREADGROUP, the next read ahead → decode → COPY into the
partitioned ``answer_log`` → a copy to the integrity stream + XACK + XTRIM), fed with entries shaped
exactly as the answer script writes them: one per batch of 1–5 events. The bare COPY writes
the same rows, in the same transactions (the rows of each batch the persister read), into the
answer log itself, their seqs moved past the persister's: the same partition and unique index,
so that the ratio shows what the persister adds and not what the table costs. Printed beside
it, ``persist_ratio_plain_table``: the same rows into a plain, empty table of the answer log's
columns and unique key (the yardstick before), which also counts the log's partitioning and
size against the persister.

bench/bench_workload.py runs this file as its own process on the worker's core, as a worker
runs the persister: not inside the load generator, whose heap and leftover tasks are not the
worker's. It can be run by hand against any database the migrations were applied to and
that has sittings (a start burst):

    python bench/bench_persist.py --database-url postgresql://… --redis-url redis://…
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

import asyncpg
import redis.asyncio as aioredis
import uvloop
from redis.exceptions import ResponseError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.db import create_pool
from engine.gc_tuning import tune_for_throughput
from engine.integrity.stream import copy_answers_to
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.stream_consumer import StreamConsumer
from engine.redis_adapter.streams import Entry
from engine.sittings.answer_stream import log_record
from engine.sittings.models import AnswerEvent
from engine.workers.persister import AnswerPersister, rows_from_entries
from grading.responses import SingleChoiceResponse

BATCH = 1000
_BENCH_SEQS = 50_000_000
# a round's seqs are a block of a million: each stream's rows in a part of their own (they
# span rows per round ÷ sittings), the bare COPY's above the streams'
_STREAM_SEQS = 50_000
_BARE_SEQ_SHIFT = 500_000
MAX_STREAMS = _BARE_SEQ_SHIFT // _STREAM_SEQS
_COLUMNS = ["exam_id", "sitting_id", "seq", "item_id", "response", "client_ts", "server_ts"]


async def _fill(
    redis: Any, stream: str, sittings: list[Any], rows: int, first: int, seq_base: int
) -> None:
    """``rows`` answer events as the answer script stores them: one entry per batch of 1–5
    events of one sitting (WORKLOAD.md), in the entry format of engine/sittings/answer_stream."""
    rng = random.Random(first)
    now_ms = int(time.time() * 1000)
    next_seq = [seq_base] * len(sittings)
    written, n = 0, first
    while written < rows:
        pipe = redis.pipeline(transaction=False)
        for _ in range(BATCH):
            if written >= rows:
                break
            k = n % len(sittings)
            s, size = sittings[k], min(rng.randint(1, 5), rows - written)
            events = []
            for _ in range(size):
                next_seq[k] += 1
                event = AnswerEvent(
                    seq=next_seq[k],
                    item=f"item-{rng.randrange(150)}",
                    response=SingleChoiceResponse(choice="abcde"[n % 5]),
                    client_ts=now_ms,
                )
                events.append(log_record(event))
            pipe.xadd(
                stream,
                {
                    "s": str(s["id"]),
                    "x": str(s["exam_version_id"]),
                    "t": now_ms,
                    "e": b"[" + b",".join(events) + b"]",
                },
            )
            written += size
            n += 1
        await pipe.execute()


async def _consumers(
    redis: Any, pipelined: PipelinedRedis, streams: list[str], persister: AnswerPersister
) -> list[StreamConsumer]:
    """One consumer per stream, as a worker runs one per shard, each copying its batches to
    the shard's integrity stream as the worker does (engine/workers/runner). Made once and
    kept over the rounds, as a worker keeps its consumers."""
    consumers = [
        StreamConsumer(
            redis,
            stream,
            "persister",
            "bench",
            persister,
            batch_size=BATCH,
            block_ms=10,
            pipelined=pipelined,
            copy_on_ack=copy_answers_to(_mirror_of(stream)),
            read_ahead=True,
            trim_stored=True,
        )
        for stream in streams
    ]
    for consumer in consumers:
        await consumer.ensure_group()
        await consumer.run_once()  # its first look for stale entries (none) happens here
    return consumers


async def _persist_all(
    consumers: list[StreamConsumer], persister: AnswerPersister, rows: int
) -> float:
    """Seconds until the consumers, all at once, have stored ``rows`` more rows."""
    target = persister.rows_written + rows

    async def drain(consumer: StreamConsumer) -> None:
        while persister.rows_written < target:
            await consumer.run_once()

    started = time.perf_counter()
    await asyncio.gather(*(drain(c) for c in consumers))
    return time.perf_counter() - started


def _mirror_of(stream: str) -> str:
    return stream.removesuffix(":answers") + ":telemetry"


Rows = list[tuple[Any, ...]]


async def _settle_database(conn: Any) -> None:
    """Vacuum what the workload just wrote, and checkpoint, before measuring: an autovacuum or
    a checkpoint landing inside one of the short rounds would decide that round alone."""
    await conn.execute("VACUUM ANALYZE answer_log")
    # on a database we do not own, its checkpoints fall where they fall
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CHECKPOINT")


async def _settle_redis(redis: Any, limit_s: float = 120.0) -> None:
    """Rewrite Redis's append-only file before measuring, and wait for it: a rewrite (a fork
    that writes the whole dataset, triggered once the file has doubled since the last one)
    landing inside one short round would decide that round alone. After the workload's
    writes one is due soon; made now, the next is a whole dataset's worth of writes away."""
    if not (await redis.info("persistence")).get("aof_enabled"):
        return
    with contextlib.suppress(ResponseError):  # one is running already: wait for that one
        await redis.bgrewriteaof()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        state = await redis.info("persistence")
        if not state["aof_rewrite_in_progress"] and not state["aof_rewrite_scheduled"]:
            return
        await asyncio.sleep(0.1)


_BARE_TABLE = """CREATE TABLE {} (exam_id uuid NOT NULL, sitting_id uuid NOT NULL,
    seq bigint NOT NULL, item_id text NOT NULL, response jsonb, client_ts bigint,
    server_ts timestamptz NOT NULL, UNIQUE (exam_id, sitting_id, seq))"""


async def _copy_all(conns: list[Any], table: str, parts: list[list[Rows]]) -> float:
    """The same rows by bare COPY, one connection per stream, one transaction per batch the
    persister read (``BATCH`` stream entries)."""

    async def copy(conn: Any, batches: list[Rows]) -> None:
        for rows in batches:
            async with conn.transaction():
                await conn.copy_records_to_table(table, records=rows, columns=_COLUMNS)

    started = time.perf_counter()
    await asyncio.gather(*(copy(c, part) for c, part in zip(conns, parts, strict=True)))
    return time.perf_counter() - started


def _bare_rows(
    entries: list[Entry], exam_of_version: dict[bytes, uuid.UUID], seq_shift: int = 0
) -> list[Rows]:
    """The rows of ``entries`` in the persister's batches, as plain values (UUID, JSON text)
    for a plain connection; ``seq_shift`` added to each seq (the same rows once more in the
    answer log itself, beside the persister's)."""
    batches = []
    for start in range(0, len(entries), BATCH):
        read = rows_from_entries(entries[start : start + BATCH], exam_of_version)
        batches.append(
            [
                (e, uuid.UUID(s), q + seq_shift, i, bytes(r).decode(), c, t)
                for e, s, q, i, r, c, t in read
            ]
        )
    return batches


async def _round(
    redis: Any,
    consumers: list[StreamConsumer],
    persister: AnswerPersister,
    conns: list[Any],
    table: str,
    names: list[str],
    sittings: list[Any],
    shares: list[int],
    first_seq: int,
) -> tuple[float, float, float]:
    """One round: ``shares[n]`` rows into stream n, then seconds to store them by the
    persister, by a bare COPY into the answer log, and by a bare COPY into ``table``."""
    entries = []
    for n, (name, share) in enumerate(zip(names, shares, strict=True)):
        seq_base = first_seq + n * _STREAM_SEQS
        await _fill(redis, name, sittings, share, seq_base, seq_base)
        # the same rows for the bare COPYs, read before the persister runs
        entries.append(cast(list[Entry], await redis.xrange(name)))
    took = await _persist_all(consumers, persister, sum(shares))
    # the same rows into the answer log itself, seqs moved past the persister's
    parts = [_bare_rows(part, persister.exam_of_version, _BARE_SEQ_SHIFT) for part in entries]
    bare = await _copy_all(conns, "answer_log", parts)
    parts = [_bare_rows(part, persister.exam_of_version) for part in entries]
    plain = await _copy_all(conns, table, parts)
    # in service the integrity worker reads and deletes the batches' copies as they come; left
    # here, they would grow Redis round after round, and every AOF rewrite (a fork writing the
    # whole dataset, on the persister's core) with it
    for name in names:
        await redis.xtrim(_mirror_of(name), maxlen=0)
    return took, bare, plain


async def measure(
    database_url: str, redis_url: str, rows: int = 350_000, streams: int = 1, rounds: int = 7
) -> dict[str, float]:
    """Persister and bare COPY in turns, ``rounds`` times each on a share of the rows, so that
    drift on a shared machine falls on both: the ratio is the median of the rounds' ratios.
    Both run under the worker process's garbage-collector settings (engine/gc_tuning.py)."""
    thresholds = gc.get_threshold()
    tune_for_throughput()
    try:
        return await _measure(database_url, redis_url, rows, streams, rounds)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def _measure(
    database_url: str, redis_url: str, rows: int, streams: int, rounds: int
) -> dict[str, float]:
    redis = aioredis.Redis.from_url(redis_url)
    pool = await create_pool(database_url, min_size=1, max_size=streams)
    tag = uuid.uuid4().hex[:8]
    names = [f"bench-persist-{tag}:{{{n}}}:answers" for n in range(streams)]
    table = f"bench_copy_{tag}"
    # plain connections: their jsonb codec takes the JSON text as it is
    conns = [await asyncpg.connect(database_url) for _ in names]
    persister_s = copy_s = plain_s = 0.0
    ratios, plain_ratios = [], []
    hot = PipelinedRedis(redis)
    try:
        await conns[0].execute(_BARE_TABLE.format(table))
        async with pool.acquire() as conn:
            sittings = await conn.fetch("SELECT id, exam_version_id FROM sittings LIMIT 500")
            # seqs far above anything a student sent, and above an earlier run's: rows already
            # stored would send every batch down the persister's replay path
            first_seq = max(
                _BENCH_SEQS, await conn.fetchval("SELECT coalesce(max(seq), 0) + 1 FROM answer_log")
            )
        if not sittings:
            raise RuntimeError("no sittings to write answers for: run the start burst first")
        persister = AnswerPersister(pool)
        consumers = await _consumers(redis, hot, names, persister)
        await _settle_database(conns[0])
        await _settle_redis(redis)
        # a warm-up round first, not counted: the first writes after the CHECKPOINT pay for
        # whole pages in the WAL, and the persister, which goes first, would pay them all
        share = rows // (streams * rounds)
        await _round(
            redis, consumers, persister, conns, table, names, sittings, [share] * streams, first_seq
        )
        rewrites_before = (await redis.info("persistence")).get("aof_rewrites", 0)
        for round_ in range(1, rounds + 1):
            shares = [share] * streams
            if round_ == rounds:  # the remainder goes in the last round
                shares[0] += rows - share * streams * rounds
            took, bare, plain = await _round(
                redis,
                consumers,
                persister,
                conns,
                table,
                names,
                sittings,
                shares,
                first_seq + round_ * 10**6,
            )
            ratios.append(bare / took)  # same rows: the ratio of rates is that of times
            plain_ratios.append(plain / took)
            persister_s, copy_s, plain_s = persister_s + took, copy_s + bare, plain_s + plain
        async with pool.acquire() as conn:
            stored = await conn.fetchval(  # the persister's rows, not the bare COPY's
                "SELECT count(*) FROM answer_log WHERE seq >= $1 AND (seq - $1) % $2 < $3",
                first_seq + 10**6,
                10**6,
                _BARE_SEQ_SHIFT,
            )
        # printed beside the ratio: a rewrite inside a round costs that round
        rewrites = (await redis.info("persistence")).get("aof_rewrites", 0) - rewrites_before
        for consumer in consumers:
            await consumer.close()
    finally:
        await hot.close()
        await conns[0].execute(f"DROP TABLE IF EXISTS {table}")
        for c in conns:
            await c.close()
        await redis.delete(*names, *(_mirror_of(n) for n in names))
        await redis.aclose()
        await pool.close()
    persister_rate, copy_rate = rows / persister_s, rows / copy_s
    return {
        "persist_rows_s": round(persister_rate),
        "copy_rows_s": round(copy_rate),
        "persist_ratio": round(statistics.median(ratios), 3),
        "persist_ratio_min": round(min(ratios), 3),
        "persist_ratio_max": round(max(ratios), 3),
        "persist_ratio_of_totals": round(persister_rate / copy_rate, 3),
        "persist_ratio_plain_table": round(statistics.median(plain_ratios), 3),
        "plain_copy_rows_s": round(rows / plain_s),
        "persist_rows_stored": float(stored),
        "streams": float(streams),
        "aof_rewrites_while_measured": float(rewrites),
    }


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", required=True)
    p.add_argument("--rows", type=int, default=350_000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--streams", type=int, default=1, choices=range(1, MAX_STREAMS + 1))
    return p.parse_args()


async def main(args: argparse.Namespace) -> None:
    figures = await measure(
        args.database_url, args.redis_url, rows=args.rows, streams=args.streams, rounds=args.rounds
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    # the worker's loop (uvicorn runs it on uvloop)
    uvloop.run(main(parse()))
