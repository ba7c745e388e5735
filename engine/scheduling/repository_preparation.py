"""SQL of preparing a session: its sittings pre-created, its forms opened to exactly the
students allocated to them, and the sessions due for it.

Every function runs on the caller's connection, inside the transaction that prepares.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from engine.kernel.sql import Connection

# the session's row stays locked while it is prepared: two preparations of it run one by one
LOCK_SESSION = "SELECT ends_at FROM exam_sessions WHERE id = $1 FOR UPDATE"
FORM_VERSIONS = """
SELECT f.exam_id, v.id AS version_id
FROM session_forms f JOIN exam_versions v ON v.exam_id = f.exam_id AND v.status = 'published'
WHERE f.session_id = $1
"""
SESSION_PLACEMENTS = """
SELECT a.student_id, a.org_id, a.exam_id, u.class_id
FROM seat_allocations a JOIN users u ON u.id = a.student_id WHERE a.session_id = $1
"""
ASSIGN_SCHOOLS = """
INSERT INTO exam_assignments (exam_id, org_id)
SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING
"""
ASSIGN_CLASSES = """
INSERT INTO exam_class_assignments (exam_id, class_id, org_id)
SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) ON CONFLICT DO NOTHING
"""
# Each form opens, for a student of the classes that sit it, only in the session where they
# were given that form; for their classmates on other forms it never opens (a window in 1970:
# starting says exam_closed). Only the window is written: time limits and extra time a
# teacher set (accommodations) stay.
ALLOW_ONLY_ALLOCATED = """
INSERT INTO exam_overrides (exam_id, student_id, org_id, window_open, window_close, updated_by)
SELECT f.exam_id, u.id, u.org_id,
       coalesce(mine.starts_at, 'epoch'::timestamptz),
       coalesce(mine.ends_at, 'epoch'::timestamptz + interval '1 second'), $4
FROM unnest($1::uuid[]) AS f (exam_id)
CROSS JOIN users u
LEFT JOIN LATERAL (
    SELECT s.starts_at, s.ends_at FROM seat_allocations a
    JOIN exam_sessions s ON s.id = a.session_id
    WHERE a.student_id = u.id AND a.exam_id = f.exam_id ORDER BY s.starts_at LIMIT 1
) mine ON true
WHERE u.role = 'student' AND (u.class_id = ANY($2::uuid[]) OR u.id = ANY($3::uuid[]))
ON CONFLICT (exam_id, student_id) DO UPDATE
SET window_open = EXCLUDED.window_open, window_close = EXCLUDED.window_close,
    updated_by = EXCLUDED.updated_by, updated_at = now()
"""
INSERT_SITTINGS = """
INSERT INTO sittings (id, org_id, exam_id, exam_version_id, student_id, shard, state)
SELECT *, 'created' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                $6::int[])
ON CONFLICT (exam_id, student_id) DO NOTHING
"""
LINK_SITTINGS = """
UPDATE seat_allocations a SET sitting_id = st.id
FROM sittings st
WHERE a.session_id = $1 AND st.exam_id = a.exam_id AND st.student_id = a.student_id
  AND a.sitting_id IS DISTINCT FROM st.id
"""
MARK_PREPARED = "UPDATE exam_sessions SET prepared_at = now() WHERE id = $1"
# allocated sessions opening within the lead time that are not prepared yet
DUE_SESSIONS = """
SELECT s.id, e.created_by FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id
WHERE s.prepared_at IS NULL AND s.allocated_at IS NOT NULL
  AND s.starts_at <= now() + make_interval(secs => $1) AND s.ends_at > now()
ORDER BY s.starts_at
"""


class SessionPlacement(msgspec.Struct, frozen=True):
    student_id: uuid.UUID
    org_id: uuid.UUID
    exam_id: uuid.UUID
    class_id: uuid.UUID | None


class NewSitting(msgspec.Struct, frozen=True):
    id: uuid.UUID
    org_id: uuid.UUID
    exam_id: uuid.UUID
    exam_version_id: uuid.UUID
    student_id: uuid.UUID
    shard: int


class DueSession(msgspec.Struct, frozen=True):
    id: uuid.UUID
    created_by: uuid.UUID  # the event's organiser, who prepares it


async def lock_session(conn: Connection, session_id: uuid.UUID) -> datetime:
    """The session's end (when its papers may leave the cache), its row locked."""
    ends_at: datetime = await conn.fetchval(LOCK_SESSION, session_id)
    return ends_at


async def form_versions(conn: Connection, session_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """Each form's exam id → its published version's id."""
    rows = await conn.fetch(FORM_VERSIONS, session_id)
    return {r["exam_id"]: r["version_id"] for r in rows}


async def session_placements(conn: Connection, session_id: uuid.UUID) -> list[SessionPlacement]:
    rows = await conn.fetch(SESSION_PLACEMENTS, session_id)
    return [SessionPlacement(**dict(r)) for r in rows]


async def assign_to_schools(
    conn: Connection, exam_ids: list[uuid.UUID], org_ids: list[uuid.UUID]
) -> None:
    """Each exam to the school at the same position (repeats are ignored)."""
    await conn.execute(ASSIGN_SCHOOLS, exam_ids, org_ids)


async def assign_to_classes(
    conn: Connection,
    exam_ids: list[uuid.UUID],
    class_ids: list[uuid.UUID],
    org_ids: list[uuid.UUID],
) -> None:
    """Each exam to the class (of the school) at the same position (repeats are ignored)."""
    await conn.execute(ASSIGN_CLASSES, exam_ids, class_ids, org_ids)


async def allow_only_allocated(
    conn: Connection,
    form_exam_ids: list[uuid.UUID],
    class_ids: list[uuid.UUID],
    student_ids: list[uuid.UUID],
    actor_id: uuid.UUID,
) -> None:
    await conn.execute(ALLOW_ONLY_ALLOCATED, form_exam_ids, class_ids, student_ids, actor_id)


async def insert_sittings(conn: Connection, sittings: list[NewSitting]) -> int:
    """How many were created: a student who already has a sitting of the exam keeps it."""
    status: str = await conn.execute(
        INSERT_SITTINGS,
        *([getattr(s, f) for s in sittings] for f in NewSitting.__struct_fields__),
    )
    return int(status.split()[-1])


async def link_sittings(conn: Connection, session_id: uuid.UUID) -> None:
    await conn.execute(LINK_SITTINGS, session_id)


async def mark_prepared(conn: Connection, session_id: uuid.UUID) -> None:
    await conn.execute(MARK_PREPARED, session_id)


async def due_sessions(conn: Connection, lead_s: int) -> list[DueSession]:
    """Allocated sessions opening within ``lead_s`` seconds that are not prepared yet."""
    return [DueSession(**dict(r)) for r in await conn.fetch(DUE_SESSIONS, float(lead_s))]
