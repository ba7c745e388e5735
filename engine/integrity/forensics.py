"""The forensics job: an exam's answers → ``analyse_exam`` → flags with evidence.

IRT parameters come from the exam's latest calibration (``item_parameters``) when it covers
every item, else from a quick calibration of the same responses (``grading.calibration``).
The collusion rule tests pairs in one room (the allocated room, else the class's) or behind
one first IP, seat neighbours first; the all-pairs screen runs besides. The numeric work runs
in a worker process (engine/cpu_jobs.py). The job is idempotent per job id: a redelivered job
finds its run done and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import msgspec
import numpy as np

from engine.analytics import repository as analytics_repository
from engine.cpu_jobs import CpuJobs
from engine.db import connect
from engine.exams.loaders import load_keys
from engine.exams.models import ExamSpec
from engine.integrity import repository, repository_forensics
from engine.integrity.context import exam_thresholds
from engine.integrity.flag_store import flag_record, refresh_risk
from engine.integrity.matrices import ExamArrays, assemble
from engine.kernel.sql import Connection, Pool
from engine.redis_adapter import run_lock
from engine.redis_adapter.connections import RedisClient
from grading.calibration import calibrate
from grading.irt import IrtModel
from grading.keys import SingleChoiceKey
from proctoring.flags import Flag, MatchEvidence, PairEvidence
from proctoring.forensics import ForensicsReport, analyse_exam
from proctoring.thresholds import Thresholds

log = logging.getLogger(__name__)

Params = tuple[np.ndarray, np.ndarray, np.ndarray, str]

_INLINE = CpuJobs.inline()


def parameters(arrays: ExamArrays, calibrated: dict[str, tuple[float, float, float]]) -> Params:
    if calibrated and all(i in calibrated for i in arrays.items):
        a, b, c = (np.array([calibrated[i][k] for i in arrays.items]) for k in range(3))
        return a, b, c, "calibration"
    scores = np.where(
        arrays.responses >= 0, (arrays.responses == arrays.key[None, :]).astype(np.float64), np.nan
    )
    # 3PL needs many persons to pin the guessing parameter; small exams get 2PL
    model: IrtModel = "3PL" if scores.shape[0] >= 1000 else "2PL"
    fit = calibrate(scores, model)
    a = np.array([p.a for p in fit.items])
    b = np.array([p.b for p in fit.items])
    c = np.array([p.c for p in fit.items])
    return a, b, c, "quick"


def _option_ids(flag: Flag, options: dict[str, list[str]]) -> Flag:
    """Matched answers as the item's option ids (what a teacher sees), not matrix indices."""
    if not any(isinstance(e, MatchEvidence) for e in flag.evidence):
        return flag
    evidence = tuple(
        msgspec.structs.replace(e, response=options[e.item][int(e.response)])
        if isinstance(e, MatchEvidence)
        else e
        for e in flag.evidence
    )
    return msgspec.structs.replace(flag, evidence=evidence)


_PAIR_RULES = ("answer_similarity", "answer_similarity_screen", "timestamp_synchrony")


def _seat_words(flag: Flag, where: dict[str, tuple[str, str]]) -> Flag:
    """A pair flag's note says where both students sat, as the room list prints seats
    ("R3-C4"), when the allocator seated both: the reviewer walks to the room with it."""
    other = next((e.other_sitting for e in flag.evidence if isinstance(e, PairEvidence)), None)
    if flag.rule not in _PAIR_RULES or other is None:
        return flag
    mine, theirs = where.get(flag.sitting), where.get(other)
    if mine is None or theirs is None:
        return flag
    if mine[1] == theirs[1]:
        said = f"seated at {mine[0]} (this sitting) and {theirs[0]} (the other), both in {mine[1]}"
    else:
        said = f"seated at {mine[0]} in {mine[1]} (this sitting) and {theirs[0]} in {theirs[1]}"
    return msgspec.structs.replace(flag, note=f"{flag.note}; {said}")


def analyse(
    arrays: ExamArrays,
    calibrated: dict[str, tuple[float, float, float]],
    th: Thresholds,
    shuffled: bool = True,
) -> tuple[ForensicsReport, str]:
    a, b, c, source = parameters(arrays, calibrated)
    report = analyse_exam(
        sittings=arrays.sittings,
        item_ids=arrays.items,
        responses=arrays.responses,
        key=arrays.key,
        a=a,
        b=b,
        c=c,
        n_options=arrays.n_options,
        times=arrays.times,
        answered_at=arrays.answered_at,
        own_item_order=shuffled,
        changed=arrays.changed,
        blocks=arrays.blocks,
        sync_blocks=("room", "ip"),
        near_blocks=("room", "ip"),
        seats=arrays.seats,
        thresholds=th,
    )
    where = {
        sid: place
        for sid, place in zip(arrays.sittings, arrays.places or [], strict=False)
        if place is not None
    }
    flags = tuple(_seat_words(_option_ids(f, arrays.options), where) for f in report.flags)
    return msgspec.structs.replace(report, flags=flags), source


class ExamInputs(msgspec.Struct, frozen=True):
    """What the job needs besides the per-sitting rows (small: per item)."""

    options: dict[str, list[str]]
    correct: dict[str, str]
    calibrated: dict[str, tuple[float, float, float]]
    shuffled: bool = True  # each sitting had its own item order


Analysed = tuple[ForensicsReport, str, int, int] | None


async def _inputs(conn: Connection, pool: Pool, exam_id: uuid.UUID) -> ExamInputs | None:
    version = await repository_forensics.published_version(conn, exam_id)
    if version is None:
        return None
    spec = msgspec.convert(version.spec, ExamSpec)
    refs = [(r.id, r.version) for s in spec.sections for r in s.items]
    stored_options = await repository_forensics.single_choice_options(conn, refs)
    options = {
        item_id: [o["id"] for o in stored if isinstance(o, dict)]
        for item_id, stored in stored_options.items()
    }
    keys = await load_keys(pool, str(version.id))
    correct = {i: k.correct for i, k in keys.items() if isinstance(k, SingleChoiceKey)}
    calibrated = {
        p.item_id: (p.a, p.b, p.c)
        for p in await analytics_repository.latest_dichotomous_parameters(conn, exam_id)
    }
    return ExamInputs(options, correct, calibrated, bool(version.shuffle))


async def _arrays(conn: Connection, exam_id: uuid.UUID, inputs: ExamInputs) -> ExamArrays | None:
    sittings = await repository_forensics.finished_sittings(conn, exam_id)
    answers = await repository_forensics.finished_answers(conn, exam_id)
    ips = await repository_forensics.first_addresses(conn, exam_id)
    return assemble(inputs.options, inputs.correct, sittings, answers, ips)


def _analysed(arrays: ExamArrays | None, inputs: ExamInputs, th: Thresholds) -> Analysed:
    if arrays is None:
        return None
    report, source = analyse(arrays, inputs.calibrated, th, inputs.shuffled)
    return report, source, len(arrays.sittings), len(arrays.items)


async def _read_arrays(dsn: str, exam_id: uuid.UUID, inputs: ExamInputs) -> ExamArrays | None:
    conn = await connect(dsn)
    try:
        return await _arrays(conn, exam_id, inputs)
    finally:
        await conn.close()


def analyse_in_worker(dsn: str, exam_id: uuid.UUID, inputs: ExamInputs, th: Thresholds) -> Analysed:
    """The whole job, in a worker process: it reads every answer of the exam itself and
    assembles the arrays there (a national exam's answer log is millions of rows: decoding and
    pickling them in the API process would hold its event loop and GIL)."""
    return _analysed(asyncio.run(_read_arrays(dsn, exam_id, inputs)), inputs, th)


async def _claim(pool: Pool, exam_id: uuid.UUID, job_id: str) -> uuid.UUID | None:
    async with pool.acquire() as conn:
        run_id = await repository_forensics.start_run(conn, job_id)
        if run_id is None:
            # a job that came without a run row (another sender): record it as on demand
            org_id = await repository.exam_org(conn, exam_id)
            if org_id is None:
                return None
            await repository_forensics.insert_run(
                conn, uuid.uuid4(), job_id, exam_id, org_id, "demand", None
            )
            run_id = await repository_forensics.start_run(conn, job_id)
    return run_id


async def run_forensics(
    pool: Pool,
    exam_id: uuid.UUID,
    job_id: str,
    cpu: CpuJobs | None = None,
    redis: RedisClient | None = None,
    namespace: str = "",
    dsn: str | None = None,
) -> int | None:
    """Analyse the exam and store its flags; the number of flags, None if the run was done
    before (a redelivered job) or the exam does not exist. The analysis runs in the analysis
    lane (engine/cpu_jobs.py), which reads the answers itself from ``dsn`` (without one, they
    are read here); with ``redis``, the exam's forensics lock held under this job
    id is released at the end (run_lock.py), wherever the job ran."""
    try:
        return await _run(pool, exam_id, job_id, cpu or _INLINE, dsn)
    finally:
        if redis is not None:
            await run_lock.release(redis, namespace, exam_id, job_id)


async def _run(
    pool: Pool, exam_id: uuid.UUID, job_id: str, cpu: CpuJobs, dsn: str | None
) -> int | None:
    run_id = await _claim(pool, exam_id, job_id)
    if run_id is None:
        return None
    try:
        async with pool.acquire() as conn:
            inputs = await _inputs(conn, pool, exam_id)
            th = await exam_thresholds(conn, exam_id)
        analysed: Analysed = None
        if inputs is not None and (dsn is None or cpu.inline_for("forensics")):
            async with pool.acquire() as conn:
                arrays = await _arrays(conn, exam_id, inputs)
            analysed = _analysed(arrays, inputs, th)
        elif inputs is not None:
            analysed = await cpu.run(
                "forensics", analyse_in_worker, dsn, exam_id, inputs, th, wait=True
            )
        if analysed is None:
            async with pool.acquire() as conn:
                await repository_forensics.finish_run(
                    conn, run_id, sittings=0, items=0, flags=0, parameters=None, seconds={}
                )
            return 0
        report, source, sittings, items = analysed
        await _store(pool, exam_id, run_id, report)
        async with pool.acquire() as conn:
            await repository_forensics.finish_run(
                conn,
                run_id,
                sittings=sittings,
                items=items,
                flags=len(report.flags),
                parameters=source,
                seconds=report.seconds,
            )
        return len(report.flags)
    except Exception as err:
        log.exception("forensics run %s of exam %s failed", run_id, exam_id)
        async with pool.acquire() as conn:
            await repository_forensics.fail_run(conn, run_id, f"{type(err).__name__}: {err}")
        raise


async def _store(
    pool: Pool, exam_id: uuid.UUID, run_id: uuid.UUID, report: ForensicsReport
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        homes = await repository_forensics.sitting_orgs(conn, exam_id)
        records = [
            flag_record(f, exam_id, homes[f.sitting], "forensics", run_id)
            for f in report.flags
            if f.sitting in homes
        ]
        await repository.upsert_flags(conn, records)
        dropped = await repository_forensics.drop_stale_forensic_flags(conn, exam_id, run_id)
        await refresh_risk(conn, [r.sitting_id for r in records] + dropped)
