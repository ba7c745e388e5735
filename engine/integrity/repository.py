"""SQL of the integrity tables (migration 0005): thresholds, the live heuristics' item
contexts, telemetry, flags and the risk summaries that follow them.

Rows become Structs here and nowhere else; every function runs on the caller's connection (and
in its transaction). Review reads and forensics runs have repositories of their own
(repository_review.py, repository_forensics.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.sql import Connection
from proctoring.flags import Kind, Rule
from proctoring.thresholds import Thresholds

EXAM_OF_VERSION = "SELECT id::text, exam_id FROM exam_versions WHERE id = ANY($1::uuid[])"
EXAM_ORG = "SELECT org_id FROM exams WHERE id = $1"
SITTING_HOMES = "SELECT id::text, exam_id, org_id FROM sittings WHERE id = ANY($1::uuid[])"

THRESHOLDS_OF_EXAM = "SELECT thresholds FROM integrity_thresholds WHERE exam_id = $1"
UPSERT_THRESHOLDS = """
INSERT INTO integrity_thresholds (exam_id, thresholds, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (exam_id) DO UPDATE SET thresholds = $2, updated_by = $3, updated_at = now()
"""

# telemetry rows go in with COPY into a temp table, then one INSERT … ON CONFLICT DO NOTHING
TELEMETRY_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS telemetry_stage (
    exam_id uuid, sitting_id uuid, session text, batch_seq integer, idx smallint, type text,
    ts timestamptz, event text, received_at timestamptz
) ON COMMIT DELETE ROWS
"""
TELEMETRY_MOVE = """
INSERT INTO telemetry_log (exam_id, sitting_id, session, batch_seq, idx, type, ts, event,
                           received_at)
SELECT st.exam_id, st.sitting_id, st.session, st.batch_seq, st.idx, st.type, st.ts,
       st.event::jsonb, st.received_at
FROM telemetry_stage st JOIN sittings s ON s.id = st.sitting_id
ON CONFLICT DO NOTHING
"""
TELEMETRY_COLUMNS = [
    "exam_id",
    "sitting_id",
    "session",
    "batch_seq",
    "idx",
    "type",
    "ts",
    "event",
    "received_at",
]

# evidence and statistics follow the analysis while a flag is open; a reviewed flag keeps
# what the reviewer saw
UPSERT_FLAG = """
INSERT INTO integrity_flags (sitting_id, exam_id, org_id, source, rule, subject, kind,
                             statistic, threshold, direction, p_value, correction, note,
                             evidence, run_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (sitting_id, source, rule, subject) DO UPDATE
SET kind = EXCLUDED.kind, statistic = EXCLUDED.statistic, threshold = EXCLUDED.threshold,
    direction = EXCLUDED.direction, p_value = EXCLUDED.p_value,
    correction = EXCLUDED.correction, note = EXCLUDED.note, evidence = EXCLUDED.evidence,
    run_id = EXCLUDED.run_id, updated_at = now()
WHERE integrity_flags.status = 'open'
"""
FLAGS_FOR_RISK = """
SELECT sitting_id, exam_id, org_id, rule, kind, statistic, threshold, p_value
FROM integrity_flags WHERE sitting_id = ANY($1::uuid[]) AND status <> 'dismissed'
"""
UPSERT_RISK = """
INSERT INTO integrity_risk (sitting_id, exam_id, org_id, level, score, rules, smallest_p)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (sitting_id) DO UPDATE
SET level = $4, score = $5, rules = $6, smallest_p = $7, updated_at = now()
"""
DELETE_RISK = "DELETE FROM integrity_risk WHERE sitting_id = ANY($1::uuid[])"

# --- item contexts for the live heuristics: from a sample of this version's finished sittings
# (bounded, so a 500,000-sitting exam costs the same as a 2,000-sitting one)
ITEM_TIMES = """
WITH sample AS (
    SELECT id, started_at FROM sittings
    WHERE exam_version_id = $1 AND state IN ('submitted', 'graded') LIMIT $3
), g AS (
    SELECT l.item_id,
           row_number() OVER (PARTITION BY l.sitting_id, l.item_id ORDER BY l.seq) AS nth,
           extract(epoch FROM l.server_ts - coalesce(
               lag(l.server_ts) OVER (PARTITION BY l.sitting_id ORDER BY l.seq),
               s.started_at)) AS seconds
    FROM answer_log l JOIN sample s ON s.id = l.sitting_id
    WHERE l.exam_id = $2
)
SELECT item_id, count(*) AS n, avg(greatest(seconds, 0)) AS mean_s,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(seconds, 0)) AS median_s
FROM g WHERE nth = 1 GROUP BY item_id
"""
ITEM_FACILITY = """
SELECT i.key AS item_id, count(*) AS n,
       avg(CASE WHEN i.value ->> 'status' = 'correct' THEN 1.0 ELSE 0.0 END) AS p
FROM (SELECT r.items FROM results r JOIN sittings s ON s.id = r.sitting_id
      WHERE s.exam_version_id = $1 LIMIT $2) r, jsonb_each(r.items) i
GROUP BY i.key
"""


class ItemTiming(msgspec.Struct, frozen=True):
    item_id: str
    # sittings of the sample that answered the item
    n: int
    # seconds before the item's first answer (numeric, as PostgreSQL computes them)
    mean_s: Any
    median_s: float


class ItemFacility(msgspec.Struct, frozen=True):
    item_id: str
    n: int
    # share of the sample that answered correctly (numeric)
    p: Any


class SittingHome(msgspec.Struct, frozen=True):
    id: str
    exam_id: uuid.UUID
    # the sitting's school
    org_id: uuid.UUID


class TelemetryRecord(msgspec.Struct, frozen=True):
    """One telemetry event as it is stored."""

    exam_id: uuid.UUID
    sitting_id: uuid.UUID
    session: str
    batch_seq: int
    idx: int
    type: str
    ts: datetime
    # the event as JSON text
    event: str
    received_at: datetime


class FlagRecord(msgspec.Struct, frozen=True):
    """A flag as UPSERT_FLAG stores it, its fields in the statement's parameter order."""

    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID
    source: str
    rule: str
    subject: str
    kind: str
    statistic: float
    threshold: float
    direction: str
    p_value: float | None
    correction: str
    note: str
    evidence: list[Any]
    run_id: uuid.UUID | None


class FlagForRisk(msgspec.Struct, frozen=True):
    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID
    rule: Rule
    kind: Kind
    statistic: float
    threshold: float
    p_value: float | None


class RiskRecord(msgspec.Struct, frozen=True):
    """A sitting's risk summary as UPSERT_RISK stores it, in its parameter order."""

    sitting_id: uuid.UUID
    exam_id: uuid.UUID
    org_id: uuid.UUID
    level: str
    score: float
    rules: list[str]
    smallest_p: float | None


async def exam_org(conn: Connection, exam_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation that owns the exam (None: no such exam)."""
    org: uuid.UUID | None = await conn.fetchval(EXAM_ORG, exam_id)
    return org


async def exam_of_version(conn: Connection, version_id: uuid.UUID) -> uuid.UUID | None:
    row = await conn.fetchrow(EXAM_OF_VERSION, [version_id])
    return None if row is None else row["exam_id"]


async def sitting_homes(conn: Connection, sitting_ids: list[uuid.UUID]) -> list[SittingHome]:
    return [SittingHome(**dict(r)) for r in await conn.fetch(SITTING_HOMES, sitting_ids)]


async def exam_thresholds(conn: Connection, exam_id: uuid.UUID) -> Thresholds | None:
    """The exam's own thresholds; None: it has none (the documented defaults apply)."""
    stored = await conn.fetchval(THRESHOLDS_OF_EXAM, exam_id)
    return None if stored is None else msgspec.convert(stored, Thresholds)


async def save_thresholds(
    conn: Connection, exam_id: uuid.UUID, thresholds: Thresholds, updated_by: uuid.UUID
) -> None:
    await conn.execute(UPSERT_THRESHOLDS, exam_id, msgspec.to_builtins(thresholds), updated_by)


async def item_timings(
    conn: Connection, version_id: uuid.UUID, exam_id: uuid.UUID, sample: int
) -> list[ItemTiming]:
    """Per item, the time to its first answer over a sample of the version's finished
    sittings."""
    rows = await conn.fetch(ITEM_TIMES, version_id, exam_id, sample)
    return [ItemTiming(**dict(r)) for r in rows]


async def item_facility(conn: Connection, version_id: uuid.UUID, sample: int) -> list[ItemFacility]:
    """Per item, the share correct over a sample of the version's graded sittings."""
    rows = await conn.fetch(ITEM_FACILITY, version_id, sample)
    return [ItemFacility(**dict(r)) for r in rows]


async def copy_telemetry(conn: Connection, records: list[TelemetryRecord]) -> None:
    """Stores the events, skipping those stored before and those of unknown sittings. Runs
    in the caller's transaction: the staging table empties itself on commit."""
    await conn.execute(TELEMETRY_STAGE)
    await conn.copy_records_to_table(
        "telemetry_stage",
        records=[
            (
                r.exam_id,
                r.sitting_id,
                r.session,
                r.batch_seq,
                r.idx,
                r.type,
                r.ts,
                r.event,
                r.received_at,
            )
            for r in records
        ],
        columns=TELEMETRY_COLUMNS,
    )
    await conn.execute(TELEMETRY_MOVE)


async def upsert_flags(conn: Connection, flags: list[FlagRecord]) -> None:
    if flags:
        await conn.executemany(UPSERT_FLAG, [msgspec.structs.astuple(f) for f in flags])


async def flags_for_risk(conn: Connection, sitting_ids: list[uuid.UUID]) -> list[FlagForRisk]:
    """The flags of these sittings that count towards their risk (those not dismissed)."""
    return [FlagForRisk(**dict(r)) for r in await conn.fetch(FLAGS_FOR_RISK, sitting_ids)]


async def upsert_risks(conn: Connection, risks: Iterable[RiskRecord]) -> None:
    await conn.executemany(UPSERT_RISK, [msgspec.structs.astuple(r) for r in risks])


async def delete_risks(conn: Connection, sitting_ids: list[uuid.UUID]) -> None:
    await conn.execute(DELETE_RISK, sitting_ids)
