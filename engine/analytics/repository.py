"""SQL of an exam's analysis: its scope, results, the statistics' inputs, common answers and
live progress.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
Calibration runs, marks and key fixes have repositories of their own (repository_*.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.analytics.models import ResultRow
from engine.kernel.sql import Connection

EXAM_SCOPE = """
SELECT e.id, e.org_id, v.id AS version_id, v.window_close, v.spec, v.score_scale
FROM exams e JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE e.id = $1
"""
ASSIGNED = "SELECT 1 FROM exam_assignments WHERE exam_id = $1 AND org_id = $2"
# staff of the exam's own organisation see every sitting; staff of an assigned school see
# their school's sittings only
RESULTS = """
SELECT s.id AS sitting_id, s.student_id, u.username, u.display_name, s.org_id, s.state,
       s.started_at, s.submitted_at, r.points, r.max_points,
       (r.outcome ->> 'percent')::float AS percent, (r.outcome ->> 'passed')::boolean AS passed,
       r.scaled_score
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.exam_id = $1 AND ($2::uuid IS NULL OR s.org_id = $2)
ORDER BY u.username
"""
# the pass mark a statistics view shows
SCORING_OF_VERSION = "SELECT scoring FROM exam_versions WHERE id = $1"
# the statistics job's inputs as JSON text, one row per sitting: the text goes to a worker
# process as it is (cheap to pickle) and is decoded there, not on the event loop
GRADED_ITEMS_TEXT = """
SELECT r.sitting_id::text AS sitting_id, r.items::text AS items FROM results r
WHERE r.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2)
ORDER BY r.sitting_id
"""
LATEST_CHOICES_TEXT = """
SELECT l.sitting_id::text AS sitting_id,
       jsonb_object_agg(l.item_id, l.response ->> 'choice')::text AS choices
FROM (SELECT DISTINCT ON (l.sitting_id, l.item_id) l.sitting_id, l.item_id, l.response
      FROM answer_log l JOIN results r ON r.sitting_id = l.sitting_id
      WHERE l.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2)
      ORDER BY l.sitting_id, l.item_id, l.seq DESC) l
WHERE l.response ->> 'choice' IS NOT NULL
GROUP BY l.sitting_id
"""
# time attributed to an item: the gap between an answer event and the sitting's previous one
# (or its start), summed per sitting and item, then averaged over sittings
MEAN_TIME_ON_ITEM = """
WITH gaps AS (
    SELECT l.item_id, l.sitting_id,
           extract(epoch FROM l.server_ts - coalesce(
               lag(l.server_ts) OVER (PARTITION BY l.sitting_id ORDER BY l.seq),
               s.started_at)) AS seconds
    FROM answer_log l JOIN sittings s ON s.id = l.sitting_id
    WHERE l.exam_id = $1 AND ($2::uuid IS NULL OR s.org_id = $2)
), per_sitting AS (
    SELECT item_id, sitting_id, sum(greatest(seconds, 0)) AS seconds FROM gaps
    GROUP BY item_id, sitting_id
)
SELECT item_id, avg(seconds) AS mean_seconds FROM per_sitting GROUP BY item_id
"""
# an exam's items with their keys as the exam grades them: a key fixed for the exam
# (exam_key_corrections) replaces the published version's own
ITEM_CONTENTS = """
SELECT v.item_id, v.version, v.kind, v.content,
       coalesce(c.answer_key, v.answer_key) AS answer_key, c.exam_id IS NOT NULL AS key_fixed
FROM item_versions v
LEFT JOIN exam_key_corrections c ON c.exam_id = $3 AND c.item_id = v.item_id::text
WHERE (v.item_id, v.version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
# the latest dichotomous calibration (a, b, c on the logit scale), for the 3PL-family readers
LATEST_PARAMETERS = """
SELECT p.item_id, p.a, p.b, p.c FROM item_parameters p
WHERE p.run_id = (SELECT id FROM calibration_runs WHERE exam_id = $1 AND status = 'done'
                    AND model IN ('Rasch', '1PL', '2PL', '3PL')
                  ORDER BY started_at DESC LIMIT 1)
"""
# the latest calibration of any model, graded items with their category boundaries
LATEST_ITEM_PARAMETERS = """
SELECT p.item_id, p.a, p.b, p.c, p.thresholds FROM item_parameters p
WHERE p.run_id = (SELECT id FROM calibration_runs WHERE exam_id = $1 AND status = 'done'
                  ORDER BY started_at DESC LIMIT 1)
"""
# the latest answer of one item in every graded sitting in scope, grouped and counted
COMMON_ANSWERS = """
SELECT a.response, count(*) AS n, sum(count(*)) OVER () AS answered
FROM (SELECT DISTINCT ON (l.sitting_id) l.response
      FROM answer_log l JOIN results r ON r.sitting_id = l.sitting_id
      WHERE l.exam_id = $1 AND l.item_id = $2 AND ($3::uuid IS NULL OR r.org_id = $3)
      ORDER BY l.sitting_id, l.seq DESC) a
WHERE a.response IS NOT NULL
GROUP BY a.response ORDER BY n DESC, a.response::text LIMIT $4
"""
PROGRESS = """
WITH exam AS (
    SELECT e.id, e.org_id, v.window_open FROM exams e
    JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published' WHERE e.id = $1
), schools AS (
    SELECT org_id FROM exam UNION SELECT org_id FROM exam_assignments WHERE exam_id = $1
), roster AS (
    SELECT u.id, u.org_id, u.class_id FROM users u JOIN schools s ON s.org_id = u.org_id
    WHERE u.role = 'student'
      AND (NOT EXISTS (SELECT 1 FROM exam_class_assignments c
                       WHERE c.exam_id = $1 AND c.org_id = u.org_id)
           OR EXISTS (SELECT 1 FROM exam_class_assignments c
                      WHERE c.exam_id = $1 AND c.class_id = u.class_id))
), people AS (
    SELECT id, org_id, class_id FROM roster
    UNION
    SELECT s.student_id, s.org_id, u.class_id FROM sittings s JOIN users u ON u.id = s.student_id
    WHERE s.exam_id = $1
), sign_ins AS (
    SELECT DISTINCT t.user_id FROM refresh_tokens t JOIN people p ON p.id = t.user_id
    WHERE t.created_at >= (SELECT window_open FROM exam) - make_interval(secs => $3)
)
SELECT p.org_id, o.name AS org_name, p.class_id, c.name AS class_name,
       count(*) AS assigned,
       count(*) FILTER (WHERE s.id IS NOT NULL OR i.user_id IS NOT NULL) AS signed_in,
       count(s.started_at) AS started,
       count(*) FILTER (WHERE s.state IN ('submitted', 'graded')) AS submitted,
       count(r.sitting_id) AS graded,
       avg((r.outcome ->> 'percent')::float) AS mean_percent,
       coalesce(array_agg(s.id) FILTER (WHERE s.state = 'active'), '{}') AS active
FROM people p
JOIN orgs o ON o.id = p.org_id
LEFT JOIN classes c ON c.id = p.class_id
LEFT JOIN sittings s ON s.exam_id = $1 AND s.student_id = p.id
LEFT JOIN results r ON r.sitting_id = s.id
LEFT JOIN sign_ins i ON i.user_id = p.id
WHERE $2::uuid IS NULL OR p.org_id = $2
GROUP BY p.org_id, o.name, p.class_id, c.name
ORDER BY o.name, c.name NULLS FIRST
"""
WINDOW = """
SELECT v.window_open, v.window_close FROM exam_versions v
WHERE v.exam_id = $1 AND v.status = 'published'
"""


class PublishedExam(msgspec.Struct, frozen=True):
    """An exam with its published version; ``spec`` and ``score_scale`` as stored (JSON)."""

    id: uuid.UUID
    org_id: uuid.UUID
    version_id: uuid.UUID
    window_close: datetime
    spec: dict[str, Any]
    score_scale: dict[str, Any] | None


class SittingTexts(msgspec.Struct, frozen=True):
    """One JSON text per sitting, in sitting order, beside its sitting's id: a job in a worker
    process decodes the texts itself (cheap to pickle, no decoding on the event loop)."""

    sitting_ids: list[str]
    texts: list[str]


class ItemContent(msgspec.Struct, frozen=True):
    item_id: uuid.UUID
    version: int
    kind: str
    content: dict[str, Any]
    # the key the exam grades with: a fixed key when there is one
    answer_key: dict[str, Any]
    key_fixed: bool


class CalibratedItem(msgspec.Struct, frozen=True):
    item_id: str
    a: float
    b: float
    c: float
    # graded and partial-credit items only
    thresholds: list[float] | None = None


class AnswerCount(msgspec.Struct, frozen=True):
    response: Any
    count: int


class CommonAnswerCounts(msgspec.Struct, frozen=True):
    # graded sittings in scope that answered the item at all
    answered: int
    counts: list[AnswerCount]


class GroupProgressRow(msgspec.Struct, frozen=True):
    org_id: uuid.UUID
    org_name: str
    class_id: uuid.UUID | None
    class_name: str | None
    assigned: int
    signed_in: int
    started: int
    submitted: int
    graded: int
    mean_percent: float | None
    # the group's sittings under way
    active: list[uuid.UUID]


class ExamWindow(msgspec.Struct, frozen=True):
    window_open: datetime
    window_close: datetime


async def published_exam(conn: Connection, exam_id: uuid.UUID) -> PublishedExam | None:
    row = await conn.fetchrow(EXAM_SCOPE, exam_id)
    return None if row is None else PublishedExam(**dict(row))


async def is_assigned(conn: Connection, exam_id: uuid.UUID, org_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(ASSIGNED, exam_id, org_id))


async def exam_results(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> list[ResultRow]:
    return [ResultRow(**dict(r)) for r in await conn.fetch(RESULTS, exam_id, org_filter)]


async def graded_items_text(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None = None
) -> SittingTexts:
    """Each graded sitting's item scores (``results.items``) as JSON text."""
    rows = await conn.fetch(GRADED_ITEMS_TEXT, exam_id, org_filter)
    return SittingTexts([r[0] for r in rows], [r[1] for r in rows])


async def latest_choices_text(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> SittingTexts:
    """Each graded sitting's latest choice per item ({item: option id}) as JSON text."""
    rows = await conn.fetch(LATEST_CHOICES_TEXT, exam_id, org_filter)
    return SittingTexts([r[0] for r in rows], [r[1] for r in rows])


async def mean_time_on_item(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None
) -> dict[str, Any]:
    """Mean seconds per item over the sittings in scope (numeric, as PostgreSQL computes it)."""
    rows = await conn.fetch(MEAN_TIME_ON_ITEM, exam_id, org_filter)
    return {r["item_id"]: r["mean_seconds"] for r in rows}


async def item_contents(
    conn: Connection, items: list[tuple[uuid.UUID, int]], exam_id: uuid.UUID
) -> list[ItemContent]:
    """The item versions ``items`` (id, version) with the keys this exam grades them with."""
    rows = await conn.fetch(ITEM_CONTENTS, [i for i, _ in items], [v for _, v in items], exam_id)
    return [ItemContent(**dict(r)) for r in rows]


async def latest_dichotomous_parameters(
    conn: Connection, exam_id: uuid.UUID
) -> list[CalibratedItem]:
    """The exam's latest Rasch/1PL/2PL/3PL calibration, none when it has not had one."""
    return [CalibratedItem(**dict(r)) for r in await conn.fetch(LATEST_PARAMETERS, exam_id)]


async def latest_item_parameters(conn: Connection, exam_id: uuid.UUID) -> list[CalibratedItem]:
    """The exam's latest calibration of any model, none when it has not had one."""
    return [
        CalibratedItem(
            item_id=r["item_id"],
            a=r["a"],
            b=r["b"],
            c=r["c"],
            thresholds=list(r["thresholds"]) if r["thresholds"] else None,
        )
        for r in await conn.fetch(LATEST_ITEM_PARAMETERS, exam_id)
    ]


async def pass_mark_of_version(conn: Connection, version_id: uuid.UUID) -> dict[str, Any] | None:
    scoring = await conn.fetchval(SCORING_OF_VERSION, version_id)
    pass_mark: dict[str, Any] | None = (scoring or {}).get("pass_mark")
    return pass_mark


async def common_answers(
    conn: Connection, exam_id: uuid.UUID, item_id: str, org_filter: uuid.UUID | None, limit: int
) -> CommonAnswerCounts:
    """The ``limit`` most frequent latest answers of one item, most frequent first."""
    rows = await conn.fetch(COMMON_ANSWERS, exam_id, item_id, org_filter, limit)
    return CommonAnswerCounts(
        answered=int(rows[0]["answered"]) if rows else 0,
        counts=[AnswerCount(response=r["response"], count=r["n"]) for r in rows],
    )


async def progress_by_group(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None, signed_in_early_s: float
) -> list[GroupProgressRow]:
    """Per school and class of the exam's roster: how far its students have come."""
    rows = await conn.fetch(PROGRESS, exam_id, org_filter, signed_in_early_s)
    return [GroupProgressRow(**dict(r)) for r in rows]


async def exam_window(conn: Connection, exam_id: uuid.UUID) -> ExamWindow | None:
    row = await conn.fetchrow(WINDOW, exam_id)
    return None if row is None else ExamWindow(**dict(row))
