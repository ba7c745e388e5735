"""Every handler of the app declares who may call it; a handler that does not is refused."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from engine.app import create_app
from engine.auth.policy import (
    PUBLIC,
    RESOLVED_KEY,
    Policy,
    allow,
    check_policy,
    is_framework_handler,
    policy_of,
)
from engine.kernel.errors import DomainError
from engine.kernel.principal import Principal
from engine.settings import Settings


def test_every_route_handler_has_a_policy() -> None:
    app = create_app(
        Settings(
            database_url="postgresql://unused",
            redis_url="redis://unused",
            jwt_secret=secrets.token_urlsafe(48),
        )
    )
    seen, missing = 0, []
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if is_framework_handler(handler):
                continue
            seen += 1
            policy = policy_of(handler)
            if policy is None:
                missing.append(f"{method} {route.path}")
            else:
                assert policy.public or policy.roles <= {
                    "admin",
                    "school_admin",
                    "teacher",
                    "proctor",
                    "student",
                }
    assert seen > 40
    assert missing == [], "declare opt=allow(...) or opt=PUBLIC on: " + ", ".join(missing)


def test_allow_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        allow()
    assert allow("teacher")["policy"] == Policy(frozenset({"teacher"}))
    assert PUBLIC["policy"].public


@get("/undeclared", sync_to_thread=False)
def undeclared() -> dict[str, Any]:
    return {"ok": True}


@get("/open", sync_to_thread=False, opt=PUBLIC)
def open_door() -> dict[str, Any]:
    return {"ok": True}


def _ujian_app_with(*handlers: Any) -> Litestar:
    """The real app (its authentication middleware and policies) with ``handlers`` added."""
    from engine.auth.policy import apply_policies

    app = create_app(
        Settings(
            database_url="postgresql://unused",
            redis_url="redis://unused",
            jwt_secret=secrets.token_urlsafe(48),
        )
    )
    for handler in handlers:
        app.register(handler)
    apply_policies(app)
    return app


def test_a_handler_without_policy_fails_closed() -> None:
    # no lifespan: these requests need neither PostgreSQL nor Redis
    client = TestClient(_ujian_app_with(undeclared, open_door))
    # without a token: refused before anything else
    assert client.get("/undeclared").status_code == 401
    # a public handler needs no token, and no path pattern had to name it
    assert client.get("/open").json() == {"ok": True}
    # with a caller: no declared policy, nobody may call it
    student = Principal(uuid.uuid4(), uuid.uuid4(), "student")
    with pytest.raises(DomainError) as refused:
        check_policy(None, student, {})
    assert refused.value.status == 403 and refused.value.code == "forbidden"


def test_policies_are_resolved_once_when_the_app_is_built() -> None:
    app = _ujian_app_with(undeclared, open_door)
    by_path = {
        route.path: handler
        for route in app.routes
        for handler, _ in getattr(route, "route_handler_map", {}).values()
        if not is_framework_handler(handler)
    }
    assert by_path["/undeclared"].opt[RESOLVED_KEY] is None
    assert by_path["/open"].opt["exclude_from_auth"] is True
    assert by_path["/health/live"].opt["exclude_from_auth"] is True
    # a handler that needs a caller is not excluded from authentication
    assert not any(
        h.opt.get("exclude_from_auth") for p, h in by_path.items() if p.startswith("/v1/sittings")
    )
