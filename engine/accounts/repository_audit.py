"""SQL of the audit log. Rows become Structs here and nowhere else; an entry is written on the
caller's connection, so it commits or rolls back with the change it records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.sql import Connection

INSERT_AUDIT = """
INSERT INTO audit_log (actor_id, actor_role, actor_org_id, org_id, action, target, detail, ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
AUDIT_OF_ORGS = """
SELECT id, at, actor_id, actor_role, actor_org_id, org_id, action, target, detail, ip
FROM audit_log
WHERE org_id = ANY($1::uuid[]) AND ($2::text IS NULL OR action = $2)
  AND ($3::bigint IS NULL OR id < $3)
ORDER BY id DESC LIMIT $4
"""


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    actor_org_id: uuid.UUID | None
    org_id: uuid.UUID | None
    action: str
    target: str | None
    detail: dict[str, Any]
    ip: str | None


class NewAuditEntry(msgspec.Struct, frozen=True):
    actor_id: uuid.UUID | None
    actor_role: str | None
    actor_org_id: uuid.UUID | None
    org_id: uuid.UUID | None
    action: str
    target: str | None
    detail: dict[str, Any]
    ip: str | None


async def insert_audit(conn: Connection, entry: NewAuditEntry) -> None:
    await conn.execute(
        INSERT_AUDIT,
        entry.actor_id,
        entry.actor_role,
        entry.actor_org_id,
        entry.org_id,
        entry.action,
        entry.target,
        entry.detail,
        entry.ip,
    )


async def audit_of_orgs(
    conn: Connection, org_ids: list[uuid.UUID], action: str | None, before: int | None, limit: int
) -> list[AuditEntry]:
    """Newest first; ``before`` an entry id to page on from."""
    rows = await conn.fetch(AUDIT_OF_ORGS, org_ids, action, before, limit)
    return [AuditEntry(**{f: r[f] for f in AuditEntry.__struct_fields__}) for r in rows]
