"""The audit log: who did what to which organisation's data, when and from where."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from engine.kernel.principal import Principal

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


class Actor(msgspec.Struct, frozen=True):
    """The caller and where the request came from."""

    principal: Principal
    ip: str


async def record(
    conn: Any,
    actor: Actor | None,
    action: str,
    *,
    org_id: uuid.UUID | None,
    target: object = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    p = actor.principal if actor else None
    await conn.execute(
        INSERT_AUDIT,
        p.user_id if p else None,
        p.role if p else None,
        p.org_id if p else None,
        org_id,
        action,
        None if target is None else str(target),
        detail or {},
        actor.ip if actor else ip,
    )


async def entries(
    conn: Any, org_ids: list[uuid.UUID], action: str | None, before: int | None, limit: int
) -> list[AuditEntry]:
    rows = await conn.fetch(AUDIT_OF_ORGS, org_ids, action, before, limit)
    return [AuditEntry(**{f: r[f] for f in AuditEntry.__struct_fields__}) for r in rows]
