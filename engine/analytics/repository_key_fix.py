"""SQL of fixing an item's key for one exam (engine/analytics/key_fix_service.py): its lock,
the item and the graded sittings it re-grades, and the stored correction.

Rows become Structs here and nowhere else; every function runs on the caller's connection,
inside the fix's transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.kernel.sql import Connection, required

# one key fix of an exam at a time: a second waits, then builds on the first
LOCK_EXAM_KEYS = "SELECT pg_advisory_xact_lock(hashtextextended('key-fix:' || $1::text, 0))"
ITEM_FOR_KEY_FIX = """
SELECT v.kind, v.content, v.answer_key, v.authored, c.changes, c.answer_key AS fixed_key
FROM item_versions v
LEFT JOIN exam_key_corrections c ON c.exam_id = $3 AND c.item_id = v.item_id::text
WHERE v.item_id = $1 AND v.version = $2
"""
# sittings that are not finished yet: their grading would still read the old key
UNFINISHED_SITTINGS = """
SELECT count(*) FROM sittings WHERE exam_id = $1 AND state IN ('active', 'submitted')
"""
GRADED_WITH_ANSWER = """
SELECT r.sitting_id, r.items, a.response
FROM results r
LEFT JOIN LATERAL (
    SELECT response FROM answer_log
    WHERE exam_id = r.exam_id AND sitting_id = r.sitting_id AND item_id = $2
    ORDER BY seq DESC LIMIT 1
) a ON true
WHERE r.exam_id = $1
FOR UPDATE OF r
"""
UPSERT_KEY_CORRECTION = """
INSERT INTO exam_key_corrections (exam_id, item_id, answer_key, previous_key, changes, reason,
                                  corrected_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (exam_id, item_id) DO UPDATE
SET answer_key = EXCLUDED.answer_key, changes = EXCLUDED.changes, reason = EXCLUDED.reason,
    corrected_by = EXCLUDED.corrected_by, corrected_at = now()
"""
UPDATE_REGRADED = """
UPDATE results r SET points = u.points, items = u.items, outcome = u.outcome, updated_at = now()
FROM (SELECT unnest($1::uuid[]) AS sitting_id, unnest($2::float8[]) AS points,
             unnest($3::jsonb[]) AS items, unnest($4::jsonb[]) AS outcome) u
WHERE r.sitting_id = u.sitting_id
"""
UPDATE_REGRADED_SITTINGS = """
UPDATE sittings s SET points = u.points
FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::float8[]) AS points) u
WHERE s.id = u.id
"""
WINDOW_OF_EXAM = """
SELECT v.window_close + make_interval(secs => v.grace_s) < now() AS closed
FROM exam_versions v WHERE v.exam_id = $1 AND v.status = 'published'
"""


class ItemForKeyFix(msgspec.Struct, frozen=True):
    kind: str
    content: dict[str, Any]
    # the published version's own key, and its authoring fields
    answer_key: dict[str, Any]
    authored: dict[str, Any]
    # the exam's earlier fix of this item, if any: the authoring fields it changed and its key
    changes: dict[str, Any] | None
    fixed_key: dict[str, Any] | None


class GradedAnswer(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    # the stored item scores (results.items)
    items: dict[str, Any]
    # the latest answer of the item being fixed (None: never answered)
    response: dict[str, Any] | None


async def lock_exam_keys(conn: Connection, exam_id: uuid.UUID) -> None:
    """Held until the transaction ends."""
    await conn.execute(LOCK_EXAM_KEYS, str(exam_id))


async def exam_is_over(conn: Connection, exam_id: uuid.UUID) -> bool:
    """The published window and its grace have closed (False: no published version)."""
    return bool(await conn.fetchval(WINDOW_OF_EXAM, exam_id))


async def unfinished_sittings(conn: Connection, exam_id: uuid.UUID) -> int:
    count: int = await conn.fetchval(UNFINISHED_SITTINGS, exam_id)
    return count


async def item_for_key_fix(
    conn: Connection, item_id: uuid.UUID, version: int, exam_id: uuid.UUID
) -> ItemForKeyFix:
    """The item version on the exam's published paper (so it exists) with the exam's fix."""
    row = await conn.fetchrow(ITEM_FOR_KEY_FIX, item_id, version, exam_id)
    return ItemForKeyFix(**dict(required(row, "the published item to fix")))


async def graded_with_answer(
    conn: Connection, exam_id: uuid.UUID, item_id: str
) -> list[GradedAnswer]:
    """Every graded sitting of the exam, locked for the re-grade."""
    return [GradedAnswer(**dict(r)) for r in await conn.fetch(GRADED_WITH_ANSWER, exam_id, item_id)]


async def save_key_correction(
    conn: Connection,
    exam_id: uuid.UUID,
    item_id: str,
    *,
    key: dict[str, Any],
    previous_key: dict[str, Any],
    changes: dict[str, Any],
    reason: str,
    corrected_by: uuid.UUID,
) -> None:
    await conn.execute(
        UPSERT_KEY_CORRECTION, exam_id, item_id, key, previous_key, changes, reason, corrected_by
    )


async def store_regraded(
    conn: Connection,
    sitting_ids: list[uuid.UUID],
    points: list[float],
    items: list[Any],
    outcomes: list[Any],
) -> None:
    """The re-graded sittings' results, and their points on the sittings themselves."""
    await conn.execute(UPDATE_REGRADED, sitting_ids, points, items, outcomes)
    await conn.execute(UPDATE_REGRADED_SITTINGS, sitting_ids, points)
