"""Who may call each endpoint, declared on the handler and enforced by one app-wide guard.

Every route handler carries ``opt=allow(...)`` (or ``opt=PUBLIC``). When the app is built,
``apply_policies`` resolves each handler's policy once; the authentication middleware checks it
right after the token, and refuses a handler that declares nothing, so an endpoint added
without a policy fails closed, and the authorisation matrix test (generated from the app's
route table) fails until it has one.

Roles are checked there, before the body is read; which organisation a resource belongs to is
checked by the service that loads it (tenancy needs the row, and the hot path must not pay a
database read in a guard).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec
from litestar import Litestar
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
# set on every handler when the app is built (apply_policies): its policy, None if it has none
RESOLVED_KEY = "resolved_policy"
EXCLUDE_FROM_AUTH = "exclude_from_auth"
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


def check_policy(policy: Policy | None, user: Any, path_params: Mapping[str, Any]) -> None:
    """Raise the problem that refuses ``user`` under ``policy`` (None: the handler declared
    none, so nobody may call it)."""
    if policy is None:
        raise forbidden("this endpoint declares no access policy")
    if policy.public:
        return
    if not isinstance(user, Principal):
        raise DomainError(401, "unauthorized", "Sign-in required")
    if user.exam_id is not None:
        if not policy.exam_card:
            raise forbidden("an exam card opens its own exam only; sign in with a password")
        exam = path_params.get("exam_id")
        if exam is not None and exam != user.exam_id:
            raise forbidden("this exam card is for another exam")
    if user.role not in policy.roles:
        raise forbidden(f"a {user.role} account may not do this")


def resolved_policy(handler: BaseRouteHandler) -> Policy | None:
    """What the request-time check of ``handler`` uses, found once when the app is built: the
    framework's own handlers are public, one that declares nothing has None (refused)."""
    policy = policy_of(handler)
    if policy is None and is_framework_handler(handler):
        policy = PUBLIC_POLICY
    return policy


def apply_policies(app: Litestar) -> int:
    """Decide every route handler's access once, at registration, instead of per request: a
    public handler is marked ``exclude_from_auth`` (the authentication middleware then skips it
    on one dict lookup, no path patterns), every other one carries its resolved policy, which
    the authentication middleware checks right after the token (engine/auth/cached_jwt.py).
    Returns how many handlers were resolved.

    Why not a Litestar guard: Litestar copies the route handler for every guard call, which
    cost the smallest request a sixth of its CPU (measured: bench/bench_floor.py)."""
    resolved = 0
    for route in app.routes:
        handlers = getattr(route, "route_handler_map", None)
        if handlers is None:  # a websocket or ASGI mount: none in this app
            handlers = {"": (getattr(route, "route_handler", None), None)}
        for handler, _ in handlers.values():
            if handler is None:
                continue
            policy = resolved_policy(handler)
            opt = handler.opt
            opt[RESOLVED_KEY] = policy
            if policy is not None and policy.public:
                opt[EXCLUDE_FROM_AUTH] = True
            resolved += 1
    return resolved


def enforce_resolved_policy(scope: Mapping[str, Any]) -> None:
    """The request-time half of :func:`apply_policies`, for an authenticated request."""
    handler = scope["route_handler"]
    check_policy(handler.opt.get(RESOLVED_KEY), scope.get("user"), scope.get("path_params", {}))
