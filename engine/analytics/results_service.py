"""The results table of an exam, for its teachers."""

from __future__ import annotations

import uuid

from engine.analytics import repository
from engine.analytics.models import ResultRow
from engine.analytics.scope import exam_scope
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool


async def exam_results(pool: Pool, principal: Principal, exam_id: uuid.UUID) -> list[ResultRow]:
    scope = await exam_scope(pool, principal, exam_id)
    async with pool.acquire() as conn:
        return await repository.exam_results(conn, exam_id, scope.org_filter)
