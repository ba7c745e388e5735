"""Copies answer stream entries into the append-only ``answer_log``.

The common batch (every row new, every sitting known) goes in with one binary COPY straight
into the partitioned log: the cheapest write PostgreSQL has. A replayed entry (a batch read
again after a crash) makes COPY fail on the unique (exam, sitting, seq); the batch is then
written by the slow path, one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` that
skips what is already there and drops rows of unknown sittings. Either way the batch lands
whole or not at all, and a replay is harmless. (Before: COPY into a temp table, then INSERT …
SELECT: three round trips and every row written twice; bench/bench_persist.py measures it.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from engine import metrics
from engine.kernel.sql import Connection, Pool
from engine.redis_adapter.streams import Entry
from engine.sittings import repository_answer_log as answer_log
from engine.sittings.answer_stream import events_of
from engine.sittings.repository_answer_log import Row

# sittings are never deleted, so one seen is known for good; bounded all the same
MAX_KNOWN_SITTINGS = 500_000


def rows_from_entries(entries: list[Entry], exam_of_version: dict[bytes, uuid.UUID]) -> list[Row]:
    """The answer log's rows for a batch of stream entries, one per event of each entry
    (engine/sittings/answer_stream.py), in the log's column order, ready for COPY: the
    response as msgspec.Raw, which the pool's jsonb codec (engine.db) passes through unchanged.

    This loop runs once per answer event, so it does as little as it can: the exam is looked
    up by the version id's bytes as they are in the entry, and one datetime is made per
    server time (the events of an entry share it, and so do the entries of a busy
    millisecond)."""
    rows: list[Row] = []
    add = rows.append
    times: dict[bytes, datetime] = {}
    for _, fields in entries:
        exam, sitting, stamp = exam_of_version[fields[b"x"]], fields[b"s"].decode(), fields[b"t"]
        when = times.get(stamp)
        if when is None:
            when = times[stamp] = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
        for e in events_of(fields):
            add((exam, sitting, e.seq, e.item, e.response, e.client_ts, when))
    return rows


class AnswerPersister:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        # exam version id, as the stream holds it -> exam (the partition key): immutable, so
        # kept for good
        self.exam_of_version: dict[bytes, uuid.UUID] = {}
        self._known: set[bytes] = set()
        self.rows_written = 0

    async def _resolve_exams(self, conn: Connection, entries: list[Entry]) -> None:
        unknown = {f[b"x"] for _, f in entries} - self.exam_of_version.keys()
        if unknown:
            versions = {uuid.UUID(v.decode()).int: v for v in unknown}
            exams = await answer_log.exams_of_versions(conn, [uuid.UUID(int=v) for v in versions])
            self.exam_of_version.update({versions[v.int]: exam for v, exam in exams.items()})

    async def _all_known(self, conn: Connection, entries: list[Entry]) -> bool:
        # sitting ids as the stream holds them, the text PostgreSQL prints for a uuid
        unknown = {f[b"s"] for _, f in entries} - self._known
        if unknown:
            known = await answer_log.known_sittings(conn, [s.decode() for s in unknown])
            found = {s.encode() for s in known}
            if len(self._known) + len(found) > MAX_KNOWN_SITTINGS:
                self._known.clear()
            self._known |= found
            return found == unknown
        return True

    async def __call__(self, entries: list[Entry]) -> None:
        if not entries:
            return
        async with self.pool.acquire() as conn:
            await self._resolve_exams(conn, entries)
            rows = rows_from_entries(entries, self.exam_of_version)
            if await self._all_known(conn, entries):
                try:
                    async with conn.transaction():
                        await answer_log.copy_answers(conn, rows)
                    self.rows_written += len(rows)
                    metrics.persisted_rows.inc(len(rows))
                    return
                except asyncpg.UniqueViolationError:
                    pass  # a replay: some rows are in already, the slow path skips them
            await answer_log.insert_new_answers(conn, rows)
        self.rows_written += len(rows)
        metrics.persisted_rows.inc(len(rows))
