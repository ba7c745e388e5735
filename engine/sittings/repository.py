"""SQL for sittings and results. Rows become Structs here and nowhere else.

Every function runs on the caller's connection, so the services keep their transactions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.sql import Connection
from engine.sittings.models import SittingState
from grading.types import ItemScore, Response

SITTING_OF_STUDENT = """
SELECT id, exam_version_id, state, started_at, deadline, extra_time_s
FROM sittings WHERE exam_id = $1 AND student_id = $2
"""
INSERT_SITTING = """
INSERT INTO sittings (id, org_id, exam_id, exam_version_id, student_id, shard, state)
VALUES ($1, $2, $3, $4, $5, $6, 'created')
ON CONFLICT (exam_id, student_id) DO NOTHING
"""
MARK_ACTIVE = """
UPDATE sittings SET state = 'active', started_at = $2, deadline = $3
WHERE id = $1 AND state = 'created'
"""
SITTING_FOR_GRADING = """
SELECT s.id, s.org_id, s.exam_id, s.exam_version_id, s.student_id, s.state, s.submitted_at,
       s.submitted_by
FROM sittings s WHERE s.id = $1
"""
SITTINGS_FOR_GRADING = """
SELECT s.id, s.org_id, s.exam_id, s.exam_version_id, s.student_id, s.state, s.submitted_at,
       s.submitted_by
FROM sittings s WHERE s.id = ANY($1::uuid[]) AND s.state <> 'graded'
"""
# a batch of graded sittings in one statement; only those not graded meanwhile come back
MARK_GRADED_MANY = """
UPDATE sittings s
SET state = 'graded', submitted_at = coalesce(s.submitted_at, g.submitted_at),
    submitted_by = coalesce(s.submitted_by, g.submitted_by), graded_at = now(),
    points = g.points, max_points = g.max_points
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::float8[], $5::float8[])
     AS g(id, submitted_at, submitted_by, points, max_points)
WHERE s.id = g.id AND s.state <> 'graded'
RETURNING s.id, s.graded_at
"""
RESULT_COLUMNS = (
    "sitting_id",
    "org_id",
    "exam_id",
    "points",
    "max_points",
    "items",
    "graded_at",
    "outcome",
)
# The latest answer of each item from the durable log: used when the Redis session is gone.
LATEST_LOGGED_ANSWERS = """
SELECT DISTINCT ON (item_id) item_id, response
FROM answer_log WHERE exam_id = $1 AND sitting_id = $2
ORDER BY item_id, seq DESC
"""
MARK_GRADED = """
UPDATE sittings
SET state = 'graded', submitted_at = coalesce(submitted_at, $2),
    submitted_by = coalesce(submitted_by, $3), graded_at = now(), points = $4, max_points = $5
WHERE id = $1 AND state <> 'graded'
RETURNING graded_at
"""
INSERT_RESULT = """
INSERT INTO results (sitting_id, org_id, exam_id, points, max_points, items, graded_at, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
UPDATE_RESULT = """
UPDATE results SET points = $2, max_points = $3, items = $4, outcome = $5, updated_at = now()
WHERE sitting_id = $1
"""
UPDATE_SITTING_POINTS = "UPDATE sittings SET points = $2, max_points = $3 WHERE id = $1"
SITTING_WITH_RESULT = """
SELECT s.id, s.exam_id, s.student_id, s.org_id, s.state, e.org_id AS exam_org_id,
       v.instant_results, r.points, r.max_points, r.items, r.graded_at, r.outcome,
       r.theta, r.theta_se, r.scaled_score
FROM sittings s
JOIN exams e ON e.id = s.exam_id
JOIN exam_versions v ON v.id = s.exam_version_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1
"""
VERSION_INSTANT_RESULTS = "SELECT instant_results FROM exam_versions WHERE id = $1"


class SittingForGrading(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    exam_id: uuid.UUID
    exam_version_id: uuid.UUID
    student_id: uuid.UUID
    state: SittingState
    submitted_at: datetime | None
    submitted_by: str | None


class StudentSitting(msgspec.Struct, frozen=True):
    """A student's sitting of an exam as starting it needs it."""

    id: uuid.UUID
    exam_version_id: uuid.UUID
    state: SittingState
    started_at: datetime | None
    deadline: datetime | None
    extra_time_s: int


class SittingWithResult(msgspec.Struct, frozen=True):
    """A sitting, who may read it, and its result (the result's columns None until graded)."""

    id: uuid.UUID
    exam_id: uuid.UUID
    student_id: uuid.UUID
    org_id: uuid.UUID
    state: SittingState
    exam_org_id: uuid.UUID
    instant_results: bool
    points: float | None
    max_points: float | None
    items: dict[str, ItemScore] | None
    graded_at: datetime | None
    outcome: dict[str, object] | None
    theta: float | None
    theta_se: float | None
    scaled_score: float | None


_response_type = Response | None
_items_type = dict[str, ItemScore]


async def sitting_of_student(
    conn: Connection, exam_id: uuid.UUID, student_id: uuid.UUID
) -> StudentSitting | None:
    row = await conn.fetchrow(SITTING_OF_STUDENT, exam_id, student_id)
    return None if row is None else StudentSitting(**dict(row))


async def insert_sitting(
    conn: Connection,
    sitting_id: uuid.UUID,
    org_id: uuid.UUID,
    exam_id: uuid.UUID,
    exam_version_id: uuid.UUID,
    student_id: uuid.UUID,
    shard: int,
) -> bool:
    """A new sitting, unless the student has one of this exam already (a racing start):
    whether it was inserted."""
    status = await conn.execute(
        INSERT_SITTING, sitting_id, org_id, exam_id, exam_version_id, student_id, shard
    )
    return bool(status == "INSERT 0 1")


async def mark_active(
    conn: Connection, sitting_id: uuid.UUID, started_at: datetime, deadline: datetime
) -> None:
    await conn.execute(MARK_ACTIVE, sitting_id, started_at, deadline)


async def instant_results(conn: Connection, exam_version_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(VERSION_INSTANT_RESULTS, exam_version_id))


async def sitting_with_result(conn: Connection, sitting_id: uuid.UUID) -> SittingWithResult | None:
    row = await conn.fetchrow(SITTING_WITH_RESULT, sitting_id)
    if row is None:
        return None
    items = row["items"]
    return SittingWithResult(
        **{**dict(row), "items": None if items is None else msgspec.convert(items, _items_type)}
    )


async def sitting_for_grading(conn: Connection, sitting_id: uuid.UUID) -> SittingForGrading | None:
    row = await conn.fetchrow(SITTING_FOR_GRADING, sitting_id)
    return None if row is None else SittingForGrading(**dict(row))


async def sittings_for_grading(
    conn: Connection, sitting_ids: list[uuid.UUID]
) -> list[SittingForGrading]:
    """Those of the sittings that exist and are not graded yet."""
    return [
        SittingForGrading(**dict(r)) for r in await conn.fetch(SITTINGS_FOR_GRADING, sitting_ids)
    ]


async def logged_answers(
    conn: Connection, exam_id: uuid.UUID, sitting_id: uuid.UUID
) -> dict[str, Response | None]:
    """Item id -> the latest answer in the answer log."""
    rows = await conn.fetch(LATEST_LOGGED_ANSWERS, exam_id, sitting_id)
    return {r["item_id"]: msgspec.convert(r["response"], _response_type) for r in rows}


async def mark_graded(
    conn: Connection,
    sitting_id: uuid.UUID,
    submitted_at: datetime | None,
    submitted_by: str | None,
    points: float,
    max_points: float,
) -> datetime | None:
    """When the sitting was graded; None when it was graded meanwhile by someone else."""
    graded_at: datetime | None = await conn.fetchval(
        MARK_GRADED, sitting_id, submitted_at, submitted_by, points, max_points
    )
    return graded_at


async def mark_graded_many(
    conn: Connection,
    sitting_ids: list[uuid.UUID],
    submitted_at: list[datetime | None],
    submitted_by: list[str | None],
    points: list[float],
    max_points: list[float],
) -> dict[uuid.UUID, datetime]:
    """Sitting -> when it was graded, for those not graded meanwhile by someone else."""
    marked = await conn.fetch(
        MARK_GRADED_MANY, sitting_ids, submitted_at, submitted_by, points, max_points
    )
    return {m["id"]: m["graded_at"] for m in marked}


async def insert_result(
    conn: Connection,
    sitting_id: uuid.UUID,
    org_id: uuid.UUID,
    exam_id: uuid.UUID,
    points: float,
    max_points: float,
    items: Any,
    graded_at: datetime,
    outcome: dict[str, object],
) -> None:
    await conn.execute(
        INSERT_RESULT, sitting_id, org_id, exam_id, points, max_points, items, graded_at, outcome
    )


async def copy_results(conn: Connection, records: list[tuple[Any, ...]]) -> None:
    """Results in ``RESULT_COLUMNS`` order, in one COPY."""
    await conn.copy_records_to_table("results", records=records, columns=RESULT_COLUMNS)


async def update_result(
    conn: Connection,
    sitting_id: uuid.UUID,
    points: float,
    max_points: float,
    items: Any,
    outcome: dict[str, object],
) -> None:
    """A re-graded sitting's result and points, in place."""
    await conn.execute(UPDATE_RESULT, sitting_id, points, max_points, items, outcome)
    await conn.execute(UPDATE_SITTING_POINTS, sitting_id, points, max_points)
