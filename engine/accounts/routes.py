"""HTTP endpoints of organisations, classes, users, enrolment and audit: decode → one service
call → encode. Every handler declares who may call it (engine/auth/policy.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from engine.accounts import audit, enrolment, people
from engine.accounts.audit import Actor, AuditEntry
from engine.accounts.models import (
    ClassCreate,
    EnrolmentReport,
    Org,
    OrgCreate,
    SchoolClass,
    User,
    UserCreate,
    UserUpdate,
)
from engine.accounts.scope import orgs_reached, require_org
from engine.auth.policy import MANAGERS, SCHOOL_STAFF, allow
from engine.auth.ratelimit import client_ip
from engine.deps import Svc
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.services import Services

Req = Request[Principal, Any, Any]
OrgId = FromPath[uuid.UUID]
# the hard cap of an upload; the enrolment_max_bytes setting is checked below it
UPLOAD_CAP = 64 * 1024 * 1024
RoleFilter = Literal["admin", "school_admin", "teacher", "proctor", "student"]


def actor_of(request: Req, svc: Services) -> Actor:
    ip = client_ip(
        request.headers,
        request.client.host if request.client else None,
        svc.settings.trust_forwarded_for,
    )
    return Actor(request.user, ip)


class OrgController(Controller):
    path = "/v1/orgs"
    tags = ["accounts"]

    @post(
        "/",
        summary="Create a school (or a sub-organiser) below my organisation",
        opt=allow("admin"),
    )
    async def create(self, svc: Svc, request: Req, data: JSONBody[OrgCreate]) -> Org:
        return await people.create_org(svc, actor_of(request, svc), data)

    @get(
        "/",
        summary="The organisations I reach: mine and, for an organiser, those below it",
        opt=allow(*SCHOOL_STAFF),
    )
    async def reached(self, svc: Svc, request: Req) -> list[Org]:
        return await people.list_orgs(svc, request.user)

    @get("/{org_id:uuid}", summary="One organisation", opt=allow(*SCHOOL_STAFF))
    async def one(self, svc: Svc, request: Req, org_id: OrgId) -> Org:
        return await people.get_org(svc, request.user, org_id)

    @post(
        "/{org_id:uuid}/classes",
        summary="Create a class (idempotent by name)",
        opt=allow(*MANAGERS),
    )
    async def create_class(
        self, svc: Svc, request: Req, org_id: OrgId, data: JSONBody[ClassCreate]
    ) -> SchoolClass:
        return await people.create_class(svc, actor_of(request, svc), org_id, data)

    @get("/{org_id:uuid}/classes", summary="The classes of a school", opt=allow(*SCHOOL_STAFF))
    async def classes(self, svc: Svc, request: Req, org_id: OrgId) -> list[SchoolClass]:
        return await people.list_classes(svc, request.user, org_id)

    @post("/{org_id:uuid}/users", summary="Create an account", opt=allow(*MANAGERS))
    async def create_user(
        self, svc: Svc, request: Req, org_id: OrgId, data: JSONBody[UserCreate]
    ) -> User:
        return await people.create_user(svc, actor_of(request, svc), org_id, data)

    @get(
        "/{org_id:uuid}/users",
        summary="Accounts of an organisation, by username",
        opt=allow(*SCHOOL_STAFF),
    )
    async def users(
        self,
        svc: Svc,
        request: Req,
        org_id: OrgId,
        role: FromQuery[RoleFilter | None] = None,
        class_id: FromQuery[uuid.UUID | None] = None,
        after: FromQuery[str] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
    ) -> list[User]:
        return await people.list_users(svc, request.user, org_id, role, class_id, after, limit)

    @post(
        "/{org_id:uuid}/enrolment",
        status_code=200,
        request_max_body_size=UPLOAD_CAP,
        summary="Import students and classes from CSV (all or nothing; dry_run checks only)",
        opt=allow(*MANAGERS),
    )
    async def enrol(
        self, svc: Svc, request: Req, org_id: OrgId, dry_run: FromQuery[bool] = False
    ) -> Response[EnrolmentReport]:
        body = await request.body()
        if len(body) > svc.settings.enrolment_max_bytes:
            raise DomainError(
                413,
                "payload_too_large",
                "The request body is too large",
                f"at most {svc.settings.enrolment_max_bytes} bytes; split the file",
            )
        report = await enrolment.import_students(svc, actor_of(request, svc), org_id, body, dry_run)
        return Response(report, status_code=422 if report.errors else 200)

    @get(
        "/{org_id:uuid}/enrolment",
        summary="Export the students as enrolment CSV",
        opt=allow(*MANAGERS, "teacher"),
    )
    async def export(self, svc: Svc, request: Req, org_id: OrgId) -> Response[bytes]:
        body = await enrolment.export_students(svc, request.user, org_id)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="students-{org_id}.csv"'},
        )


class UserController(Controller):
    path = "/v1/users/{user_id:uuid}"
    tags = ["accounts"]

    @get("/", summary="One account", opt=allow(*SCHOOL_STAFF))
    async def one(self, svc: Svc, request: Req, user_id: FromPath[uuid.UUID]) -> User:
        return await people.get_user(svc, request.user, user_id)

    @patch(
        "/",
        summary="Change an account (a password set here signs it out everywhere)",
        opt=allow(*MANAGERS),
    )
    async def update(
        self, svc: Svc, request: Req, user_id: FromPath[uuid.UUID], data: JSONBody[UserUpdate]
    ) -> User:
        return await people.update_user(svc, actor_of(request, svc), user_id, data)

    @post(
        "/disable",
        status_code=200,
        opt=allow(*MANAGERS),
        summary="Disable an account: no sign-in; its sessions and tokens end within seconds",
    )
    async def disable(self, svc: Svc, request: Req, user_id: FromPath[uuid.UUID]) -> User:
        return await people.set_disabled(svc, actor_of(request, svc), user_id, True)

    @post(
        "/enable",
        status_code=200,
        opt=allow(*MANAGERS),
        summary="Enable a disabled account again (it signs in afresh)",
    )
    async def enable(self, svc: Svc, request: Req, user_id: FromPath[uuid.UUID]) -> User:
        return await people.set_disabled(svc, actor_of(request, svc), user_id, False)

    @delete(
        "/",
        opt=allow(*MANAGERS),
        summary="Remove an account (its sittings and results stay on record)",
    )
    async def remove(self, svc: Svc, request: Req, user_id: FromPath[uuid.UUID]) -> None:
        await people.remove_user(svc, actor_of(request, svc), user_id)


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["accounts"]

    @get(
        "/",
        summary="The audit log of the organisations I manage, newest first",
        opt=allow(*MANAGERS),
    )
    async def entries(
        self,
        svc: Svc,
        request: Req,
        org_id: FromQuery[uuid.UUID | None] = None,
        action: FromQuery[str | None] = None,
        before: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[AuditEntry]:
        async with svc.pool.acquire() as conn:
            orgs = (
                [await require_org(conn, request.user, org_id)]
                if org_id
                else await orgs_reached(conn, request.user)
            )
            return await audit.entries(conn, orgs, action, before, limit)
