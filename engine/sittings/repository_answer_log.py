"""SQL that writes the append-only ``answer_log`` (engine/workers/persister.py) and what it
needs to know first: the exam (the partition key) of each exam version, which sittings exist.

The persister's hot path: a batch's rows go to PostgreSQL as the persister built them, with no
work per row here but the slow path's columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.sql import Connection

# one row per answer event, in ``COLUMNS`` order: the response as msgspec.Raw, which the pool's
# jsonb codec (engine.db) passes through unchanged
Row = tuple[uuid.UUID, str, int, str, msgspec.Raw, int, datetime]
COLUMNS = ["exam_id", "sitting_id", "seq", "item_id", "response", "client_ts", "server_ts"]
# skips rows already logged and drops rows of unknown sittings
INSERT_NEW_ANSWERS = """
INSERT INTO answer_log (exam_id, sitting_id, seq, item_id, response, client_ts, server_ts)
SELECT r.exam_id, r.sitting_id::uuid, r.seq, r.item_id, r.response::jsonb, r.client_ts,
       to_timestamp(r.server_ms / 1000.0)
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[],
            $7::bigint[]) AS r(exam_id, sitting_id, seq, item_id, response, client_ts, server_ms)
WHERE EXISTS (SELECT 1 FROM sittings s WHERE s.id = r.sitting_id::uuid)
ON CONFLICT DO NOTHING
"""
KNOWN_SITTINGS = "SELECT id::text FROM sittings WHERE id = ANY($1::uuid[])"
EXAMS_OF_VERSIONS = "SELECT id, exam_id FROM exam_versions WHERE id = ANY($1::uuid[])"


async def exams_of_versions(
    conn: Connection, version_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Exam version -> its exam, for the versions that exist."""
    rows = await conn.fetch(EXAMS_OF_VERSIONS, version_ids)
    return {r["id"]: r["exam_id"] for r in rows}


async def known_sittings(conn: Connection, sitting_ids: list[str]) -> list[str]:
    """Those of the sittings that exist, as the text PostgreSQL prints for a uuid."""
    return [r[0] for r in await conn.fetch(KNOWN_SITTINGS, sitting_ids)]


async def copy_answers(conn: Connection, rows: list[Row]) -> None:
    """One binary COPY; raises asyncpg.UniqueViolationError when a row is logged already."""
    await conn.copy_records_to_table("answer_log", records=rows, columns=COLUMNS)


async def insert_new_answers(conn: Connection, rows: list[Row]) -> None:
    """The rows not logged yet, of sittings that exist; the others are skipped."""
    await conn.execute(INSERT_NEW_ANSWERS, *_insert_columns(rows))


def _insert_columns(rows: list[Row]) -> list[list[Any]]:
    """``INSERT_NEW_ANSWERS``'s seven arrays: text for the response, epoch ms for the server
    time."""
    return [
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [bytes(r[4]).decode() for r in rows],
        [r[5] for r in rows],
        [round(r[6].timestamp() * 1000) for r in rows],
    ]
