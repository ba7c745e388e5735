"""SQL of forensics runs (engine/integrity/forensics.py, scheduler.py): the run's record, the
exams that closed, and the exam's answers, sittings and addresses the analysis reads.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.integrity.models import AnswerEvent, FinishedSitting, ForensicsRun
from engine.kernel.sql import Connection

INSERT_RUN = """
INSERT INTO integrity_runs (id, job_id, exam_id, org_id, trigger, status, requested_by)
VALUES ($1, $2, $3, $4, $5, 'queued', $6)
ON CONFLICT DO NOTHING
RETURNING id
"""
START_RUN = """
UPDATE integrity_runs SET status = 'running', started_at = now()
WHERE job_id = $1 AND status IN ('queued', 'failed')
RETURNING id, exam_id
"""
FINISH_RUN = """
UPDATE integrity_runs SET status = 'done', finished_at = now(), sittings = $2, items = $3,
       flags = $4, parameters = $5, seconds = $6
WHERE id = $1
"""
FAIL_RUN = """
UPDATE integrity_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
_RUN_COLUMNS = """id, exam_id, trigger, status, created_at, started_at, finished_at, sittings,
items, flags, parameters, seconds, error"""
LATEST_RUN = f"""
SELECT {_RUN_COLUMNS} FROM integrity_runs WHERE exam_id = $1 ORDER BY created_at DESC LIMIT 1
"""
RUN_BY_ID = f"SELECT {_RUN_COLUMNS} FROM integrity_runs WHERE id = $1"
# exams whose window (and every student's own window) closed, with grace, and not yet analysed
CLOSED_EXAMS = """
SELECT v.exam_id, e.org_id FROM exam_versions v JOIN exams e ON e.id = v.exam_id
WHERE v.status = 'published'
  AND greatest(v.window_close, (SELECT max(o.window_close) FROM exam_overrides o
                                WHERE o.exam_id = v.exam_id))
      + make_interval(secs => v.grace_s + $1) < now()
  AND v.window_close > now() - interval '14 days'
  AND NOT EXISTS (SELECT 1 FROM integrity_runs r WHERE r.exam_id = v.exam_id
                  AND r.trigger = 'close')
LIMIT 20
"""


PUBLISHED_VERSION_OF_EXAM = """
SELECT v.id, v.spec, v.shuffle, e.org_id FROM exam_versions v JOIN exams e ON e.id = v.exam_id
WHERE v.exam_id = $1 AND v.status = 'published'
"""
SINGLE_CHOICE_OPTIONS = """
SELECT item_id::text, content -> 'options' AS options FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
  AND kind = 'single_choice'
"""
# the room and seat the allocator gave the sitting (scheduled events), when it had one
FINISHED_SITTINGS = """
SELECT s.id, s.org_id, u.class_id, s.started_at, seat.room_id AS seat_room, seat.seat,
       seat.columns AS seat_columns, seat.name AS seat_room_name, seat.session_id AS seat_session
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN LATERAL (
    SELECT sa.room_id, sa.seat, r.columns, r.name, sa.session_id
    FROM seat_allocations sa JOIN school_rooms r ON r.id = sa.room_id
    WHERE sa.sitting_id = s.id OR (sa.student_id = s.student_id AND sa.exam_id = s.exam_id)
    ORDER BY sa.sitting_id = s.id DESC NULLS LAST
    LIMIT 1
) seat ON true
WHERE s.exam_id = $1 AND s.state IN ('submitted', 'graded')
ORDER BY s.id
"""
FINISHED_ANSWERS = """
SELECT l.sitting_id, l.seq, l.item_id, l.response, l.client_ts, l.server_ts
FROM answer_log l JOIN sittings s ON s.id = l.sitting_id
WHERE l.exam_id = $1 AND s.state IN ('submitted', 'graded')
ORDER BY l.sitting_id, l.seq
"""
FIRST_ADDRESSES = """
SELECT DISTINCT ON (sitting_id) sitting_id::text, event ->> 'ip' AS ip
FROM telemetry_log WHERE exam_id = $1 AND type = 'ip'
ORDER BY sitting_id, ts
"""
# a new run's verdict replaces the open flags of the runs before it
DROP_STALE_FORENSICS = """
DELETE FROM integrity_flags
WHERE exam_id = $1 AND source = 'forensics' AND status = 'open' AND run_id <> $2
RETURNING sitting_id
"""
SITTING_ORGS_OF_EXAM = "SELECT id, org_id FROM sittings WHERE exam_id = $1"


class ClosedExam(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    org_id: uuid.UUID


class PublishedVersion(msgspec.Struct, frozen=True):
    id: uuid.UUID
    # the paper as stored (JSON)
    spec: dict[str, Any]
    # each sitting had its own item order
    shuffle: bool
    org_id: uuid.UUID


async def insert_run(
    conn: Connection,
    run_id: uuid.UUID,
    job_id: str,
    exam_id: uuid.UUID,
    org_id: uuid.UUID,
    trigger: str,
    requested_by: uuid.UUID | None,
) -> bool:
    """The run, queued; False when the exam already has its closing run (a unique index)."""
    made = await conn.fetchval(INSERT_RUN, run_id, job_id, exam_id, org_id, trigger, requested_by)
    return made is not None


async def start_run(conn: Connection, job_id: str) -> uuid.UUID | None:
    """The job's run, now running; None when it has no run, or its run is running or done."""
    row = await conn.fetchrow(START_RUN, job_id)
    return None if row is None else uuid.UUID(str(row["id"]))


async def finish_run(
    conn: Connection,
    run_id: uuid.UUID,
    *,
    sittings: int,
    items: int,
    flags: int,
    parameters: str | None,
    seconds: dict[str, Any],
) -> None:
    await conn.execute(FINISH_RUN, run_id, sittings, items, flags, parameters, seconds)


async def fail_run(conn: Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(FAIL_RUN, run_id, error)


async def run_by_id(conn: Connection, run_id: uuid.UUID) -> ForensicsRun | None:
    row = await conn.fetchrow(RUN_BY_ID, run_id)
    return None if row is None else ForensicsRun(**dict(row))


async def latest_run(conn: Connection, exam_id: uuid.UUID) -> ForensicsRun | None:
    row = await conn.fetchrow(LATEST_RUN, exam_id)
    return None if row is None else ForensicsRun(**dict(row))


async def closed_exams(conn: Connection, margin_s: int) -> list[ClosedExam]:
    """Up to 20 exams closed (every window, its grace and ``margin_s``) within the last two
    weeks that have no closing run yet."""
    return [ClosedExam(**dict(r)) for r in await conn.fetch(CLOSED_EXAMS, margin_s)]


async def published_version(conn: Connection, exam_id: uuid.UUID) -> PublishedVersion | None:
    row = await conn.fetchrow(PUBLISHED_VERSION_OF_EXAM, exam_id)
    return None if row is None else PublishedVersion(**dict(row))


async def single_choice_options(
    conn: Connection, items: list[tuple[uuid.UUID, int]]
) -> dict[str, list[Any]]:
    """The options (as stored, JSON) of the single-choice items among these item versions."""
    rows = await conn.fetch(SINGLE_CHOICE_OPTIONS, [i for i, _ in items], [v for _, v in items])
    return {r["item_id"]: r["options"] or [] for r in rows}


# The two reads below are the analysis worker's large ones: each row becomes its Struct
# positionally (the SELECT lists the Struct's fields in order).
async def finished_sittings(conn: Connection, exam_id: uuid.UUID) -> list[FinishedSitting]:
    """The exam's submitted and graded sittings in id order: id, org_id, class_id,
    started_at, and seat_room, seat, seat_columns, seat_room_name, seat_session where the
    allocator seated the sitting."""
    return [FinishedSitting(*r) for r in await conn.fetch(FINISHED_SITTINGS, exam_id)]


async def finished_answers(conn: Connection, exam_id: uuid.UUID) -> list[AnswerEvent]:
    """Every answer event of the finished sittings, by sitting and seq: sitting_id, seq,
    item_id, response, client_ts, server_ts."""
    return [AnswerEvent(*r) for r in await conn.fetch(FINISHED_ANSWERS, exam_id)]


async def first_addresses(conn: Connection, exam_id: uuid.UUID) -> dict[str, str]:
    """The first IP address each sitting of the exam was seen from."""
    return {r["sitting_id"]: r["ip"] for r in await conn.fetch(FIRST_ADDRESSES, exam_id)}


async def sitting_orgs(conn: Connection, exam_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Every sitting of the exam (by id as text) with its school."""
    return {str(r["id"]): r["org_id"] for r in await conn.fetch(SITTING_ORGS_OF_EXAM, exam_id)}


async def drop_stale_forensic_flags(
    conn: Connection, exam_id: uuid.UUID, run_id: uuid.UUID
) -> list[uuid.UUID]:
    """Removes the open forensic flags of earlier runs; the sittings they were on."""
    rows = await conn.fetch(DROP_STALE_FORENSICS, exam_id, run_id)
    return [r["sitting_id"] for r in rows]
