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
from typing import Any

import asyncpg
import msgspec

from engine.sittings.answer_stream import batches
from engine.workers.consumer import Entry

_INSERT = """
INSERT INTO answer_log (exam_id, sitting_id, seq, item_id, response, client_ts, server_ts)
SELECT r.exam_id, r.sitting_id::uuid, r.seq, r.item_id, r.response::jsonb, r.client_ts,
       to_timestamp(r.server_ms / 1000.0)
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[],
            $7::bigint[]) AS r(exam_id, sitting_id, seq, item_id, response, client_ts, server_ms)
WHERE EXISTS (SELECT 1 FROM sittings s WHERE s.id = r.sitting_id::uuid)
ON CONFLICT DO NOTHING
"""


_COLUMNS = ["exam_id", "sitting_id", "seq", "item_id", "response", "client_ts", "server_ts"]
_KNOWN = "SELECT id::text FROM sittings WHERE id = ANY($1::uuid[])"
# sittings are never deleted, so one seen is known for good; bounded all the same
MAX_KNOWN_SITTINGS = 500_000


def columns_from_entries(entries: list[Entry], exam_of_version: dict[str, uuid.UUID]
                         ) -> tuple[list[Any], ...]:
    """The seven columns of the answer log for a batch of stream entries, one row per event of
    each entry (engine/sittings/answer_stream.py); responses as JSON bytes."""
    exams, sittings, seqs, items, responses, client_ts, server_ms = ([] for _ in range(7))
    for batch in batches(entries):
        exam = exam_of_version[batch.exam_version]
        for event in batch.events:
            exams.append(exam)
            sittings.append(batch.sitting)
            seqs.append(event.seq)
            items.append(event.item)
            responses.append(bytes(event.response))
            client_ts.append(event.client_ts)
            server_ms.append(batch.server_ms)
    return exams, sittings, seqs, items, responses, client_ts, server_ms


class AnswerPersister:
    def __init__(self, pool: Any) -> None:
        self.pool = pool
        # exam version -> exam (the partition key): immutable, so kept for good
        self._exam_of_version: dict[str, uuid.UUID] = {}
        self._known: set[str] = set()
        self.rows_written = 0

    async def _resolve_exams(self, conn: Any, entries: list[Entry]) -> None:
        unknown = {f[b"x"].decode() for _, f in entries} - self._exam_of_version.keys()
        if unknown:
            rows = await conn.fetch(
                "SELECT id, exam_id FROM exam_versions WHERE id = ANY($1::uuid[])",
                [uuid.UUID(v) for v in unknown],
            )
            self._exam_of_version.update({str(r["id"]): r["exam_id"] for r in rows})

    async def _all_known(self, conn: Any, sittings: list[str]) -> bool:
        unknown = set(sittings) - self._known
        if unknown:
            found = {r[0] for r in await conn.fetch(_KNOWN, list(unknown))}
            if len(self._known) + len(found) > MAX_KNOWN_SITTINGS:
                self._known.clear()
            self._known |= found
            return found == unknown
        return True

    async def __call__(self, entries: list[Entry]) -> None:
        async with self.pool.acquire() as conn:
            await self._resolve_exams(conn, entries)
            columns = columns_from_entries(entries, self._exam_of_version)
            if await self._all_known(conn, columns[1]):
                try:
                    async with conn.transaction():
                        await conn.copy_records_to_table("answer_log", records=_records(columns),
                                                         columns=_COLUMNS)
                    self.rows_written += len(columns[0])
                    return
                except asyncpg.UniqueViolationError:
                    pass  # a replay: some rows are in already, the slow path skips them
            exams, sittings, seqs, items, responses, client_ts, server_ms = columns
            await conn.execute(_INSERT, exams, sittings, seqs, items,
                               [r.decode() for r in responses], client_ts, server_ms)
        self.rows_written += len(columns[0])


def _records(columns: tuple[list[Any], ...]) -> list[tuple[Any, ...]]:
    """COPY's rows. The response goes as msgspec.Raw: the pool's jsonb codec (engine.db) encodes
    it with msgspec, which passes raw JSON through unchanged. The events of one stream entry
    share their server time, so its datetime is made once per entry, not per row."""
    exams, sittings, seqs, items, responses, client_ts, server_ms = columns
    records = []
    last_ms, when = -1, datetime.fromtimestamp(0, tz=UTC)
    for e, s, q, i, r, c, t in zip(exams, sittings, seqs, items, responses, client_ts,
                                   server_ms, strict=True):
        if t != last_ms:
            last_ms, when = t, datetime.fromtimestamp(t / 1000, tz=UTC)
        records.append((e, s, q, i, msgspec.Raw(r), c, when))
    return records
