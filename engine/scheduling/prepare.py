"""Preparing a session before it opens: sittings pre-created, access opened to exactly the
allocated form in the allocated session, and every form's paper marked for warm-up.

With a sitting row already in state 'created', ``start_sitting`` skips its INSERT and the
re-read (engine/sittings/service.py), so the start stampede is a read plus the Redis session
(as Moodle 5.0 creates attempts ahead of time). Preparing is idempotent: run it again after a
change (a lost room) and only what is missing is created.

Access uses what accounts already enforce at start (engine/accounts/sitting_access.py): the
form is assigned to the student's school and classes, and a per-student window override opens
it only during the student's own session (closed for classmates on other forms).
"""

from __future__ import annotations

import uuid
from typing import Any

from engine.kernel.principal import Principal
from engine.scheduling import access
from engine.scheduling.models import PrepareReport
from engine.scheduling.repository_seats import (
    ALLOW_ONLY_ALLOCATED,
    ASSIGN_CLASSES,
    ASSIGN_SCHOOLS,
    DUE_SESSIONS,
    FORM_VERSIONS,
    INSERT_SITTINGS,
    LINK_SITTINGS,
    MARK_PREPARED,
    SESSION_PLACEMENTS,
)
from engine.scheduling.warmup import announce
from engine.services import Services
from engine.sittings.keys import new_sitting_id, shard_of


async def prepare_in_transaction(
    conn: Any, session_id: uuid.UUID, actor_id: uuid.UUID, shards: int
) -> tuple[int, dict[str, str]]:
    """(sittings created, form exam id → published version id)."""
    versions = {r["exam_id"]: r["version_id"] for r in await conn.fetch(FORM_VERSIONS, session_id)}
    placed = await conn.fetch(SESSION_PLACEMENTS, session_id)
    with_class = [p for p in placed if p["class_id"] is not None]
    await conn.execute(
        ASSIGN_SCHOOLS, [p["exam_id"] for p in placed], [p["org_id"] for p in placed]
    )
    await conn.execute(
        ASSIGN_CLASSES,
        [p["exam_id"] for p in with_class],
        [p["class_id"] for p in with_class],
        [p["org_id"] for p in with_class],
    )
    await conn.execute(
        ALLOW_ONLY_ALLOCATED,
        list(versions),
        list({p["class_id"] for p in with_class}),
        [p["student_id"] for p in placed],
        actor_id,
    )
    ids = [new_sitting_id(shards) for _ in placed]
    status = await conn.execute(
        INSERT_SITTINGS,
        ids,
        [p["org_id"] for p in placed],
        [p["exam_id"] for p in placed],
        [versions[p["exam_id"]] for p in placed],
        [p["student_id"] for p in placed],
        [shard_of(i, shards) for i in ids],
    )
    await conn.execute(LINK_SITTINGS, session_id)
    await conn.execute(MARK_PREPARED, session_id)
    return int(status.split()[-1]), {str(k): str(v) for k, v in versions.items()}


async def prepare_session(
    svc: Services, session_id: uuid.UUID, actor_id: uuid.UUID
) -> PrepareReport:
    async with svc.pool.acquire() as conn, conn.transaction():
        session = await conn.fetchrow(
            "SELECT ends_at FROM exam_sessions WHERE id = $1 FOR UPDATE", session_id
        )
        created, versions = await prepare_in_transaction(
            conn, session_id, actor_id, svc.settings.stream_shards
        )
    warmed = sorted(versions.values())
    await announce(svc, warmed, session["ends_at"])
    return PrepareReport(session_id, created, warmed)


async def prepare(svc: Services, principal: Principal, session_id: uuid.UUID) -> PrepareReport:
    async with svc.pool.acquire() as conn:
        await access.session_to_manage(conn, principal, session_id)
    return await prepare_session(svc, session_id, principal.user_id)


async def prepare_due(svc: Services, lead_s: int) -> list[PrepareReport]:
    """Every allocated session opening within ``lead_s`` that is not prepared yet."""
    async with svc.pool.acquire() as conn:
        due = await conn.fetch(DUE_SESSIONS, float(lead_s))
    return [await prepare_session(svc, r["id"], r["created_by"]) for r in due]
