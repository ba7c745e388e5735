"""Tenancy: an organiser's admin reaches its own organisation and every one below it; everyone
else reaches their own organisation only. Anything outside is "not found", never "forbidden",
so another school's ids reveal nothing.

The same reach decides where an exam may be assigned (engine/exams/service.py
``assign_exam``): only an organiser's admin assigns across schools; a teacher or school admin,
even one working at the organiser, assigns to their own organisation only. A national
organiser expects the exam's distribution to be an admin's decision, not any teacher's."""

from __future__ import annotations

import uuid

from engine.accounts import repository
from engine.kernel.errors import not_found
from engine.kernel.principal import Principal
from engine.kernel.sql import Connection


async def reaches(conn: Connection, principal: Principal, org_id: uuid.UUID) -> bool:
    if org_id == principal.org_id:
        return True
    if principal.role != "admin":
        return False
    return await repository.org_is_under(conn, org_id, principal.org_id)


async def require_org(
    conn: Connection, principal: Principal, org_id: uuid.UUID | None, what: str = "organisation"
) -> uuid.UUID:
    if org_id is None or not await reaches(conn, principal, org_id):
        raise not_found(what)
    return org_id


async def orgs_reached(conn: Connection, principal: Principal) -> list[uuid.UUID]:
    if principal.role != "admin":
        return [principal.org_id]
    return await repository.org_and_below(conn, principal.org_id)
