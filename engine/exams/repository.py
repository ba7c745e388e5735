"""SQL for items and exams. Rows become Structs here and nowhere else.

Every function runs on the caller's connection, so the services keep their transactions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from engine.exams.models import Exam, ExamCreate, ExamSpec, PublishedVersion
from engine.kernel.sql import Connection
from grading.outcomes import ScoringPolicy
from question_bank.kinds import ItemMeta

# an exam pins the latest version of its own items (a draft freezes as it is pinned) and the
# latest published version of items in banks shared with the organisation (read-only there)
LATEST_ITEM_VERSIONS = """
SELECT DISTINCT ON (v.item_id) v.item_id, v.version
FROM item_versions v JOIN items i ON i.id = v.item_id
WHERE v.item_id = ANY($1::uuid[]) AND (i.org_id = $2 OR (v.status = 'published' AND
      i.bank_id IN (SELECT bank_id FROM bank_shares WHERE org_id = $2)))
ORDER BY v.item_id, v.version DESC
"""
# used versions are frozen: editing the item afterwards makes a new version the exam ignores
FREEZE_ITEM_VERSIONS = """
UPDATE item_versions SET status = 'published', published_at = now(), updated_at = now()
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[])) AND status = 'draft'
"""
INSERT_ITEM_USAGE = """
INSERT INTO item_usage (item_id, version, exam_id)
SELECT i, v, $3 FROM unnest($1::uuid[], $2::int[]) AS t (i, v) ON CONFLICT DO NOTHING
"""
ITEM_VERSIONS = """
SELECT item_id, version, kind, content, answer_key FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
# what a pool section is ordered by (question_bank/pools.py)
ITEM_METADATA = """
SELECT item_id::text AS item_id, metadata FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
INSERT_EXAM = "INSERT INTO exams (id, org_id, title, created_by) VALUES ($1, $2, $3, $4)"
INSERT_EXAM_VERSION = """
INSERT INTO exam_versions (id, exam_id, version, status, spec, time_limit_s, window_open,
                           window_close, grace_s, instant_results, shuffle, scoring, score_scale,
                           navigation)
VALUES ($1, $2, 1, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
EXAM_COLUMNS = """
e.id, e.org_id, e.title, v.id AS version_id, v.version, v.status, v.time_limit_s,
v.window_open, v.window_close, v.grace_s, v.instant_results, v.shuffle,
(SELECT count(*) FROM jsonb_path_query(v.spec, '$.sections[*].items[*]')) AS item_count,
v.published_at, v.navigation
"""
# the version students sit if there is one, else the newest draft
EXAM_BY_ID = f"""
SELECT {EXAM_COLUMNS}, v.spec FROM exams e
JOIN LATERAL (
    SELECT * FROM exam_versions WHERE exam_id = e.id
    ORDER BY (status = 'published') DESC, version DESC LIMIT 1
) v ON true
WHERE e.id = $1
"""
EXAMS_OF_ORG = f"""
SELECT {EXAM_COLUMNS} FROM exams e
JOIN LATERAL (
    SELECT * FROM exam_versions WHERE exam_id = e.id
    ORDER BY (status = 'published') DESC, version DESC LIMIT 1
) v ON true
WHERE e.org_id = $1 ORDER BY e.created_at DESC
"""
# a student sees the published exams assigned to their school (or owned by it) and, where the
# school narrowed an exam to some classes, only if their class is one of them
EXAMS_FOR_STUDENT = f"""
SELECT {EXAM_COLUMNS} FROM users u
JOIN exams e ON e.org_id = u.org_id OR EXISTS (
    SELECT 1 FROM exam_assignments a WHERE a.exam_id = e.id AND a.org_id = u.org_id)
JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE u.id = $1 AND (
    NOT EXISTS (SELECT 1 FROM exam_class_assignments x
                WHERE x.exam_id = e.id AND x.org_id = u.org_id)
    OR EXISTS (SELECT 1 FROM exam_class_assignments x
               WHERE x.exam_id = e.id AND x.class_id = u.class_id))
ORDER BY v.window_open
"""
# the same rule for one exam (GET /v1/exams/{id} as a student)
EXAM_VISIBLE_TO_STUDENT = """
SELECT EXISTS (
    SELECT 1 FROM users u
    JOIN exams e ON e.id = $1 AND (e.org_id = u.org_id OR EXISTS (
        SELECT 1 FROM exam_assignments a WHERE a.exam_id = e.id AND a.org_id = u.org_id))
    JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
    WHERE u.id = $2 AND (
        NOT EXISTS (SELECT 1 FROM exam_class_assignments x
                    WHERE x.exam_id = e.id AND x.org_id = u.org_id)
        OR EXISTS (SELECT 1 FROM exam_class_assignments x
                   WHERE x.exam_id = e.id AND x.class_id = u.class_id)))
"""
PUBLISH_VERSION = """
UPDATE exam_versions SET status = 'published', published_at = now()
WHERE id = $1 AND status = 'draft'
RETURNING published_at
"""
PUBLISHED_FOR_STUDENT = """
SELECT e.id AS exam_id, e.org_id, v.id AS version_id, v.time_limit_s, v.window_open,
       v.window_close, v.grace_s, v.instant_results
FROM exams e JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE e.id = $1 AND (e.org_id = $2 OR EXISTS (
    SELECT 1 FROM exam_assignments a WHERE a.exam_id = e.id AND a.org_id = $2))
"""
VERSION_BY_ID = "SELECT exam_id, spec, shuffle, navigation FROM exam_versions WHERE id = $1"
SCORING_OF_VERSION = "SELECT scoring, spec FROM exam_versions WHERE id = $1"
EXAM_TITLE = "SELECT title FROM exams WHERE id = $1"
# keys fixed after publishing (engine/analytics/key_fix_service.py): item id -> key
KEY_CORRECTIONS = "SELECT item_id, answer_key FROM exam_key_corrections WHERE exam_id = $1"
INSERT_ASSIGNMENT = """
INSERT INTO exam_assignments (exam_id, org_id) SELECT $1, unnest($2::uuid[])
ON CONFLICT DO NOTHING
"""
ASSIGNED_ORGS = "SELECT org_id FROM exam_assignments WHERE exam_id = $1 ORDER BY org_id"


class PinnedItem(msgspec.Struct, frozen=True):
    """One item version an exam pins: the student's content and the grading key."""

    item_id: uuid.UUID
    version: int
    kind: str
    content: dict[str, Any]
    answer_key: Any


class VersionPaper(msgspec.Struct, frozen=True):
    """What the student paper of an exam version is built from."""

    exam_id: uuid.UUID
    spec: ExamSpec
    shuffle: bool
    navigation: str


class VersionScoring(msgspec.Struct, frozen=True):
    policy: ScoringPolicy
    spec: ExamSpec


def _exam(row: asyncpg.Record) -> Exam:
    return Exam(**{f: row[f] for f in Exam.__struct_fields__})


def partition_name(exam_id: uuid.UUID) -> str:
    return f"answer_log_{exam_id.hex}"


async def latest_item_versions(
    conn: Connection, ids: list[uuid.UUID], org_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(LATEST_ITEM_VERSIONS, ids, org_id)
    return {r["item_id"]: r["version"] for r in rows}


async def pin_item_versions(
    conn: Connection, exam_id: uuid.UUID, refs: list[tuple[uuid.UUID, int]]
) -> None:
    """Freeze the pinned versions and record that this exam uses them."""
    ids, versions = [r[0] for r in refs], [r[1] for r in refs]
    await conn.execute(FREEZE_ITEM_VERSIONS, ids, versions)
    await conn.execute(INSERT_ITEM_USAGE, ids, versions, exam_id)


async def item_versions(conn: Connection, refs: list[tuple[uuid.UUID, int]]) -> list[PinnedItem]:
    rows = await conn.fetch(ITEM_VERSIONS, [r[0] for r in refs], [r[1] for r in refs])
    return [
        PinnedItem(r["item_id"], r["version"], r["kind"], r["content"], r["answer_key"])
        for r in rows
    ]


async def item_metadata(
    conn: Connection, refs: list[tuple[uuid.UUID, int]]
) -> list[tuple[str, ItemMeta]]:
    """Item id (text) and metadata of each version: what a pool section is ordered by."""
    rows = await conn.fetch(ITEM_METADATA, [r[0] for r in refs], [r[1] for r in refs])
    return [(r["item_id"], msgspec.convert(r["metadata"], ItemMeta)) for r in rows]


async def insert_exam(
    conn: Connection, exam_id: uuid.UUID, org_id: uuid.UUID, title: str, created_by: uuid.UUID
) -> None:
    await conn.execute(INSERT_EXAM, exam_id, org_id, title, created_by)


async def insert_draft_version(
    conn: Connection,
    version_id: uuid.UUID,
    exam_id: uuid.UUID,
    spec: ExamSpec,
    data: ExamCreate,
    policy: ScoringPolicy,
) -> None:
    """Version 1 of a new exam, a draft: the settings of ``data``, its pinned items, its
    scoring policy."""
    await conn.execute(
        INSERT_EXAM_VERSION,
        version_id,
        exam_id,
        msgspec.to_builtins(spec),
        data.time_limit_s,
        data.window_open,
        data.window_close,
        data.grace_s,
        data.instant_results,
        data.shuffle,
        msgspec.to_builtins(policy),
        msgspec.to_builtins(data.score_scale) if data.score_scale else None,
        data.navigation,
    )


async def exam(conn: Connection, exam_id: uuid.UUID) -> tuple[Exam, ExamSpec] | None:
    row = await conn.fetchrow(EXAM_BY_ID, exam_id)
    if row is None:
        return None
    return _exam(row), msgspec.convert(row["spec"], ExamSpec)


async def exams_of_org(conn: Connection, org_id: uuid.UUID) -> list[Exam]:
    return [_exam(r) for r in await conn.fetch(EXAMS_OF_ORG, org_id)]


async def exams_for_student(conn: Connection, student_id: uuid.UUID) -> list[Exam]:
    return [_exam(r) for r in await conn.fetch(EXAMS_FOR_STUDENT, student_id)]


async def visible_to_student(conn: Connection, exam_id: uuid.UUID, student_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(EXAM_VISIBLE_TO_STUDENT, exam_id, student_id))


async def published_for_student(
    conn: Connection, exam_id: uuid.UUID, org_id: uuid.UUID
) -> PublishedVersion | None:
    row = await conn.fetchrow(PUBLISHED_FOR_STUDENT, exam_id, org_id)
    if row is None:
        return None
    return PublishedVersion(**{f: row[f] for f in PublishedVersion.__struct_fields__})


async def publish_version(conn: Connection, version_id: uuid.UUID) -> datetime | None:
    """When the draft was published; None when it was not a draft any more."""
    published_at: datetime | None = await conn.fetchval(PUBLISH_VERSION, version_id)
    return published_at


async def create_partition(conn: Connection, exam_id: uuid.UUID) -> None:
    # identifiers cannot be parameters; the name is derived from a UUID, so it is safe
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {partition_name(exam_id)} PARTITION OF answer_log "
        f"FOR VALUES IN ('{exam_id}')"
    )


async def version_paper(conn: Connection, version_id: uuid.UUID) -> VersionPaper | None:
    row = await conn.fetchrow(VERSION_BY_ID, version_id)
    if row is None:
        return None
    return VersionPaper(
        exam_id=row["exam_id"],
        spec=msgspec.convert(row["spec"], ExamSpec),
        shuffle=row["shuffle"],
        navigation=row["navigation"],
    )


async def version_scoring(conn: Connection, version_id: uuid.UUID) -> VersionScoring | None:
    row = await conn.fetchrow(SCORING_OF_VERSION, version_id)
    if row is None:
        return None
    return VersionScoring(
        policy=msgspec.convert(row["scoring"], ScoringPolicy),
        spec=msgspec.convert(row["spec"], ExamSpec),
    )


async def exam_title(conn: Connection, exam_id: uuid.UUID) -> str:
    title: str = await conn.fetchval(EXAM_TITLE, exam_id)
    return title


async def key_corrections(conn: Connection, exam_id: uuid.UUID) -> dict[str, Any]:
    """Item id -> the key fixed for this exam after publishing."""
    return {r["item_id"]: r["answer_key"] for r in await conn.fetch(KEY_CORRECTIONS, exam_id)}


async def assign(conn: Connection, exam_id: uuid.UUID, org_ids: list[uuid.UUID]) -> None:
    await conn.execute(INSERT_ASSIGNMENT, exam_id, org_ids)


async def assigned_orgs(conn: Connection, exam_id: uuid.UUID) -> list[uuid.UUID]:
    return [r["org_id"] for r in await conn.fetch(ASSIGNED_ORGS, exam_id)]
