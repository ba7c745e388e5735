"""The audit log: who did what to which organisation's data, when and from where."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from engine.accounts.repository_audit import AuditEntry, NewAuditEntry, audit_of_orgs, insert_audit
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection

__all__ = ["Actor", "AuditEntry", "entries", "record"]


class Actor(msgspec.Struct, frozen=True):
    """The caller and where the request came from."""

    principal: Principal
    ip: str


async def record(
    conn: Connection,
    actor: Actor | None,
    action: str,
    *,
    org_id: uuid.UUID | None,
    target: object = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    p = actor.principal if actor else None
    await insert_audit(
        conn,
        NewAuditEntry(
            actor_id=p.user_id if p else None,
            actor_role=p.role if p else None,
            actor_org_id=p.org_id if p else None,
            org_id=org_id,
            action=action,
            target=None if target is None else str(target),
            detail=detail or {},
            ip=actor.ip if actor else ip,
        ),
    )


async def entries(
    conn: Connection, org_ids: list[uuid.UUID], action: str | None, before: int | None, limit: int
) -> list[AuditEntry]:
    return await audit_of_orgs(conn, org_ids, action, before, limit)
