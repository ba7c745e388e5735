"""Which sittings of an exam a staff member may analyse."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.analytics.repository import EXAM_SCOPE
from engine.auth.principal import Principal
from engine.exams.models import ExamSpec
from engine.problems import not_found

ASSIGNED = "SELECT 1 FROM exam_assignments WHERE exam_id = $1 AND org_id = $2"


class ExamScope(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    org_id: uuid.UUID
    version_id: uuid.UUID
    spec: ExamSpec
    # None: every school's sittings (the exam's own staff); else only this school's
    org_filter: uuid.UUID | None
    score_scale: dict[str, Any] | None
    window_close: Any


async def exam_scope(pool: Any, principal: Principal, exam_id: uuid.UUID) -> ExamScope:
    principal.require_staff()
    async with pool.acquire() as conn:
        row = await conn.fetchrow(EXAM_SCOPE, exam_id)
        if row is None:
            raise not_found("exam")
        if row["org_id"] == principal.org_id:
            org_filter = None
        elif await conn.fetchval(ASSIGNED, exam_id, principal.org_id):
            org_filter = principal.org_id
        else:
            raise not_found("exam")
    return ExamScope(
        exam_id=exam_id,
        org_id=row["org_id"],
        version_id=row["version_id"],
        spec=msgspec.convert(row["spec"], ExamSpec),
        org_filter=org_filter,
        score_scale=row["score_scale"],
        window_close=row["window_close"],
    )


def item_order(scope: ExamScope) -> list[tuple[str, str, int]]:
    """(item id, section title, version) in the exam's authored order."""
    return [(str(r.id), s.title, r.version) for s in scope.spec.sections for r in s.items]
