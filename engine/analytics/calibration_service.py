"""IRT calibration of a closed exam, then re-scoring every sitting with the new parameters.

The numeric work runs in the analysis lane's worker process (engine/cpu_jobs.py) so the event
loop keeps serving; the new abilities bump the exam's results version (statistics are computed
afresh: results_version.py); the run is recorded in
``calibration_runs`` so a teacher can follow it and see its figures.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np

from engine.analytics import results_version
from engine.analytics.models import CalibrationRequest, CalibrationRun
from engine.analytics.repository import (
    FAIL_RUN,
    FINISH_RUN,
    GRADED_ITEMS,
    INSERT_PARAMETERS,
    INSERT_RUN,
    LATEST_RUN,
    RUN_BY_ID,
    RUNNING_RUN,
    UPDATE_ABILITIES,
)
from engine.analytics.scope import ExamScope, exam_scope, item_order
from engine.auth.principal import Principal
from engine.problems import conflict, not_found
from engine.services import Services
from grading.calibration import CalibrationResult, calibrate
from grading.irt import ScoreScale, score_abilities

log = logging.getLogger(__name__)

# runs in flight in this process; held so the tasks are not garbage-collected mid-way
_running: set[asyncio.Task[None]] = set()


def response_matrix(order: list[str], results: list[Any]) -> np.ndarray:
    """persons × items: 1 correct, 0 otherwise (blank counts as wrong, as in UTBK scoring),
    NaN where the item was not scored dichotomously (awaiting a mark) or not presented."""
    index = {item_id: j for j, item_id in enumerate(order)}
    matrix = np.full((len(results), len(order)), np.nan)
    for i, row in enumerate(results):
        for item_id, score in row["items"].items():
            j = index.get(item_id)
            if j is None or score["status"] == "pending_manual":
                continue
            matrix[i, j] = 1.0 if score["status"] == "correct" else 0.0
    return matrix


def _fit(matrix: np.ndarray, model: str, scale: ScoreScale
         ) -> tuple[CalibrationResult, np.ndarray, np.ndarray, np.ndarray]:
    result = calibrate(matrix, model)  # type: ignore[arg-type]
    abilities, scaled = score_abilities(matrix, result.items, scale)
    return result, abilities.theta, abilities.se, scaled


async def _run(svc: Services, scope: ExamScope, run_id: uuid.UUID, model: str,
               scale: ScoreScale) -> None:
    pool = svc.pool
    try:
        async with pool.acquire() as conn:
            results = await conn.fetch(GRADED_ITEMS, scope.exam_id, None)
        order = [item_id for item_id, _, _ in item_order(scope)]
        matrix = response_matrix(order, results)
        result, theta, se, scaled = await svc.cpu.run("calibration", _fit, matrix, model, scale,
                                                      wait=True)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(INSERT_PARAMETERS, run_id, order,
                               [p.a for p in result.items], [p.b for p in result.items],
                               [p.c for p in result.items])
            await conn.execute(UPDATE_ABILITIES, run_id, [r["sitting_id"] for r in results],
                               theta.tolist(), se.tolist(), scaled.tolist())
            await conn.execute(FINISH_RUN, run_id, len(results), len(order), result.iterations,
                               result.converged, result.log_likelihood)
        await results_version.bump(svc.redis, svc.settings.redis_namespace, scope.exam_id)
    except Exception as err:
        log.exception("calibration %s failed", run_id)
        async with pool.acquire() as conn:
            await conn.execute(FAIL_RUN, run_id, f"{type(err).__name__}: {err}")


def _run_view(row: Any) -> CalibrationRun:
    return CalibrationRun(**{f: row[f] for f in CalibrationRun.__struct_fields__})


async def start_calibration(svc: Services, principal: Principal, exam_id: uuid.UUID,
                            request: CalibrationRequest) -> CalibrationRun:
    pool = svc.pool
    scope = await exam_scope(pool, principal, exam_id)
    if scope.org_filter is not None:
        raise not_found("exam")  # only the exam's own organisation calibrates it
    if scope.window_close > datetime.now(UTC):
        raise conflict("exam_still_open", "The exam window is still open",
                       "item parameters are calibrated once every response is in")
    scale = request.scale or (msgspec.convert(scope.score_scale, ScoreScale)
                              if scope.score_scale else ScoreScale())
    run_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval(RUNNING_RUN, exam_id):
            raise conflict("calibration_running", "A calibration of this exam is running")
        await conn.execute(INSERT_RUN, run_id, exam_id, scope.org_id, request.model,
                           principal.user_id)
        row = await conn.fetchrow(RUN_BY_ID, run_id)
    task = asyncio.create_task(_run(svc, scope, run_id, request.model, scale))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return _run_view(row)


async def latest_calibration(pool: Any, principal: Principal, exam_id: uuid.UUID
                             ) -> CalibrationRun:
    await exam_scope(pool, principal, exam_id)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(LATEST_RUN, exam_id)
    if row is None:
        raise not_found("calibration")
    return _run_view(row)


async def wait_for_calibrations() -> None:
    """Let runs in flight finish (used on shutdown and by tests)."""
    if _running:
        await asyncio.gather(*_running, return_exceptions=True)
