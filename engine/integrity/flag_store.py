"""Writing flags and keeping each flagged sitting's risk summary in step with them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from engine.integrity.repository import DELETE_RISK, FLAGS_FOR_RISK, UPSERT_FLAG, UPSERT_RISK
from proctoring.flags import Flag, PairEvidence, summarise

Source = str  # "live" | "forensics"


def subject_of(flag: Flag) -> str:
    """The other sitting of a pair rule (so one sitting can hold a flag per partner)."""
    for ev in flag.evidence:
        if isinstance(ev, PairEvidence):
            return ev.other_sitting
    return ""


def flag_row(
    flag: Flag, exam_id: uuid.UUID, org_id: uuid.UUID, source: Source, run_id: uuid.UUID | None
) -> tuple[Any, ...]:
    return (
        uuid.UUID(flag.sitting),
        exam_id,
        org_id,
        source,
        flag.rule,
        subject_of(flag),
        flag.kind,
        _finite(flag.statistic),
        _finite(flag.threshold),
        flag.direction,
        None if flag.p_value is None else _finite(flag.p_value),
        flag.correction,
        flag.note,
        msgspec.to_builtins(flag.evidence),
        run_id,
    )


def _finite(x: float) -> float:
    # jsonb refuses NaN and the review screen cannot show it; an infinite statistic is capped
    if x != x:
        return 0.0
    return max(-1e300, min(1e300, float(x)))


async def store_flags(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        await conn.executemany(UPSERT_FLAG, rows)


async def refresh_risk(conn: Any, sitting_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the risk summary of these sittings over their flags not dismissed."""
    ids = list(set(sitting_ids))
    if not ids:
        return
    rows = await conn.fetch(FLAGS_FOR_RISK, ids)
    by_sitting: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for r in rows:
        by_sitting[r["sitting_id"]].append(r)
    upserts = []
    for sid, flags_rows in by_sitting.items():
        flags = [
            Flag(
                sitting=str(sid),
                rule=r["rule"],
                kind=r["kind"],
                statistic=r["statistic"],
                threshold=r["threshold"],
                p_value=r["p_value"],
            )
            for r in flags_rows
        ]
        s = summarise(str(sid), flags)
        first = flags_rows[0]
        upserts.append(
            (sid, first["exam_id"], first["org_id"], s.level, s.score, list(s.rules), s.smallest_p)
        )
    if upserts:
        await conn.executemany(UPSERT_RISK, upserts)
    gone = [sid for sid in ids if sid not in by_sitting]
    if gone:
        await conn.execute(DELETE_RISK, gone)
