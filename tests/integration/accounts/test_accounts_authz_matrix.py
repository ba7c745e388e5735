"""The authorisation matrix, generated from the app's own route table: every endpoint × every
role (and an exam-card sign-in) × own organisation / another organisation.

A handler without a declared policy fails here; so does a path parameter nobody knows how to
fill. Expectations: a role outside the policy gets 403 from the guard; an allowed role gets past
the guard in its own school; nothing ever succeeds against the other school, and nothing answers
5xx. Afterwards, the other school's audit trail shows no action by the first one's people.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

from litestar.testing import AsyncTestClient

from engine.auth.policy import Policy, is_framework_handler, policy_of
from engine.services import Services
from engine.settings import Settings
from tests.integration.accounts.conftest import ROLE_NAMES, Side, Tenants
from tests.integration.conftest import Api, sample_items

PARAM = re.compile(r"\{(\w+):(\w+)\}")
SKIP_PREFIXES = ("/bench/",)

# path parameter name -> how to find it on a side (a resource of that side's school)
PARAMS: dict[str, Callable[[Side, dict[str, str]], str]] = {
    "exam_id": lambda s, extra: s.exam_id,
    "sitting_id": lambda s, extra: s.sitting_id,
    "org_id": lambda s, extra: str(s.school),
    "class_id": lambda s, extra: str(s.class_id),
    "user_id": lambda s, extra: str(s.user_ids["student"]),
    "student_id": lambda s, extra: str(s.user_ids["student"]),
    "item_id": lambda s, extra: extra["item_id"],
    "bank_id": lambda s, extra: extra.get("bank_id", str(uuid.uuid4())),
    "media_id": lambda s, extra: str(uuid.uuid4()),
    "version": lambda s, extra: "1",
}

# request bodies by the handler's body type; a side's ids go into bodies that name things
BODIES: dict[str, Callable[[Side], Any]] = {
    "OrgCreate": lambda s: {"name": "New school", "parent_id": str(s.organiser)},
    "ClassCreate": lambda s: {"name": "9B"},
    "UserCreate": lambda s: {
        "username": f"u{uuid.uuid4().hex[:10]}",
        "display_name": "New",
        "role": "teacher",
    },
    "UserUpdate": lambda s: {"display_name": "Renamed"},
    "ProfileUpdate": lambda s: {"display_name": "Me"},
    "PasswordChange": lambda s: {"current_password": "x", "new_password": "long-enough-pw"},
    "ClassAssignment": lambda s: {"class_ids": [str(s.class_id)]},
    "OverrideSet": lambda s: {"extra_time_s": 60},
    "ExamPolicy": lambda s: {"device_policy": "take_over"},
    "ExtraTime": lambda s: {"seconds": 30},
    "AssignmentCreate": lambda s: {"org_ids": [str(s.school)]},
    "AnswerBatch": lambda s: {"events": [{"seq": 1, "item": "x", "response": None}]},
    "SignIn": lambda s: {"username": "nobody", "password": "wrong"},
    "RefreshRequest": lambda s: {"refresh_token": "0" * 32 + ".x"},
    "CardSignIn": lambda s: {"code": "2222-2222-2222"},
}


def _body_type(handler: Any) -> str | None:
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    args = getattr(field.annotation, "__args__", None)
    inner = args[0] if args else field.annotation
    return str(getattr(inner, "__name__", inner))


def endpoints(settings: Settings) -> list[tuple[str, str, Any, Policy]]:
    from engine.app import create_app

    found = []
    for route in create_app(settings).routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if is_framework_handler(handler) or route.path.startswith(SKIP_PREFIXES):
                continue
            policy = policy_of(handler)
            assert policy is not None, f"{method} {route.path} declares no access policy"
            found.append((method, route.path, handler, policy))
    return found


def _ends_an_account(method: str, path: str) -> bool:
    """Disable, enable and remove act on a user of their own (so the matrix's student keeps
    signing in)."""
    return path.startswith("/v1/users/") and (
        method == "DELETE" or path.endswith(("/disable", "/enable"))
    )


def _url(path: str, side: Side, extra: dict[str, str], method: str = "GET") -> str:
    def fill(m: re.Match[str]) -> str:
        if m.group(1) == "user_id" and _ends_an_account(method, path):
            return extra["victim_id"]
        if m.group(1) in PARAMS:
            return PARAMS[m.group(1)](side, extra)
        # an id the matrix has no resource for: the roles are still checked (the guard runs
        # first); add it to PARAMS to check its tenancy against a real row as well
        assert m.group(2) == "uuid", f"teach the matrix the path parameter {m.group(1)!r}"
        return str(uuid.uuid4())

    return PARAM.sub(fill, path)


async def _card_token(api: Api, side: Side) -> str:
    r = await api.call("POST", f"/v1/exams/{side.exam_id}/cards", side.users["teacher"])
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    code = next(row["code"] for row in rows if row["username"] == side.users["student"])
    r = await api.client.post("/v1/auth/card", json={"code": code})
    assert r.status_code == 201, r.text
    return str(r.json()["access_token"])


async def test_every_endpoint_every_role_own_and_other_school(
    client: AsyncTestClient[Any], settings: Settings, tenants: Tenants, svc: Services
) -> None:
    api = Api(client)
    extra = {}
    for name, side in (("a", tenants.a), ("b", tenants.b)):
        r = await api.call("POST", "/v1/items", side.users["teacher"], json=sample_items()[0])
        assert r.status_code == 201, r.text
        extra[name] = {"item_id": r.json()["id"]}
        r = await api.call(
            "POST",
            f"/v1/orgs/{side.school}/users",
            side.users["admin"],
            json={
                "username": f"victim-{name}-{tenants.tag}",
                "display_name": "Victim",
                "role": "student",
            },
        )
        assert r.status_code == 201, r.text
        extra[name]["victim_id"] = r.json()["id"]
    tokens = {role: (await api.headers(tenants.a.users[role])) for role in ROLE_NAMES}
    tokens["card"] = {"Authorization": f"Bearer {await _card_token(api, tenants.a)}"}
    checked = 0
    for method, path, handler, policy in endpoints(settings):
        body_type = _body_type(handler)
        make_body = BODIES.get(body_type or "", lambda s: {})
        if policy.public:
            r = await client.request(
                method,
                _url(path, tenants.a, extra["a"]),
                json=make_body(tenants.a) if body_type else None,
            )
            assert r.status_code < 500 and "unauthorized" not in r.text, (method, path, r.text)
            continue
        names_other = bool(PARAM.search(path)) or body_type in (
            "OrgCreate",
            "ClassAssignment",
            "AssignmentCreate",
        )
        for who, headers in tokens.items():
            role = "student" if who == "card" else who
            allowed = role in policy.roles and (who != "card" or policy.exam_card)
            for side_name, side in (("a", tenants.a), ("b", tenants.b)):
                if side_name == "b" and not names_other:
                    continue
                r = await client.request(
                    method,
                    _url(path, side, extra[side_name], method),
                    headers=headers,
                    json=make_body(side) if body_type else None,
                )
                where = f"{method} {path} as {who} on {'own' if side_name == 'a' else 'other'}"
                assert r.status_code < 500, (where, r.text)
                if path.endswith("/cards") and r.status_code == 200:
                    # cards issued again revoke the card sign-ins of the old ones: sign in anew
                    tokens["card"] = {"Authorization": f"Bearer {await _card_token(api, side)}"}
                checked += 1
                if not allowed:
                    assert r.status_code == 403, (where, r.text)
                    assert r.json()["code"] == "forbidden", (where, r.text)
                elif side_name == "b":
                    assert r.status_code >= 400, (where, r.text)
                else:
                    assert r.status_code != 401, (where, r.text)
                    assert not (r.status_code == 403 and "may not do this" in r.text), where
    assert checked > 300
    # nobody of the first organiser's tree left a trace in the second one's
    async with svc.pool.acquire() as conn:
        crossed = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE org_id = ANY($1::uuid[]) "
            "AND actor_org_id = ANY($2::uuid[])",
            [tenants.b.school, tenants.b.organiser],
            [tenants.a.school, tenants.a.organiser],
        )
        touched_a = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE org_id = $1", tenants.a.school
        )
    assert crossed == 0
    assert touched_a > 0  # the own-school calls did go through
    paused = await svc.redis.hget(svc.keys_for(tenants.b.sitting_id).session, "paused")
    assert paused is None
