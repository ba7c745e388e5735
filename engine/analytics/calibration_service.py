"""IRT calibration of a closed exam, then re-scoring every sitting with the new parameters.

The numeric work runs in the analysis lane's worker process (engine/cpu_jobs.py) so the event
loop keeps serving; the new abilities bump the exam's results version (statistics are computed
afresh: engine/redis_adapter/results_version.py); the run is recorded in
``calibration_runs`` so a teacher can follow it and see its figures.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Protocol

import asyncpg
import msgspec
import numpy as np

from engine.analytics import repository, repository_calibration
from engine.analytics.models import CalibrationRequest, CalibrationRun
from engine.analytics.repository import SittingTexts
from engine.analytics.scope import ExamScope, exam_scope, item_order
from engine.kernel.errors import conflict, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Pool
from engine.ports import WithCpu, WithPool, WithRedis, WithSettings
from engine.redis_adapter import results_version
from grading.calibration import CalibrationResult, calibrate
from grading.graded import categories_from_points
from grading.irt import POLYTOMOUS_MODELS, IrtModel, ScoreScale, score_abilities


class Needs(WithCpu, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)

# runs in flight in this process; held so the tasks are not garbage-collected mid-way
_running: set[asyncio.Task[None]] = set()


class _Score(msgspec.Struct):
    status: str
    points: float = 0.0


_scores = msgspec.json.Decoder(dict[str, _Score])
Fitted = tuple[CalibrationResult, list[str], np.ndarray, np.ndarray, np.ndarray]


def response_matrix(order: list[str], results: SittingTexts, model: IrtModel = "2PL") -> np.ndarray:
    """persons × items: for the dichotomous models 1 correct, 0 otherwise (blank counts as
    wrong, as in UTBK scoring); for the polytomous models (GRM, GPCM, PCM) the item's score
    category (its distinct point values in order). NaN where the item awaits a mark or was
    not presented (missing by design)."""
    if model in POLYTOMOUS_MODELS:
        return categories_from_points(points_matrix(order, results))
    index = {item_id: j for j, item_id in enumerate(order)}
    matrix = np.full((len(results.texts), len(order)), np.nan)
    for i, items in enumerate(results.texts):
        for item_id, score in _scores.decode(items).items():
            j = index.get(item_id)
            if j is not None and score.status != "pending_manual":
                matrix[i, j] = 1.0 if score.status == "correct" else 0.0
    return matrix


def points_matrix(order: list[str], results: SittingTexts) -> np.ndarray:
    """persons × items points; NaN where the item awaits a mark or was not presented."""
    index = {item_id: j for j, item_id in enumerate(order)}
    matrix = np.full((len(results.texts), len(order)), np.nan)
    for i, items in enumerate(results.texts):
        for item_id, score in _scores.decode(items).items():
            j = index.get(item_id)
            if j is not None and score.status != "pending_manual":
                matrix[i, j] = score.points
    return matrix


def fit_rows(order: list[str], rows: SittingTexts, model: IrtModel, scale: ScoreScale) -> Fitted:
    """The pure, CPU-heavy part: the matrix, the item parameters, every person's ability."""
    matrix = response_matrix(order, rows, model)
    result = calibrate(matrix, model)
    abilities, scaled = score_abilities(matrix, result.items, scale, latent_sd=result.latent_sd)
    return result, rows.sitting_ids, abilities.theta, abilities.se, scaled


async def _read_rows(dsn: str, exam_id: uuid.UUID) -> SittingTexts:
    conn = await asyncpg.connect(dsn)
    try:
        return await repository.graded_items_text(conn, exam_id)
    finally:
        await conn.close()


def fit_exam(
    dsn: str, exam_id: uuid.UUID, order: list[str], model: IrtModel, scale: ScoreScale
) -> Fitted:
    """The whole job, in a worker process: it reads the exam's results itself (sending
    hundreds of thousands of rows from the API process would pickle them under its GIL)."""
    return fit_rows(order, asyncio.run(_read_rows(dsn, exam_id)), model, scale)


async def _run(
    svc: Needs, scope: ExamScope, run_id: uuid.UUID, model: IrtModel, scale: ScoreScale
) -> None:
    pool = svc.pool
    try:
        order = [item_id for item_id, _, _ in item_order(scope)]
        if svc.cpu.inline_for("calibration"):
            async with pool.acquire() as conn:
                rows = await repository.graded_items_text(conn, scope.exam_id)
            fitted = fit_rows(order, rows, model, scale)
        else:
            fitted = await svc.cpu.run(
                "calibration",
                fit_exam,
                svc.settings.database_url,
                scope.exam_id,
                order,
                model,
                scale,
                wait=True,
            )
        result, sittings, theta, se, scaled = fitted
        async with pool.acquire() as conn, conn.transaction():
            await repository_calibration.insert_parameters(conn, run_id, order, result.items)
            await repository_calibration.store_abilities(
                conn, run_id, sittings, theta.tolist(), se.tolist(), scaled.tolist()
            )
            await repository_calibration.finish_run(
                conn,
                run_id,
                persons=len(sittings),
                items=len(order),
                iterations=result.iterations,
                converged=result.converged,
                log_likelihood=result.log_likelihood,
                latent_sd=result.latent_sd,
            )
        await results_version.bump(svc.redis, svc.settings.redis_namespace, scope.exam_id)
    except Exception as err:
        log.exception("calibration %s failed", run_id)
        async with pool.acquire() as conn:
            await repository_calibration.fail_run(conn, run_id, f"{type(err).__name__}: {err}")


async def start_calibration(
    svc: Needs, principal: Principal, exam_id: uuid.UUID, request: CalibrationRequest
) -> CalibrationRun:
    pool = svc.pool
    scope = await exam_scope(pool, principal, exam_id)
    if scope.org_filter is not None:
        raise not_found("exam")  # only the exam's own organisation calibrates it
    if scope.window_close > datetime.now(UTC):
        raise conflict(
            "exam_still_open",
            "The exam window is still open",
            "item parameters are calibrated once every response is in",
        )
    scale = request.scale or (
        msgspec.convert(scope.score_scale, ScoreScale) if scope.score_scale else ScoreScale()
    )
    run_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        if await repository_calibration.is_running(conn, exam_id):
            raise conflict("calibration_running", "A calibration of this exam is running")
        run = await repository_calibration.insert_run(
            conn, run_id, exam_id, scope.org_id, request.model, principal.user_id
        )
    task = asyncio.create_task(_run(svc, scope, run_id, request.model, scale))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return run


async def latest_calibration(
    pool: Pool, principal: Principal, exam_id: uuid.UUID
) -> CalibrationRun:
    await exam_scope(pool, principal, exam_id)
    async with pool.acquire() as conn:
        run = await repository_calibration.latest_run(conn, exam_id)
    if run is None:
        raise not_found("calibration")
    return run


async def wait_for_calibrations() -> None:
    """Let runs in flight finish (used on shutdown and by tests)."""
    if _running:
        await asyncio.gather(*_running, return_exceptions=True)
