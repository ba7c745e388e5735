"""Equating the forms of an event: every sitting of every form scored on one scale.

The organiser asks once every form's window has closed. The forms are calibrated together
(grading/equating.py), every sitting's θ, SE and scaled score are rewritten on the reference
form's scale, and the run keeps a report of each form's link. The numeric work runs in the
analysis lane (engine/cpu_jobs.py) like a calibration; each form's results version is bumped
so its statistics and results are read afresh.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from datetime import UTC, datetime
from typing import Protocol

import asyncpg
import msgspec
import numpy as np

from engine.analytics import equating_repository, repository
from engine.analytics.calibration_service import points_matrix, response_matrix
from engine.analytics.models import (
    EquatingReport,
    EquatingRequest,
    EquatingRun,
    FormEquatingView,
    LinkingView,
)
from engine.analytics.repository import SittingTexts
from engine.exams.models import ExamSpec
from engine.kernel.errors import conflict, not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection, Pool
from engine.ports import WithCpu, WithPool, WithRedis, WithSettings
from engine.redis_adapter import results_version
from engine.scheduling.access import event_to_manage
from grading.equating import equate_forms
from grading.irt import POLYTOMOUS_MODELS, IrtModel, ScoreScale, scaled_score


class Needs(WithCpu, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


log = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()


class Form(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    items: list[str]


Equated = tuple[EquatingReport, list[str], np.ndarray, np.ndarray, np.ndarray]


def _se(value: float) -> float | None:
    return None if math.isnan(value) else value


def equate_rows(
    forms: list[Form],
    rows: list[SittingTexts],
    model: IrtModel,
    replicates: int,
    scale: ScoreScale,
) -> Equated:
    """The pure, CPU-heavy part: matrices, the concurrent calibration, the report."""
    # GRM, GPCM, PCM: points, made categories over every form at once (grading/equating.py)
    to_matrix = points_matrix if model in POLYTOMOUS_MODELS else response_matrix
    matrices = [to_matrix(f.items, r) for f, r in zip(forms, rows, strict=True)]
    result = equate_forms(matrices, [f.items for f in forms], model, replicates=replicates)
    views = [
        FormEquatingView(
            exam_id=form.exam_id,
            design=summary.design,
            sittings=summary.persons,
            items=summary.items,
            common_with_reference=summary.common_with_reference,
            common_with_others=summary.common_with_others,
            population_mean=summary.population_mean,
            population_sd=summary.population_sd,
            stocking_lord=None
            if summary.stocking_lord is None
            else LinkingView(
                method=summary.stocking_lord.method,
                slope=summary.stocking_lord.slope,
                intercept=summary.stocking_lord.intercept,
                slope_se=_se(summary.stocking_lord.slope_se),
                intercept_se=_se(summary.stocking_lord.intercept_se),
                common_items=summary.stocking_lord.common_items,
                replicates=summary.stocking_lord.replicates,
            ),
        )
        for form, summary in zip(forms, result.forms, strict=True)
    ]
    report = EquatingReport(
        forms=views,
        iterations=result.iterations,
        converged=result.converged,
        log_likelihood=result.log_likelihood,
        scale=scale,
    )
    sittings = [sitting for form_rows in rows for sitting in form_rows.sitting_ids]
    return report, sittings, result.theta, result.se, scaled_score(result.theta, scale)


async def _form_rows(conn: Connection, forms: list[Form]) -> list[SittingTexts]:
    return [await repository.graded_items_text(conn, f.exam_id) for f in forms]


async def _read_form_rows(dsn: str, forms: list[Form]) -> list[SittingTexts]:
    conn = await asyncpg.connect(dsn)
    try:
        return await _form_rows(conn, forms)
    finally:
        await conn.close()


def equate_event(
    dsn: str, forms: list[Form], model: IrtModel, replicates: int, scale: ScoreScale
) -> Equated:
    """The whole job, in a worker process that reads the forms' results itself."""
    return equate_rows(forms, asyncio.run(_read_form_rows(dsn, forms)), model, replicates, scale)


async def _run(
    svc: Needs,
    run_id: uuid.UUID,
    forms: list[Form],
    request: EquatingRequest,
    scale: ScoreScale,
) -> None:
    pool = svc.pool
    try:
        if svc.cpu.inline_for("calibration"):
            async with pool.acquire() as conn:
                rows = await _form_rows(conn, forms)
            equated = equate_rows(forms, rows, request.model, request.replicates, scale)
        else:
            equated = await svc.cpu.run(
                "calibration",
                equate_event,
                svc.settings.database_url,
                forms,
                request.model,
                request.replicates,
                scale,
                wait=True,
            )
        report, sittings, theta, se, scaled = equated
        async with pool.acquire() as conn, conn.transaction():
            await equating_repository.store_equated_abilities(
                conn, run_id, sittings, theta.tolist(), se.tolist(), scaled.tolist()
            )
            await equating_repository.finish_equating(conn, run_id, report)
        for form in forms:
            await results_version.bump(svc.redis, svc.settings.redis_namespace, form.exam_id)
    except Exception as err:
        log.exception("equating %s failed", run_id)
        async with pool.acquire() as conn:
            await equating_repository.fail_equating(conn, run_id, f"{type(err).__name__}: {err}")


async def start_equating(
    svc: Needs, principal: Principal, event_id: uuid.UUID, request: EquatingRequest
) -> EquatingRun:
    async with svc.pool.acquire() as conn:
        event = await event_to_manage(conn, principal, event_id)
        event_forms = await equating_repository.event_forms(conn, event_id)
    if not event_forms:
        raise conflict("event_without_forms", "The event has no forms to equate")
    if any(f.window_close > datetime.now(UTC) for f in event_forms):
        raise conflict(
            "exam_still_open",
            "A form's window is still open",
            "forms are equated once every response of every form is in",
        )
    forms = [
        Form(
            exam_id=f.exam_id,
            items=[
                str(ref.id) for s in msgspec.convert(f.spec, ExamSpec).sections for ref in s.items
            ],
        )
        for f in event_forms
    ]
    reference_scale = event_forms[0].score_scale
    scale = request.scale or (
        msgspec.convert(reference_scale, ScoreScale) if reference_scale else ScoreScale()
    )
    run_id = uuid.uuid4()
    async with svc.pool.acquire() as conn, conn.transaction():
        if await equating_repository.is_running(conn, event_id):
            raise conflict("equating_running", "An equating of this event is running")
        run = await equating_repository.insert_equating(
            conn, run_id, event_id, event.org_id, request.model, principal.user_id
        )
    task = asyncio.create_task(_run(svc, run_id, forms, request, scale))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return run


async def latest_equating(pool: Pool, principal: Principal, event_id: uuid.UUID) -> EquatingRun:
    async with pool.acquire() as conn:
        await event_to_manage(conn, principal, event_id)
        run = await equating_repository.latest_equating(conn, event_id)
    if run is None:
        raise not_found("equating")
    return run


async def wait_for_equatings() -> None:
    """Let runs in flight finish (used on shutdown and by tests)."""
    if _running:
        await asyncio.gather(*_running, return_exceptions=True)
