"""Every handler of the app declares who may call it; the guard refuses one that does not."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from engine.app import create_app
from engine.auth.policy import (
    PUBLIC,
    Policy,
    allow,
    enforce_policy,
    is_framework_handler,
    policy_of,
)
from engine.problems import EXCEPTION_HANDLERS
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


def test_guard_fails_closed_for_a_handler_without_policy() -> None:
    app = Litestar(
        [undeclared, open_door], guards=[enforce_policy], exception_handlers=EXCEPTION_HANDLERS
    )
    with TestClient(app) as client:
        r = client.get("/undeclared")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert client.get("/open").json() == {"ok": True}
