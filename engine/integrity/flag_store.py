"""Writing flags and keeping each flagged sitting's risk summary in step with them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

import msgspec

from engine.integrity import repository
from engine.integrity.repository import FlagForRisk, FlagRecord, RiskRecord
from engine.kernel.sql import Connection
from proctoring.flags import Flag, PairEvidence, summarise

Source = str  # "live" | "forensics"


def subject_of(flag: Flag) -> str:
    """The other sitting of a pair rule (so one sitting can hold a flag per partner)."""
    for ev in flag.evidence:
        if isinstance(ev, PairEvidence):
            return ev.other_sitting
    return ""


def flag_record(
    flag: Flag, exam_id: uuid.UUID, org_id: uuid.UUID, source: Source, run_id: uuid.UUID | None
) -> FlagRecord:
    return FlagRecord(
        sitting_id=uuid.UUID(flag.sitting),
        exam_id=exam_id,
        org_id=org_id,
        source=source,
        rule=flag.rule,
        subject=subject_of(flag),
        kind=flag.kind,
        statistic=_finite(flag.statistic),
        threshold=_finite(flag.threshold),
        direction=flag.direction,
        p_value=None if flag.p_value is None else _finite(flag.p_value),
        correction=flag.correction,
        note=flag.note,
        evidence=msgspec.to_builtins(flag.evidence),
        run_id=run_id,
    )


def _finite(x: float) -> float:
    # jsonb refuses NaN and the review screen cannot show it; an infinite statistic is capped
    if x != x:
        return 0.0
    return max(-1e300, min(1e300, float(x)))


async def refresh_risk(conn: Connection, sitting_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the risk summary of these sittings over their flags not dismissed."""
    ids = list(set(sitting_ids))
    if not ids:
        return
    by_sitting: dict[uuid.UUID, list[FlagForRisk]] = defaultdict(list)
    for stored in await repository.flags_for_risk(conn, ids):
        by_sitting[stored.sitting_id].append(stored)
    risks = []
    for sid, stored_flags in by_sitting.items():
        flags = [
            Flag(
                sitting=str(sid),
                rule=f.rule,
                kind=f.kind,
                statistic=f.statistic,
                threshold=f.threshold,
                p_value=f.p_value,
            )
            for f in stored_flags
        ]
        s = summarise(str(sid), flags)
        first = stored_flags[0]
        risks.append(
            RiskRecord(
                sitting_id=sid,
                exam_id=first.exam_id,
                org_id=first.org_id,
                level=s.level,
                score=s.score,
                rules=list(s.rules),
                smallest_p=s.smallest_p,
            )
        )
    if risks:
        await repository.upsert_risks(conn, risks)
    gone = [sid for sid in ids if sid not in by_sitting]
    if gone:
        await repository.delete_risks(conn, gone)
