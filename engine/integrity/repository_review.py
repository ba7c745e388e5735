"""SQL of reading and reviewing integrity flags (engine/integrity/review.py): the flags a
reviewer may see, one flag with its evidence, a sitting's or an exam's risk.

Rows become Structs here and nowhere else; every function runs on the caller's connection.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.integrity.models import FlagRow, RiskRow
from engine.kernel.sql import Connection
from proctoring.flags import RiskSummary

ASSIGNED = "SELECT 1 FROM exam_assignments WHERE exam_id = $1 AND org_id = $2"
RISK_OF_SITTING = """
SELECT sitting_id, level, score, rules, smallest_p FROM integrity_risk WHERE sitting_id = $1
"""
_FLAG_COLUMNS = """
f.id, f.sitting_id, f.exam_id, f.org_id, s.student_id, u.username AS student, f.source,
f.rule, f.subject, f.kind, f.statistic, f.threshold, f.direction, f.p_value, f.correction,
f.note, f.status, f.review_note, f.reviewed_by, f.reviewed_at, f.created_at, f.updated_at,
coalesce(r.level, 'none') AS severity, jsonb_array_length(f.evidence) AS evidence_count
"""
_FLAG_FROM = """
FROM integrity_flags f
JOIN sittings s ON s.id = f.sitting_id
JOIN users u ON u.id = s.student_id
JOIN exams e ON e.id = f.exam_id
LEFT JOIN integrity_risk r ON r.sitting_id = f.sitting_id
"""
# visible to the staff of the sitting's school and of the exam's organiser
LIST_FLAGS = f"""
SELECT {_FLAG_COLUMNS} {_FLAG_FROM}
WHERE (f.org_id = ANY($1::uuid[]) OR e.org_id = ANY($1::uuid[]))
  AND ($2::uuid IS NULL OR f.exam_id = $2)
  AND ($3::uuid IS NULL OR f.org_id = $3)
  AND ($4::text IS NULL OR coalesce(r.level, 'none') = $4)
  AND ($5::text IS NULL OR f.status = $5)
  AND ($6::text IS NULL OR f.rule = $6)
ORDER BY coalesce(r.score, 0) DESC, f.p_value NULLS LAST, f.created_at, f.id
LIMIT $7 OFFSET $8
"""
FLAG_BY_ID = f"""
SELECT {_FLAG_COLUMNS}, f.evidence, e.org_id AS exam_org_id {_FLAG_FROM}
WHERE f.id = $1
"""
REVIEW_FLAG = """
UPDATE integrity_flags
SET status = $2, review_note = $3, reviewed_by = $4, reviewed_at = now(), updated_at = now()
WHERE id = $1
"""
RISK_OF_EXAM = """
SELECT r.sitting_id, r.org_id, u.username AS student, r.level, r.score, r.rules, r.smallest_p
FROM integrity_risk r JOIN sittings s ON s.id = r.sitting_id JOIN users u ON u.id = s.student_id
WHERE r.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2) AND r.level <> 'none'
ORDER BY r.score DESC, r.smallest_p NULLS LAST, r.sitting_id
LIMIT $3
"""


class FlagWithEvidence(msgspec.Struct, frozen=True):
    flag: FlagRow
    # as stored (JSON): converted where it is shown
    evidence: list[Any]
    # the organisation that owns the flag's exam
    exam_org_id: uuid.UUID


async def is_assigned(conn: Connection, exam_id: uuid.UUID, org_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(ASSIGNED, exam_id, org_id))


async def list_flags(
    conn: Connection,
    reached: list[uuid.UUID],
    *,
    exam_id: uuid.UUID | None,
    school_id: uuid.UUID | None,
    severity: str | None,
    status: str | None,
    rule: str | None,
    limit: int,
    offset: int,
) -> list[FlagRow]:
    """Flags of the sittings of the ``reached`` schools and of the exams they own, riskiest
    first; each filter left None matches everything."""
    rows = await conn.fetch(
        LIST_FLAGS, reached, exam_id, school_id, severity, status, rule, limit, offset
    )
    return [FlagRow(**dict(r)) for r in rows]


async def flag_by_id(conn: Connection, flag_id: uuid.UUID) -> FlagWithEvidence | None:
    row = await conn.fetchrow(FLAG_BY_ID, flag_id)
    if row is None:
        return None
    columns = dict(row)
    evidence, exam_org_id = columns.pop("evidence"), columns.pop("exam_org_id")
    return FlagWithEvidence(FlagRow(**columns), evidence, exam_org_id)


async def review_flag(
    conn: Connection, flag_id: uuid.UUID, status: str, note: str, reviewed_by: uuid.UUID
) -> None:
    await conn.execute(REVIEW_FLAG, flag_id, status, note, reviewed_by)


async def risk_of_sitting(conn: Connection, sitting_id: uuid.UUID) -> RiskSummary | None:
    r = await conn.fetchrow(RISK_OF_SITTING, sitting_id)
    if r is None:
        return None
    return RiskSummary(
        sitting=str(r["sitting_id"]),
        level=r["level"],
        score=r["score"],
        rules=tuple(r["rules"]),
        smallest_p=r["smallest_p"],
    )


async def exam_risk(
    conn: Connection, exam_id: uuid.UUID, org_filter: uuid.UUID | None, limit: int
) -> list[RiskRow]:
    """The exam's sittings at some risk, riskiest first (org_filter: one school's only)."""
    rows = await conn.fetch(RISK_OF_EXAM, exam_id, org_filter, limit)
    return [RiskRow(**dict(r)) for r in rows]
