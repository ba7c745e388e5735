"""SQL of essay marking (engine/analytics/marking_service.py): the queue of answers awaiting
a mark, and the marks of a sitting.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.kernel.sql import Connection
from grading.types import ManualMark

SITTING_FOR_MARKING = """
SELECT s.id, s.exam_id, s.state, e.org_id AS exam_org_id, s.org_id
FROM sittings s JOIN exams e ON e.id = s.exam_id WHERE s.id = $1
"""
UPSERT_MARK = """
INSERT INTO manual_marks (sitting_id, item_id, points, criteria, note, marked_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sitting_id, item_id) DO UPDATE
SET points = EXCLUDED.points, criteria = EXCLUDED.criteria, note = EXCLUDED.note,
    marked_by = EXCLUDED.marked_by, marked_at = now()
"""
MARKS_OF_SITTING = """
SELECT item_id, points, criteria, marked_by FROM manual_marks WHERE sitting_id = $1
"""
PENDING_MARKS = """
SELECT r.sitting_id, u.username, i.key AS item_id, l.response
FROM results r
JOIN sittings s ON s.id = r.sitting_id
JOIN users u ON u.id = s.student_id
CROSS JOIN LATERAL jsonb_each(r.items) AS i(key, value)
LEFT JOIN LATERAL (
    SELECT response FROM answer_log
    WHERE exam_id = r.exam_id AND sitting_id = r.sitting_id AND item_id = i.key
    ORDER BY seq DESC LIMIT 1
) l ON true
WHERE r.exam_id = $1 AND i.value ->> 'status' = 'pending_manual'
  AND ($2::uuid IS NULL OR r.org_id = $2)
ORDER BY r.graded_at, u.username
LIMIT 500
"""

EXAM_VERSION_OF_SITTING = "SELECT exam_version_id FROM sittings WHERE id = $1"


class SittingForMarking(msgspec.Struct, frozen=True):
    id: uuid.UUID
    exam_id: uuid.UUID
    state: str
    exam_org_id: uuid.UUID
    # the sitting's school
    org_id: uuid.UUID


class AwaitingMark(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    username: str
    item_id: str
    # the latest answer as stored (None: never answered)
    response: dict[str, Any] | None


async def awaiting_marks(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> list[AwaitingMark]:
    """The first 500 answers awaiting a mark, oldest grading first."""
    return [AwaitingMark(**dict(r)) for r in await conn.fetch(PENDING_MARKS, exam_id, org_filter)]


async def sitting_for_marking(conn: Connection, sitting_id: uuid.UUID) -> SittingForMarking | None:
    row = await conn.fetchrow(SITTING_FOR_MARKING, sitting_id)
    return None if row is None else SittingForMarking(**dict(row))


async def exam_version_of_sitting(conn: Connection, sitting_id: uuid.UUID) -> uuid.UUID | None:
    version: uuid.UUID | None = await conn.fetchval(EXAM_VERSION_OF_SITTING, sitting_id)
    return version


async def save_mark(
    conn: Connection,
    sitting_id: uuid.UUID,
    item_id: str,
    points: float | None,
    criteria: dict[str, float],
    note: str,
    marked_by: uuid.UUID,
) -> None:
    """The marker's mark of an item, replacing an earlier one."""
    await conn.execute(UPSERT_MARK, sitting_id, item_id, points, criteria, note, marked_by)


async def marks_of_sitting(conn: Connection, sitting_id: uuid.UUID) -> dict[str, ManualMark]:
    return {
        r["item_id"]: ManualMark(
            points=r["points"], criteria=r["criteria"], marker=str(r["marked_by"])
        )
        for r in await conn.fetch(MARKS_OF_SITTING, sitting_id)
    }
