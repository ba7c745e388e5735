"""Preparing a session before it opens: sittings pre-created, access opened to exactly the
allocated form in the allocated session, and every form's paper marked for warm-up.

With a sitting row already in state 'created', ``start_sitting`` skips its INSERT and the
re-read (engine/sittings/service.py), so the start stampede is a read plus the Redis session
(as Moodle 5.0 creates attempts ahead of time). Preparing is idempotent: run it again after a
change (a lost room) and only what is missing is created.

Access uses what accounts already enforce at start (engine/sittings/access.py): the
form is assigned to the student's school and classes, and a per-student window override opens
it only during the student's own session (closed for classmates on other forms).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from engine.kernel.principal import Principal
from engine.kernel.sql import Connection
from engine.ports import WithPapers, WithPool, WithRedis, WithSettings
from engine.redis_adapter.keys import new_sitting_id, shard_of
from engine.scheduling import access
from engine.scheduling import repository_preparation as preparation
from engine.scheduling.models import PrepareReport
from engine.scheduling.repository_preparation import NewSitting
from engine.scheduling.warmup import announce


class Needs(WithPapers, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


async def prepare_in_transaction(
    conn: Connection, session_id: uuid.UUID, actor_id: uuid.UUID, shards: int
) -> tuple[int, dict[str, str]]:
    """(sittings created, form exam id → published version id)."""
    versions = await preparation.form_versions(conn, session_id)
    placed = await preparation.session_placements(conn, session_id)
    in_a_class = [(p, p.class_id) for p in placed if p.class_id is not None]
    await preparation.assign_to_schools(
        conn, [p.exam_id for p in placed], [p.org_id for p in placed]
    )
    await preparation.assign_to_classes(
        conn,
        [p.exam_id for p, _ in in_a_class],
        [class_id for _, class_id in in_a_class],
        [p.org_id for p, _ in in_a_class],
    )
    await preparation.allow_only_allocated(
        conn,
        list(versions),
        list({class_id for _, class_id in in_a_class}),
        [p.student_id for p in placed],
        actor_id,
    )
    sittings = []
    for p in placed:
        sitting_id = new_sitting_id(shards)
        sittings.append(
            NewSitting(
                sitting_id,
                p.org_id,
                p.exam_id,
                versions[p.exam_id],
                p.student_id,
                shard_of(sitting_id, shards),
            )
        )
    created = await preparation.insert_sittings(conn, sittings)
    await preparation.link_sittings(conn, session_id)
    await preparation.mark_prepared(conn, session_id)
    return created, {str(k): str(v) for k, v in versions.items()}


async def prepare_session(svc: Needs, session_id: uuid.UUID, actor_id: uuid.UUID) -> PrepareReport:
    async with svc.pool.acquire() as conn, conn.transaction():
        ends_at = await preparation.lock_session(conn, session_id)
        created, versions = await prepare_in_transaction(
            conn, session_id, actor_id, svc.settings.stream_shards
        )
    warmed = sorted(versions.values())
    await announce(svc, warmed, ends_at)
    return PrepareReport(session_id, created, warmed)


async def prepare(svc: Needs, principal: Principal, session_id: uuid.UUID) -> PrepareReport:
    async with svc.pool.acquire() as conn:
        await access.session_to_manage(conn, principal, session_id)
    return await prepare_session(svc, session_id, principal.user_id)


async def prepare_due(svc: Needs, lead_s: int) -> list[PrepareReport]:
    """Every allocated session opening within ``lead_s`` that is not prepared yet."""
    async with svc.pool.acquire() as conn:
        due = await preparation.due_sessions(conn, lead_s)
    return [await prepare_session(svc, s.id, s.created_by) for s in due]
