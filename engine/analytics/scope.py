"""Which sittings of an exam a staff member may analyse."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.analytics import repository
from engine.exams.models import ExamSpec
from engine.kernel.errors import not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool


class ExamScope(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    org_id: uuid.UUID
    version_id: uuid.UUID
    spec: ExamSpec
    # None: every school's sittings (the exam's own staff); else only this school's
    org_filter: uuid.UUID | None
    score_scale: dict[str, Any] | None
    window_close: Any


async def exam_scope(pool: Pool, principal: Principal, exam_id: uuid.UUID) -> ExamScope:
    principal.require_staff()
    async with pool.acquire() as conn:
        exam = await repository.published_exam(conn, exam_id)
        if exam is None:
            raise not_found("exam")
        if exam.org_id == principal.org_id:
            org_filter = None
        elif await repository.is_assigned(conn, exam_id, principal.org_id):
            org_filter = principal.org_id
        else:
            raise not_found("exam")
    return ExamScope(
        exam_id=exam_id,
        org_id=exam.org_id,
        version_id=exam.version_id,
        spec=msgspec.convert(exam.spec, ExamSpec),
        org_filter=org_filter,
        score_scale=exam.score_scale,
        window_close=exam.window_close,
    )


def item_order(scope: ExamScope) -> list[tuple[str, str, int]]:
    """(item id, section title, version) in the exam's authored order."""
    return [(str(r.id), s.title, r.version) for s in scope.spec.sections for r in s.items]
