"""SQL of the question bank. Rows become Structs here and nowhere else.

Visibility is one rule everywhere: an organisation sees all versions of its own items, and
the published versions of items in banks shared with it (read-only).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from question_bank.content import plain_text
from question_bank.kinds import ItemCreate, ItemMeta
from question_bank.models import Bank, ItemSummary, ItemVersionDoc, Media, VersionInfo

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


def authored_item(value: Any) -> ItemCreate:
    item: ItemCreate = msgspec.convert(value, ItemCreate)
    return item


def version_doc(row: asyncpg.Record) -> ItemVersionDoc:
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


def version_info(row: asyncpg.Record) -> VersionInfo:
    return VersionInfo(**{f: row[f] for f in VersionInfo.__struct_fields__})


def summary(row: asyncpg.Record) -> ItemSummary:
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


def bank(row: asyncpg.Record) -> Bank:
    return Bank(**{f: row[f] for f in Bank.__struct_fields__})


def media(row: asyncpg.Record, url: str) -> Media:
    return Media(
        id=row["id"],
        url=url,
        filename=row["filename"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()
