"""Grading a submitted sitting: latest answers + keys → scores → one transaction.

Idempotent: a sitting already graded is left as it is, so the student's own submit, the
sweeper's job and a redelivered job can all race safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from engine import metrics
from engine.cpu_jobs import CpuJobs
from engine.exams.grading_spec import GradingSpec
from engine.kernel.sql import Pool
from engine.redis_adapter import results_version
from engine.sittings import repository
from engine.sittings.latest import latest_responses
from engine.sittings.models import SittingResult
from engine.sittings.repository import SittingForGrading
from engine.sittings.store import SittingStore
from grading.outcomes import ExamOutcome, score_exam
from grading.types import ManualMark, Response

SpecLoader = Callable[[str], Awaitable[GradingSpec]]

# scoring runs in the caller when no pools are given (pure code, tests)
_INLINE = CpuJobs.inline()

# how long a graded sitting's Redis keys linger (a resumed page may still ask for its state)
GRADED_SESSION_TTL_S = 3600


class KeysCache:
    """Keys and scoring policy per exam version, in this process's memory: published versions
    never change, and a key is fixed only once every sitting of the exam is graded (so first
    gradings never meet a stale copy; re-grades read ``fresh``)."""

    def __init__(self, loader: SpecLoader) -> None:
        self._loader = loader
        self._specs: dict[str, GradingSpec] = {}

    async def get(self, exam_version_id: str) -> GradingSpec:
        spec = self._specs.get(exam_version_id)
        if spec is None:
            spec = self._specs[exam_version_id] = await self._loader(exam_version_id)
        return spec

    async def fresh(self, exam_version_id: str) -> GradingSpec:
        """The keys read again: a key fixed after the exam (engine/analytics/key_fix_service.py)
        may be newer than this process's copy, and a re-grade must never undo it."""
        spec = self._specs[exam_version_id] = await self._loader(exam_version_id)
        return spec

    def forget(self, exam_version_id: str) -> None:
        self._specs.pop(exam_version_id, None)


def outcome_summary(outcome: ExamOutcome) -> dict[str, object]:
    """The outcome as stored beside the item scores (which have a column of their own)."""
    summary: dict[str, object] = msgspec.to_builtins(outcome)
    summary.pop("items", None)
    return summary


def _ms_to_datetime(ms: str | None) -> datetime | None:
    return None if not ms else datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


async def _responses(
    pool: Pool, store: SittingStore, sitting: SittingForGrading
) -> dict[str, Response | None]:
    fields = await store.session_fields(sitting.id, "state")
    if fields[0] is not None:
        return latest_responses(await store.latest_answers(sitting.id))
    # the Redis session has gone (expired, or Redis lost it): the answer log is the record
    async with pool.acquire() as conn:
        return await repository.logged_answers(conn, sitting.exam_id, sitting.id)


async def grade_sitting(
    pool: Pool,
    store: SittingStore,
    keys_cache: KeysCache,
    sitting_id: uuid.UUID,
    cpu: CpuJobs | None = None,
    *,
    wait: bool = True,
) -> SittingResult | None:
    """Grade one submitted sitting; None when it does not exist or is not submitted yet.

    Scoring runs in the grading lane (engine/cpu_jobs.py): a background job waits for a slot,
    ``wait=False`` (instant grading on submit) raises ``busy`` instead, and the grader's
    stream grades the sitting a moment later."""
    async with pool.acquire() as conn:
        sitting = await repository.sitting_for_grading(conn, sitting_id)
    if sitting is None or sitting.state == "graded":
        return None
    state, submitted_ms, submitted_by = await store.session_fields(
        sitting_id, "state", "submitted", "submitted_by"
    )
    if state == "active":
        return None
    spec = await keys_cache.get(str(sitting.exam_version_id))
    outcome = await (cpu or _INLINE).run(
        "grading",
        score_exam,
        spec.keys_for(sitting_id),
        await _responses(pool, store, sitting),
        spec.policy,
        wait=wait,
    )
    async with pool.acquire() as conn, conn.transaction():
        graded_at = await repository.mark_graded(
            conn,
            sitting_id,
            _ms_to_datetime(submitted_ms),
            submitted_by,
            outcome.score,
            outcome.max_score,
        )
        if graded_at is None:
            return None  # graded meanwhile by someone else
        await repository.insert_result(
            conn,
            sitting_id,
            sitting.org_id,
            sitting.exam_id,
            outcome.score,
            outcome.max_score,
            msgspec.to_builtins(outcome.items),
            graded_at,
            outcome_summary(outcome),
        )
    metrics.graded_sittings.labels(submitted_by or "unknown").inc()
    # after the commit: statistics computed from now on see this result
    await results_version.bump(store.redis, store.keys.namespace, sitting.exam_id)
    await store.expire(sitting_id, GRADED_SESSION_TTL_S)
    return SittingResult(
        sitting_id=sitting_id,
        exam_id=sitting.exam_id,
        points=outcome.score,
        max_points=outcome.max_score,
        items=outcome.items,
        graded_at=graded_at,
        outcome=outcome_summary(outcome),
    )


def score_many(
    keys: Any, responses: list[dict[str, Response | None]], policy: Any
) -> list[ExamOutcome]:
    """Score the sittings of one exam version in one call: the grading lane receives the keys
    once per batch instead of once per sitting."""
    return [score_exam(keys, one, policy) for one in responses]


async def grade_sittings(
    pool: Pool,
    store: SittingStore,
    keys_cache: KeysCache,
    sitting_ids: list[uuid.UUID],
    cpu: CpuJobs | None = None,
) -> int:
    """Grade a batch of submitted sittings (the grader's stream, the overflow's jobs) in bulk:
    one query for the sittings, one Redis pipeline per read, one scoring call per exam
    version, and one transaction of two statements (an UPDATE over the batch, a COPY of the
    results). Idempotent like :func:`grade_sitting`. Returns how many it graded."""
    async with pool.acquire() as conn:
        found = await repository.sittings_for_grading(conn, sitting_ids)
    if not found:
        return 0
    sessions = await store.sessions_fields(
        [s.id for s in found], "state", "submitted", "submitted_by"
    )
    ready = [(s, f) for s, f in zip(found, sessions, strict=True) if f[0] != "active"]
    if not ready:
        return 0
    answers = await store.many_latest_answers([s.id for s, f in ready if f[0] is not None])
    by_version: dict[
        str, list[tuple[SittingForGrading, list[str | None], dict[str, Response | None]]]
    ] = {}
    for sitting, fields in ready:
        raw = answers.get(sitting.id) if fields[0] is not None else None
        if raw is not None:
            responses = latest_responses(raw)
        else:  # the Redis session has gone: the answer log is the record
            responses = await _responses(pool, store, sitting)
        by_version.setdefault(str(sitting.exam_version_id), []).append((sitting, fields, responses))
    graded: list[tuple[SittingForGrading, list[str | None], ExamOutcome]] = []
    for version, sittings in by_version.items():
        spec = await keys_cache.get(version)
        outcomes = await (cpu or _INLINE).run(
            "grading", score_many, spec.keys, [s[2] for s in sittings], spec.policy, wait=True
        )
        graded += [(s, fields, o) for (s, fields, _), o in zip(sittings, outcomes, strict=True)]
    async with pool.acquire() as conn, conn.transaction():
        graded_at = await repository.mark_graded_many(
            conn,
            [s.id for s, _, _ in graded],
            [_ms_to_datetime(fields[1]) for _, fields, _ in graded],
            [fields[2] for _, fields, _ in graded],
            [o.score for _, _, o in graded],
            [o.max_score for _, _, o in graded],
        )
        records = [
            (
                s.id,
                s.org_id,
                s.exam_id,
                o.score,
                o.max_score,
                msgspec.to_builtins(o.items),
                graded_at[s.id],
                outcome_summary(o),
            )
            for s, _, o in graded
            if s.id in graded_at  # the others were graded meanwhile by someone else
        ]
        if records:
            await repository.copy_results(conn, records)
    for _, fields, _ in (g for g in graded if g[0].id in graded_at):
        metrics.graded_sittings.labels(fields[2] or "unknown").inc()
    for exam_id in {s.exam_id for s, _, _ in graded if s.id in graded_at}:
        await results_version.bump(store.redis, store.keys.namespace, exam_id)
    await store.expire_many(list(graded_at), GRADED_SESSION_TTL_S)
    return len(records)


async def regrade_sitting(
    pool: Pool,
    store: SittingStore,
    keys_cache: KeysCache,
    sitting_id: uuid.UUID,
    manual_marks: dict[str, ManualMark],
    cpu: CpuJobs | None = None,
) -> ExamOutcome | None:
    """Score a graded sitting again with its essay marks and update its result in place."""
    async with pool.acquire() as conn:
        sitting = await repository.sitting_for_grading(conn, sitting_id)
    if sitting is None or sitting.state != "graded":
        return None
    spec = await keys_cache.fresh(str(sitting.exam_version_id))
    outcome = await (cpu or _INLINE).run(
        "grading",
        score_exam,
        spec.keys_for(sitting_id),
        await _responses(pool, store, sitting),
        spec.policy,
        manual_marks,
        wait=True,
    )
    async with pool.acquire() as conn, conn.transaction():
        await repository.update_result(
            conn,
            sitting_id,
            outcome.score,
            outcome.max_score,
            msgspec.to_builtins(outcome.items),
            outcome_summary(outcome),
        )
    await results_version.bump(store.redis, store.keys.namespace, sitting.exam_id)
    return outcome
