"""SQL of the reviews of one sitting: the teacher's (engine/web/review.py) and the student's own
once graded (engine/web/student_review.py). Rows become Structs here and nowhere else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.exams.models import ExamSpec
from engine.kernel.sql import Connection
from engine.web.timeline import AnswerEvent

SITTING_FOR_REVIEW = """
SELECT s.id, s.exam_id, s.org_id, s.state, s.started_at, s.submitted_at, u.username,
       u.display_name, r.points, r.max_points, r.items, (r.outcome ->> 'percent')::float AS percent
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1 AND s.exam_id = $2
"""
SITTING_TO_REVIEW = """
SELECT s.id, s.exam_id, s.student_id, s.state, s.exam_version_id, v.instant_results, v.spec,
       r.points, r.max_points, r.items
FROM sittings s JOIN exam_versions v ON v.id = s.exam_version_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1
"""
ITEM_CONTENTS = """
SELECT item_id, kind, content FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
AUTHORED_ITEMS = """
SELECT item_id, kind, authored FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
LATEST_ANSWERS = """
SELECT DISTINCT ON (item_id) item_id, response FROM answer_log
WHERE exam_id = $1 AND sitting_id = $2 ORDER BY item_id, seq DESC
"""
ANSWER_EVENTS = """
SELECT seq, item_id, server_ts AS at FROM answer_log
WHERE exam_id = $1 AND sitting_id = $2 ORDER BY seq
"""


class ReviewedSitting(msgspec.Struct, frozen=True):
    """A sitting as its teacher reviews it: the student, and the result once graded."""

    id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID
    state: str
    started_at: datetime | None
    submitted_at: datetime | None
    username: str
    display_name: str
    points: float | None
    max_points: float | None
    # item id -> {points, max_points, status}; None until graded
    items: dict[str, Any] | None
    percent: float | None


class OwnSitting(msgspec.Struct, frozen=True):
    """A sitting as its student reviews it: whose it is, whether its results are released,
    the paper as authored, and the result once graded."""

    id: uuid.UUID
    exam_id: uuid.UUID
    student_id: uuid.UUID
    state: str
    exam_version_id: uuid.UUID
    instant_results: bool
    spec: ExamSpec
    points: float | None
    max_points: float | None
    items: dict[str, Any] | None


class ItemText(msgspec.Struct, frozen=True):
    """An item version's kind and either its student content or its authored document."""

    kind: str
    document: dict[str, Any]


def _refs(refs: list[tuple[uuid.UUID, int]]) -> tuple[list[uuid.UUID], list[int]]:
    return [r[0] for r in refs], [r[1] for r in refs]


async def sitting_for_review(
    conn: Connection, sitting_id: uuid.UUID, exam_id: uuid.UUID
) -> ReviewedSitting | None:
    row = await conn.fetchrow(SITTING_FOR_REVIEW, sitting_id, exam_id)
    return None if row is None else ReviewedSitting(**dict(row))


async def own_sitting(conn: Connection, sitting_id: uuid.UUID) -> OwnSitting | None:
    row = await conn.fetchrow(SITTING_TO_REVIEW, sitting_id)
    if row is None:
        return None
    return OwnSitting(**{**dict(row), "spec": msgspec.convert(row["spec"], ExamSpec)})


async def item_contents(conn: Connection, refs: list[tuple[uuid.UUID, int]]) -> dict[str, ItemText]:
    """Item id -> kind and student content (stem, options) of each version."""
    rows = await conn.fetch(ITEM_CONTENTS, *_refs(refs))
    return {str(r["item_id"]): ItemText(r["kind"], r["content"]) for r in rows}


async def authored_items(
    conn: Connection, refs: list[tuple[uuid.UUID, int]]
) -> dict[str, ItemText]:
    """Item id -> kind and authored document (with its key and explanation) of each version."""
    rows = await conn.fetch(AUTHORED_ITEMS, *_refs(refs))
    return {str(r["item_id"]): ItemText(r["kind"], r["authored"]) for r in rows}


async def logged_answers(
    conn: Connection, exam_id: uuid.UUID, sitting_id: uuid.UUID
) -> dict[str, Any]:
    """Item id -> the latest answer in the answer log, as stored (plain JSON data)."""
    rows = await conn.fetch(LATEST_ANSWERS, exam_id, sitting_id)
    return {str(r["item_id"]): r["response"] for r in rows}


async def answer_events(
    conn: Connection, exam_id: uuid.UUID, sitting_id: uuid.UUID
) -> list[AnswerEvent]:
    rows = await conn.fetch(ANSWER_EVENTS, exam_id, sitting_id)
    return [AnswerEvent(r["seq"], r["item_id"], r["at"]) for r in rows]
