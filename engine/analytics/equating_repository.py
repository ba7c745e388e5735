"""SQL of event equating (engine/analytics/equating_service.py): the event's forms, and the
run's record with the abilities it rescored.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.analytics.models import EquatingReport, EquatingRun
from engine.kernel.sql import Connection

# the event's forms, the reference form first: the form of the earliest session, then by its
# position in that session
EVENT_FORMS = """
SELECT sf.exam_id, v.spec, v.score_scale, v.window_close
FROM session_forms sf
JOIN exam_sessions s ON s.id = sf.session_id
JOIN exam_versions v ON v.exam_id = sf.exam_id AND v.status = 'published'
WHERE s.event_id = $1
GROUP BY sf.exam_id, v.spec, v.score_scale, v.window_close
ORDER BY min(s.starts_at), min(sf.position), sf.exam_id
"""
INSERT_EQUATING = """
INSERT INTO equating_runs (id, event_id, org_id, model, status, requested_by)
VALUES ($1, $2, $3, $4, 'running', $5)
"""
RUNNING_EQUATING = """
SELECT id FROM equating_runs
WHERE event_id = $1 AND status = 'running' AND started_at > now() - interval '1 hour'
"""
FINISH_EQUATING = """
UPDATE equating_runs SET status = 'done', finished_at = now(), report = $2 WHERE id = $1
"""
FAIL_EQUATING = """
UPDATE equating_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
EQUATING_COLUMNS = "id, event_id, model, status, started_at, finished_at, report, error"
LATEST_EQUATING = f"""
SELECT {EQUATING_COLUMNS} FROM equating_runs WHERE event_id = $1
ORDER BY started_at DESC LIMIT 1
"""
EQUATING_BY_ID = f"SELECT {EQUATING_COLUMNS} FROM equating_runs WHERE id = $1"
UPDATE_EQUATED_ABILITIES = """
UPDATE results r SET theta = u.theta, theta_se = u.se, scaled_score = u.scaled,
       equating_id = $1, updated_at = now()
FROM (SELECT unnest($2::uuid[]) AS sitting_id, unnest($3::float8[]) AS theta,
             unnest($4::float8[]) AS se, unnest($5::float8[]) AS scaled) u
WHERE r.sitting_id = u.sitting_id
"""


class EventForm(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    # the form's published paper and reporting scale, as stored (JSON)
    spec: dict[str, Any]
    score_scale: dict[str, Any] | None
    window_close: datetime


async def event_forms(conn: Connection, event_id: uuid.UUID) -> list[EventForm]:
    """The event's forms, the reference form first."""
    return [EventForm(**dict(r)) for r in await conn.fetch(EVENT_FORMS, event_id)]


def _equating_run(row: Any) -> EquatingRun:
    report = row["report"]
    return EquatingRun(
        id=row["id"],
        event_id=row["event_id"],
        model=row["model"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        report=None if report is None else msgspec.convert(report, EquatingReport),
        error=row["error"],
    )


async def is_running(conn: Connection, event_id: uuid.UUID) -> bool:
    """An equating of this event started within the hour and not finished (an older one is
    taken as lost with its process)."""
    return bool(await conn.fetchval(RUNNING_EQUATING, event_id))


async def insert_equating(
    conn: Connection,
    run_id: uuid.UUID,
    event_id: uuid.UUID,
    org_id: uuid.UUID,
    model: str,
    requested_by: uuid.UUID,
) -> EquatingRun:
    """The run, recorded as running."""
    await conn.execute(INSERT_EQUATING, run_id, event_id, org_id, model, requested_by)
    return _equating_run(await conn.fetchrow(EQUATING_BY_ID, run_id))


async def latest_equating(conn: Connection, event_id: uuid.UUID) -> EquatingRun | None:
    row = await conn.fetchrow(LATEST_EQUATING, event_id)
    return None if row is None else _equating_run(row)


async def store_equated_abilities(
    conn: Connection,
    run_id: uuid.UUID,
    sitting_ids: list[str],
    theta: list[float],
    se: list[float],
    scaled: list[float],
) -> None:
    """Each sitting's θ, its SE and scaled score on the reference form's scale."""
    await conn.execute(UPDATE_EQUATED_ABILITIES, run_id, sitting_ids, theta, se, scaled)


async def finish_equating(conn: Connection, run_id: uuid.UUID, report: EquatingReport) -> None:
    await conn.execute(FINISH_EQUATING, run_id, report)  # jsonb: msgspec encodes it


async def fail_equating(conn: Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(FAIL_EQUATING, run_id, error)
