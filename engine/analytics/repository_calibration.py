"""SQL of IRT calibration runs (engine/analytics/calibration_service.py): the run's record,
the item parameters it fitted and the abilities it rescored.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from engine.analytics.models import CalibrationRun
from engine.kernel.sql import Connection, required
from grading.irt import ItemParameters

INSERT_RUN = """
INSERT INTO calibration_runs (id, exam_id, org_id, model, status, requested_by)
VALUES ($1, $2, $3, $4, 'running', $5)
"""
RUNNING_RUN = """
SELECT id FROM calibration_runs
WHERE exam_id = $1 AND status = 'running' AND started_at > now() - interval '1 hour'
"""
FINISH_RUN = """
UPDATE calibration_runs SET status = 'done', finished_at = now(), persons = $2, items = $3,
       iterations = $4, converged = $5, log_likelihood = $6, latent_sd = $7
WHERE id = $1
"""
FAIL_RUN = """
UPDATE calibration_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
LATEST_RUN = """
SELECT id, exam_id, model, status, started_at, finished_at, persons, items, iterations,
       converged, log_likelihood, error, latent_sd
FROM calibration_runs WHERE exam_id = $1 ORDER BY started_at DESC LIMIT 1
"""
RUN_BY_ID = """
SELECT id, exam_id, model, status, started_at, finished_at, persons, items, iterations,
       converged, log_likelihood, error, latent_sd
FROM calibration_runs WHERE id = $1
"""
INSERT_PARAMETERS = """
INSERT INTO item_parameters (run_id, item_id, a, b, c, thresholds)
SELECT $1, item_id, a, b, c, thresholds::float8[]
FROM unnest($2::text[], $3::float8[], $4::float8[], $5::float8[], $6::text[])
     AS u(item_id, a, b, c, thresholds)
"""
UPDATE_ABILITIES = """
UPDATE results r SET theta = u.theta, theta_se = u.se, scaled_score = u.scaled,
       calibration_id = $1, updated_at = now()
FROM (SELECT unnest($2::uuid[]) AS sitting_id, unnest($3::float8[]) AS theta,
             unnest($4::float8[]) AS se, unnest($5::float8[]) AS scaled) u
WHERE r.sitting_id = u.sitting_id
"""


async def is_running(conn: Connection, exam_id: uuid.UUID) -> bool:
    """A run of this exam started within the hour and not finished (an older one is taken
    as lost with its process)."""
    return bool(await conn.fetchval(RUNNING_RUN, exam_id))


async def insert_run(
    conn: Connection,
    run_id: uuid.UUID,
    exam_id: uuid.UUID,
    org_id: uuid.UUID,
    model: str,
    requested_by: uuid.UUID,
) -> CalibrationRun:
    """The run, recorded as running."""
    await conn.execute(INSERT_RUN, run_id, exam_id, org_id, model, requested_by)
    return CalibrationRun(
        **dict(required(await conn.fetchrow(RUN_BY_ID, run_id), "the run just made"))
    )


async def latest_run(conn: Connection, exam_id: uuid.UUID) -> CalibrationRun | None:
    row = await conn.fetchrow(LATEST_RUN, exam_id)
    return None if row is None else CalibrationRun(**dict(row))


def _array_literal(values: tuple[float, ...]) -> str | None:
    """A PostgreSQL array literal for the thresholds column (NULL for a dichotomous item)."""
    return "{" + ",".join(repr(v) for v in values) + "}" if values else None


async def insert_parameters(
    conn: Connection, run_id: uuid.UUID, item_ids: list[str], parameters: Sequence[ItemParameters]
) -> None:
    await conn.execute(
        INSERT_PARAMETERS,
        run_id,
        item_ids,
        [p.a for p in parameters],
        [p.b for p in parameters],
        [p.c for p in parameters],
        [_array_literal(p.thresholds) for p in parameters],
    )


async def store_abilities(
    conn: Connection,
    run_id: uuid.UUID,
    sitting_ids: list[str],
    theta: list[float],
    se: list[float],
    scaled: list[float],
) -> None:
    """Each sitting's θ, its SE and scaled score, as this run scored them."""
    await conn.execute(UPDATE_ABILITIES, run_id, sitting_ids, theta, se, scaled)


async def finish_run(
    conn: Connection,
    run_id: uuid.UUID,
    *,
    persons: int,
    items: int,
    iterations: int,
    converged: bool,
    log_likelihood: float,
    latent_sd: float,
) -> None:
    await conn.execute(
        FINISH_RUN, run_id, persons, items, iterations, converged, log_likelihood, latent_sd
    )


async def fail_run(conn: Connection, run_id: uuid.UUID, error: str) -> None:
    await conn.execute(FAIL_RUN, run_id, error)
