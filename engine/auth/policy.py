"""Who may call each endpoint, declared on the handler and enforced by one app-wide guard.

Every route handler carries ``opt=allow(...)`` (or ``opt=PUBLIC``). The guard refuses a handler
that declares nothing, so an endpoint added without a policy fails closed, and the
authorisation matrix test (generated from the app's route table) fails until it has one.

Roles are checked here, before the body is read; which organisation a resource belongs to is
checked by the service that loads it (tenancy needs the row, and the hot path must not pay a
database read in a guard).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from engine.kernel.errors import DomainError, forbidden
from engine.kernel.principal import ROLES, STAFF_ROLES, Principal, Role

Tenancy = Literal["none", "self", "org"]


class Policy(msgspec.Struct, frozen=True):
    roles: frozenset[str]
    public: bool = False
    # a token from an exam card (one exam, one student) may call it
    exam_card: bool = False
    # "none": no organisation's data; "self": the caller's own things; "org": data of an
    # organisation, which must be the caller's or one below it
    tenancy: Tenancy = "org"


POLICY_KEY = "policy"
STAFF: tuple[Role, ...] = tuple(r for r in ROLES if r in STAFF_ROLES)
SCHOOL_STAFF: tuple[Role, ...] = ("admin", "school_admin", "teacher", "proctor")
MANAGERS: tuple[Role, ...] = ("admin", "school_admin")
PUBLIC_POLICY = Policy(roles=frozenset(), public=True, tenancy="none")
PUBLIC: dict[str, Any] = {POLICY_KEY: PUBLIC_POLICY}


def allow(*roles: Role, exam_card: bool = False, tenancy: Tenancy = "org") -> dict[str, Any]:
    """The ``opt`` of a handler that the given roles may call."""
    if not roles:
        raise ValueError("name at least one role, or use PUBLIC")
    return {POLICY_KEY: Policy(frozenset(roles), exam_card=exam_card, tenancy=tenancy)}


def policy_of(handler: BaseRouteHandler) -> Policy | None:
    opt = handler.opt or {}
    # ``exclude_from_auth=True`` on a handler is itself a declaration that anyone may call it
    if opt.get("exclude_from_auth") is True:
        return PUBLIC_POLICY
    found = opt.get(POLICY_KEY)
    return found if isinstance(found, Policy) else None


def is_framework_handler(handler: BaseRouteHandler) -> bool:
    """The OpenAPI document and its viewers, and the OPTIONS answers, which Litestar adds."""
    fn = getattr(handler.fn, "__func__", handler.fn)
    return str(getattr(fn, "__module__", "")).startswith("litestar.")


# async although it awaits nothing: Litestar runs a sync guard in a worker thread, which cost
# the answer endpoint a tenth of its time (profiled)
async def enforce_policy(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    policy = policy_of(handler)
    if policy is None:
        if is_framework_handler(handler):
            return
        raise forbidden("this endpoint declares no access policy")
    if policy.public:
        return
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise DomainError(401, "unauthorized", "Sign-in required")
    if user.exam_id is not None:
        if not policy.exam_card:
            raise forbidden("an exam card opens its own exam only; sign in with a password")
        exam = connection.path_params.get("exam_id")
        if exam is not None and exam != user.exam_id:
            raise forbidden("this exam card is for another exam")
    if user.role not in policy.roles:
        raise forbidden(f"a {user.role} account may not do this")
