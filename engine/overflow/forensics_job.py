"""The forensics job: assemble an exam's answers into arrays, run ``analyse_exam``, store it.

Single-choice items only (the similarity indices are defined over options); option indices
are assigned per item from the option ids seen, which is all the detectors need (equal choices
compare equal, the key has its index). Until the exam is calibrated, item parameters come from
classical difficulty: a = 1, c = 1 / options, b from the share correct.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import numpy as np

from grading.keys import SingleChoiceKey
from proctoring.forensics import ForensicsReport, analyse_exam

PUBLISHED_VERSION = """
SELECT v.id, e.org_id FROM exam_versions v JOIN exams e ON e.id = v.exam_id
WHERE v.exam_id = $1 AND v.status = 'published'
"""
LATEST_ANSWERS_OF_EXAM = """
SELECT DISTINCT ON (sitting_id, item_id) sitting_id::text, item_id, response
FROM answer_log WHERE exam_id = $1
ORDER BY sitting_id, item_id, seq DESC
"""
INSERT_REPORT = """
INSERT INTO forensics_reports (job_id, exam_id, org_id, sittings, flags, report)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (job_id) DO NOTHING
"""


class _Choice(msgspec.Struct):
    choice: str | None = None


def assemble(keys: dict[str, Any], answers: list[tuple[str, str, Any]]
             ) -> tuple[list[str], list[str], np.ndarray, np.ndarray, int] | None:
    """(sittings, items, responses, key, n_options) from single-choice keys and latest answers;
    None when there is too little to compare."""
    correct = {i: k.correct for i, k in keys.items() if isinstance(k, SingleChoiceKey)}
    items = sorted(correct)
    sittings = sorted({s for s, i, _ in answers if i in correct})
    if len(items) < 2 or len(sittings) < 2:
        return None
    options: dict[str, dict[str, int]] = {i: {correct[i]: 0} for i in items}
    row = {s: n for n, s in enumerate(sittings)}
    col = {i: n for n, i in enumerate(items)}
    responses = np.full((len(sittings), len(items)), -1, dtype=np.int64)
    for sitting, item, response in answers:
        if item not in col or not isinstance(response, dict):
            continue
        choice = msgspec.convert(response, _Choice, strict=False).choice
        if choice is not None:
            seen = options[item]
            responses[row[sitting], col[item]] = seen.setdefault(choice, len(seen))
    key = np.zeros(len(items), dtype=np.int64)  # each key was given index 0
    n_options = max(2, *(len(o) for o in options.values()))
    return sittings, items, responses, key, n_options


def classical_parameters(responses: np.ndarray, key: np.ndarray, n_options: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    answered = responses >= 0
    right = (responses == key[None, :]) & answered
    c = np.full(responses.shape[1], 1.0 / n_options)
    p = (right.sum(axis=0) + 0.5) / (answered.sum(axis=0) + 1.0)
    share = np.clip((p - c) / (1.0 - c), 0.02, 0.98)
    b = np.clip(-np.log(share / (1.0 - share)), -4.0, 4.0)
    return np.ones_like(b), b, c


def analyse(keys: dict[str, Any], answers: list[tuple[str, str, Any]]
            ) -> tuple[int, ForensicsReport] | None:
    assembled = assemble(keys, answers)
    if assembled is None:
        return None
    sittings, items, responses, key, n_options = assembled
    a, b, c = classical_parameters(responses, key, n_options)
    report = analyse_exam(sittings=sittings, item_ids=items, responses=responses, key=key,
                          a=a, b=b, c=c, n_options=n_options)
    return len(sittings), report


async def run_forensics(pool: Any, exam_id: uuid.UUID, job_id: str) -> int | None:
    """Analyse the exam and store the report; the number of flags, None if nothing to analyse."""
    from engine.exams.service import load_keys  # the engine's adapter, imported when needed

    async with pool.acquire() as conn:
        version = await conn.fetchrow(PUBLISHED_VERSION, exam_id)
        if version is None:
            return None
        rows = await conn.fetch(LATEST_ANSWERS_OF_EXAM, exam_id)
    keys = await load_keys(pool, str(version["id"]))
    result = analyse(keys, [(r["sitting_id"], r["item_id"], r["response"]) for r in rows])
    if result is None:
        return None
    sittings, report = result
    async with pool.acquire() as conn:
        await conn.execute(INSERT_REPORT, job_id, exam_id, version["org_id"], sittings,
                           len(report.flags), msgspec.to_builtins(report))
    return len(report.flags)
