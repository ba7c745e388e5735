"""SQL of the question bank. Rows become Structs here and nowhere else.

Visibility is one rule everywhere: an organisation sees all versions of its own items, and
the published versions of items in banks shared with it (read-only). Every function runs on
the caller's connection, so the services keep their transactions and row locks.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from engine.kernel.sql import Connection, required
from question_bank.blueprints import Candidate
from question_bank.content import plain_text
from question_bank.kinds import MEDIA_PATH, ItemCreate, ItemMeta
from question_bank.models import (
    Bank,
    ItemSaved,
    ItemSummary,
    ItemVersionDoc,
    Media,
    StoredItem,
    VersionInfo,
    VersionStatus,
)

SHARED_BANKS = "SELECT bank_id FROM bank_shares WHERE org_id = $2"
VISIBLE = f"(i.org_id = $2 OR (v.status = 'published' AND i.bank_id IN ({SHARED_BANKS})))"
USAGE = "(SELECT count(*) FROM item_usage u WHERE u.item_id = v.item_id AND u.version = v.version)"

INSERT_ITEM = "INSERT INTO items (id, org_id, created_by, bank_id) VALUES ($1, $2, $3, $4)"
INSERT_VERSION = """
INSERT INTO item_versions (item_id, version, kind, content, answer_key, authored, metadata,
                           search_text, created_by, status, published_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $10 = 'published' THEN now() END)
"""
UPDATE_DRAFT = """
UPDATE item_versions SET kind = $3, content = $4, answer_key = $5, authored = $6, metadata = $7,
                         search_text = $8, updated_at = now()
WHERE item_id = $1 AND version = $2 AND status = 'draft'
RETURNING version
"""
PUBLISH_DRAFT = """
UPDATE item_versions SET status = 'published', published_at = now(), updated_at = now()
WHERE item_id = $1 AND status = 'draft'
RETURNING version, kind
"""
# the item row is locked so concurrent edits of one item queue instead of racing
LOCK_OWN_ITEM = "SELECT bank_id FROM items WHERE id = $1 AND org_id = $2 FOR UPDATE"
LATEST_VERSION = """
SELECT version, status FROM item_versions WHERE item_id = $1 ORDER BY version DESC LIMIT 1
"""
VERSION_STATUS = "SELECT status FROM item_versions WHERE item_id = $1 AND version = $2"
VERSION_DOC = f"""
SELECT v.item_id, v.version, v.kind, v.status, v.authored, v.created_at, v.updated_at,
       v.published_at, i.org_id, i.bank_id, {USAGE} AS usage,
       (SELECT max(w.version) FROM item_versions w WHERE w.item_id = v.item_id
        AND (i.org_id = $2 OR w.status = 'published')) AS latest_version
FROM item_versions v JOIN items i ON i.id = v.item_id
WHERE v.item_id = $1 AND {VISIBLE} AND ($3::int IS NULL OR v.version = $3)
ORDER BY v.version DESC LIMIT 1
"""
VERSIONS = f"""
SELECT v.version, v.status, v.created_at, v.updated_at, v.published_at, {USAGE} AS usage
FROM item_versions v JOIN items i ON i.id = v.item_id
WHERE v.item_id = $1 AND {VISIBLE} ORDER BY v.version
"""
SEARCH = f"""
WITH latest AS (
    SELECT DISTINCT ON (v.item_id) v.item_id, v.version, v.kind, v.status, v.metadata,
           v.search, v.authored ->> 'stem' AS stem_html, v.updated_at, i.bank_id
    FROM item_versions v JOIN items i ON i.id = v.item_id
    WHERE {VISIBLE} AND ($1::uuid IS NULL OR i.bank_id = $1)
    ORDER BY v.item_id, v.version DESC
), counted AS (
    SELECT l.*, (SELECT count(*) FROM item_usage u WHERE u.item_id = l.item_id) AS usage
    FROM latest l
)
SELECT *, count(*) OVER () AS total FROM counted
WHERE ($3::text IS NULL OR search @@ websearch_to_tsquery('simple', $3))
  AND ($4::text IS NULL OR metadata @> jsonb_build_object('tags', jsonb_build_array($4::text)))
  AND ($5::text IS NULL OR metadata @> jsonb_build_object('topic', $5::text))
  AND ($6::text IS NULL OR metadata @> jsonb_build_object('subject', $6::text))
  AND ($7::text IS NULL OR kind = $7)
  AND ($8::text IS NULL OR status = $8)
  AND ($9::boolean IS NULL OR (usage > 0) = $9)
ORDER BY updated_at DESC, item_id
LIMIT $10 OFFSET $11
"""
# blueprint candidates: the latest published version of every item the org may use
CANDIDATES = f"""
SELECT DISTINCT ON (v.item_id) v.item_id, v.version, v.kind, v.metadata
FROM item_versions v JOIN items i ON i.id = v.item_id
WHERE v.status = 'published' AND {VISIBLE} AND ($1::uuid IS NULL OR i.bank_id = $1)
ORDER BY v.item_id, v.version DESC
"""

INSERT_BANK = """
INSERT INTO banks (id, org_id, name, description, created_by) VALUES ($1, $2, $3, $4, $5)
"""
BANKS = """
SELECT b.id, b.org_id, b.name, b.description, b.org_id = $1 AS owned,
       coalesce((SELECT array_agg(s.org_id ORDER BY s.org_id) FROM bank_shares s
                 WHERE s.bank_id = b.id AND b.org_id = $1), '{}') AS shared_with,
       (SELECT count(*) FROM items i WHERE i.bank_id = b.id) AS item_count
FROM banks b
WHERE (b.org_id = $1 OR b.id IN (SELECT bank_id FROM bank_shares WHERE org_id = $1))
  AND ($2::uuid IS NULL OR b.id = $2)
ORDER BY b.name
"""
OWN_BANK = "SELECT 1 FROM banks WHERE id = $1 AND org_id = $2"
EXISTING_ORGS = "SELECT id FROM orgs WHERE id = ANY($1::uuid[])"
INSERT_SHARES = """
INSERT INTO bank_shares (bank_id, org_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING
"""
DELETE_SHARE = "DELETE FROM bank_shares WHERE bank_id = $1 AND org_id = $2"

INSERT_MEDIA = """
INSERT INTO media (id, org_id, filename, content_type, size_bytes, sha256, storage, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
MEDIA_BY_ID = """
SELECT id, filename, content_type, size_bytes, sha256, storage FROM media WHERE id = $1
"""


class LatestVersion(msgspec.Struct, frozen=True):
    version: int
    status: VersionStatus


def authored_item(value: Any) -> ItemCreate:
    item: ItemCreate = msgspec.convert(value, ItemCreate)
    return item


def _version_doc(row: asyncpg.Record) -> ItemVersionDoc:
    return ItemVersionDoc(
        id=row["item_id"],
        version=row["version"],
        kind=row["kind"],
        status=row["status"],
        org_id=row["org_id"],
        bank_id=row["bank_id"],
        item=authored_item(row["authored"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
        latest_version=row["latest_version"],
        usage=row["usage"],
    )


def _version_info(row: asyncpg.Record) -> VersionInfo:
    return VersionInfo(**{f: row[f] for f in VersionInfo.__struct_fields__})


def _summary(row: asyncpg.Record) -> ItemSummary:
    text = plain_text(row["stem_html"])
    return ItemSummary(
        id=row["item_id"],
        version=row["version"],
        kind=row["kind"],
        status=row["status"],
        bank_id=row["bank_id"],
        stem=text if len(text) <= 200 else text[:199] + "…",
        metadata=msgspec.convert(row["metadata"], ItemMeta),
        usage=row["usage"],
        updated_at=row["updated_at"],
    )


def _bank(row: asyncpg.Record) -> Bank:
    return Bank(**{f: row[f] for f in Bank.__struct_fields__})


def _media(row: asyncpg.Record) -> Media:
    return Media(
        id=row["id"],
        url=f"{MEDIA_PATH}{row['id']}",
        filename=row["filename"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()


async def insert_item(
    conn: Connection,
    item_id: uuid.UUID,
    org_id: uuid.UUID,
    created_by: uuid.UUID,
    bank_id: uuid.UUID | None,
) -> None:
    await conn.execute(INSERT_ITEM, item_id, org_id, created_by, bank_id)


async def insert_version(
    conn: Connection,
    item_id: uuid.UUID,
    version: int,
    parts: StoredItem,
    created_by: uuid.UUID,
    status: VersionStatus,
) -> None:
    await conn.execute(
        INSERT_VERSION,
        item_id,
        version,
        parts.kind,
        parts.content,
        parts.key,
        parts.authored,
        parts.metadata,
        parts.search_text,
        created_by,
        status,
    )


async def update_draft(
    conn: Connection, item_id: uuid.UUID, version: int, parts: StoredItem
) -> None:
    """Change a draft in place; a published version is left as it is."""
    await conn.execute(
        UPDATE_DRAFT,
        item_id,
        version,
        parts.kind,
        parts.content,
        parts.key,
        parts.authored,
        parts.metadata,
        parts.search_text,
    )


async def publish_draft(conn: Connection, item_id: uuid.UUID) -> ItemSaved | None:
    """The draft now published; None when the item has no draft."""
    row = await conn.fetchrow(PUBLISH_DRAFT, item_id)
    if row is None:
        return None
    return ItemSaved(id=item_id, version=row["version"], kind=row["kind"], status="published")


async def lock_own_item(conn: Connection, item_id: uuid.UUID, org_id: uuid.UUID) -> bool:
    """Lock the organisation's own item until the transaction ends; False when it has none."""
    return await conn.fetchrow(LOCK_OWN_ITEM, item_id, org_id) is not None


async def latest_version(conn: Connection, item_id: uuid.UUID) -> LatestVersion:
    row = required(await conn.fetchrow(LATEST_VERSION, item_id), "the item's latest version")
    return LatestVersion(version=row["version"], status=row["status"])


async def version_status(
    conn: Connection, item_id: uuid.UUID, version: int
) -> VersionStatus | None:
    status: VersionStatus | None = await conn.fetchval(VERSION_STATUS, item_id, version)
    return status


async def version_doc(
    conn: Connection, item_id: uuid.UUID, org_id: uuid.UUID, version: int | None
) -> ItemVersionDoc | None:
    """The version the organisation sees (the latest when ``version`` is None)."""
    row = await conn.fetchrow(VERSION_DOC, item_id, org_id, version)
    return None if row is None else _version_doc(row)


async def versions(conn: Connection, item_id: uuid.UUID, org_id: uuid.UUID) -> list[VersionInfo]:
    return [_version_info(r) for r in await conn.fetch(VERSIONS, item_id, org_id)]


async def search(
    conn: Connection,
    bank_id: uuid.UUID | None,
    org_id: uuid.UUID,
    text: str | None,
    tag: str | None,
    topic: str | None,
    subject: str | None,
    kind: str | None,
    status: str | None,
    used: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[ItemSummary], int]:
    """One page of the latest versions that match, and how many match in all."""
    rows = await conn.fetch(
        SEARCH, bank_id, org_id, text, tag, topic, subject, kind, status, used, limit, offset
    )
    return [_summary(r) for r in rows], rows[0]["total"] if rows else 0


async def candidates(
    conn: Connection, bank_id: uuid.UUID | None, org_id: uuid.UUID
) -> list[Candidate]:
    return [
        Candidate(
            str(r["item_id"]), r["version"], r["kind"], msgspec.convert(r["metadata"], ItemMeta)
        )
        for r in await conn.fetch(CANDIDATES, bank_id, org_id)
    ]


async def insert_bank(
    conn: Connection,
    bank_id: uuid.UUID,
    org_id: uuid.UUID,
    name: str,
    description: str,
    created_by: uuid.UUID,
) -> bool:
    """False when the organisation has a bank of this name already (the transaction is then
    aborted, as by any failed statement)."""
    try:
        await conn.execute(INSERT_BANK, bank_id, org_id, name, description, created_by)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def bank(conn: Connection, org_id: uuid.UUID, bank_id: uuid.UUID) -> Bank:
    """A bank the organisation owns or is shared, as that organisation sees it."""
    return _bank(await conn.fetchrow(BANKS, org_id, bank_id))


async def banks(conn: Connection, org_id: uuid.UUID) -> list[Bank]:
    return [_bank(r) for r in await conn.fetch(BANKS, org_id, None)]


async def owns_bank(conn: Connection, bank_id: uuid.UUID, org_id: uuid.UUID) -> bool:
    return await conn.fetchval(OWN_BANK, bank_id, org_id) is not None


async def existing_orgs(conn: Connection, org_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return {r["id"] for r in await conn.fetch(EXISTING_ORGS, org_ids)}


async def share_bank(conn: Connection, bank_id: uuid.UUID, org_ids: list[uuid.UUID]) -> None:
    await conn.execute(INSERT_SHARES, bank_id, org_ids)


async def unshare_bank(conn: Connection, bank_id: uuid.UUID, org_id: uuid.UUID) -> None:
    await conn.execute(DELETE_SHARE, bank_id, org_id)


async def insert_media(
    conn: Connection,
    media_id: uuid.UUID,
    org_id: uuid.UUID,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    storage: str,
    created_by: uuid.UUID,
) -> None:
    await conn.execute(
        INSERT_MEDIA,
        media_id,
        org_id,
        filename,
        content_type,
        size_bytes,
        sha256,
        storage,
        created_by,
    )


async def media(conn: Connection, media_id: uuid.UUID) -> Media | None:
    row = await conn.fetchrow(MEDIA_BY_ID, media_id)
    return None if row is None else _media(row)
