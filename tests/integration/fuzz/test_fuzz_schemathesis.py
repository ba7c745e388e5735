"""Every operation of the OpenAPI document, with schemathesis-generated input, as an organiser
admin, a school teacher and a student: never a server error, and every client error is a
problem document.

Two passes per caller:
- stateless: every operation, a few valid and a few invalid cases each (the test asserts that
  no operation is left without a case);
- stateful: the chains schemathesis 4 infers from the schema (an id one response returns is fed
  to the operations that take it: create an item, then read, edit and publish it; create an
  organisation, then its classes and users; ...), so calls get past "not found".

The fuzzed app runs under a Redis namespace of its own: the failed sign-ins it provokes count
against its own address limit, not against the rest of the session's tests. Derandomized, so
CI runs the same cases every time; the budget keeps the whole file near a minute.
"""

from __future__ import annotations

import asyncio
import copy
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import hypothesis
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from litestar.testing import AsyncTestClient
from schemathesis import GenerationMode

from engine.app import create_app
from engine.auth.passwords import hash_password
from engine.services import Services
from engine.settings import Settings
from tests.integration.conftest import PASSWORD, Api

# UJIAN_FUZZ_SCALE multiplies the budget for a longer hunt outside CI (e.g. 10 overnight)
SCALE = max(1, int(os.environ.get("UJIAN_FUZZ_SCALE", "1")))
EXAMPLES = {GenerationMode.POSITIVE: 6 * SCALE, GenerationMode.NEGATIVE: 3 * SCALE}
STATEFUL_SCENARIOS = 40 * SCALE
STATEFUL_STEPS = 6
PROBLEM = "application/problem+json"
ROLES = ("admin", "teacher", "student")


def _as_enforced(raw: dict[str, Any]) -> dict[str, Any]:
    """The document as the API enforces it: request Structs forbid unknown fields, which the
    generated document does not say; without this most generated bodies carry a stray field
    and stop at 400, and the chains never get past their first step."""
    for component in raw.get("components", {}).get("schemas", {}).values():
        if component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    return raw


def _operations(raw: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in raw["paths"].items()
        for method in ops
        if method in ("get", "put", "post", "patch", "delete")
    }


def _cases(raw_schema: dict[str, Any]) -> list[Any]:
    """Generate the cases first (no I/O), then send them through the async test client: valid
    ones from the document as enforced, invalid ones from the document as published."""
    cases: list[Any] = []
    for mode, count in EXAMPLES.items():
        document = (
            _as_enforced(copy.deepcopy(raw_schema))
            if mode is GenerationMode.POSITIVE
            else raw_schema
        )
        for result in schemathesis.openapi.from_dict(document).get_all_operations():
            operation = result.ok()

            # derandomized: the same cases on every run, so CI is repeatable
            @hypothesis.settings(
                max_examples=count,
                database=None,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def collect(case: Any) -> None:
                cases.append(case)

            try:
                collect()
            except hypothesis.errors.Unsatisfiable:
                # an operation with nothing to break (no parameters, no body) has no invalid
                # case; its valid ones are sent all the same
                continue
    return cases


async def _send(client: AsyncTestClient[Any], case: Any, auth: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="", headers=auth)
    # the caller's own token, even where the generated case brought an Authorization header of
    # its own (the schema declares the bearer scheme): the point is to get past the sign-in
    headers = {k: v for k, v in kwargs["headers"].items() if k.lower() != "authorization"}
    request: dict[str, Any] = {"headers": headers | auth, "params": kwargs.get("params")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif "data" in kwargs:
        data = kwargs["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    return await client.request(kwargs["method"], kwargs["url"], **request)


def _fault(r: Any) -> str | None:
    """What is wrong with a response, if anything."""
    if r.status_code >= 500:
        return f"{r.status_code} {r.text[:300]}"
    if r.status_code >= 400 and not r.headers.get("content-type", "").startswith(PROBLEM):
        return f"{r.status_code} is not a problem document: {r.text[:200]}"
    return None


@pytest.fixture(scope="module")
async def fuzz_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    own = msgspec.structs.replace(settings, redis_namespace=f"{settings.redis_namespace}fz")
    async with AsyncTestClient(app=create_app(own)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
async def callers(svc: Services, fuzz_client: AsyncTestClient[Any]) -> dict[str, dict[str, str]]:
    """An organiser with one school and class: its admin, a teacher and a student, and a
    published exam the student has started (so listings and chains have something real).
    Each one's headers, signed in before any fuzzing: the fuzzer's failed sign-ins soon use up
    the address's allowance, and a sign-in after that would be refused."""
    organiser, school, class_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tag = organiser.hex[:6]
    users = {role: f"fz-{role}-{tag}" for role in ROLES}
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'organiser')",
            organiser,
            f"Fuzz organiser {tag}",
        )
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, $2, $3, 'school')",
            school,
            organiser,
            f"Fuzz {tag}",
        )
        await conn.execute(
            "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, '9A')", class_id, school
        )
        for role, username in users.items():
            await conn.execute(
                "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
                "class_id) VALUES ($1, $2, $3, $3, $4, $5, $6)",
                uuid.uuid4(),
                organiser if role == "admin" else school,
                username,
                role,
                hash_password(PASSWORD),
                class_id if role == "student" else None,
            )
    api = Api(fuzz_client)
    exam = await api.exam(users["teacher"])
    await api.start(users["student"], exam["id"])
    return {role: await api.headers(username) for role, username in users.items()}


async def test_every_operation_without_state(
    fuzz_client: AsyncTestClient[Any], callers: dict[str, dict[str, str]]
) -> None:
    raw = (await fuzz_client.get("/schema/openapi.json")).json()
    cases = _cases(raw)
    missing = _operations(raw) - {(c.method.upper(), c.path) for c in cases}
    assert not missing, f"operations without a generated case: {sorted(missing)}"
    failures: list[str] = []
    for role in ROLES:
        auth = callers[role]
        for case in cases:
            r = await _send(fuzz_client, case, auth)
            fault = _fault(r)
            if fault:
                failures.append(f"{case.method} {case.formatted_path} as {role}: {fault}")
    assert not failures, "\n".join(failures[:60])


def _run_stateful(
    raw: dict[str, Any],
    client: AsyncTestClient[Any],
    auth: dict[str, str],
    loop: asyncio.AbstractEventLoop,
    failures: list[str],
    role: str,
) -> int:
    """Hypothesis's state machine is synchronous: it runs in a worker thread and sends each
    request to the test's own event loop (where the app, its pool and Redis client live)."""
    schema = schemathesis.openapi.from_dict(raw)
    sent_calls = 0

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Any, **kwargs: Any) -> Any:
            nonlocal sent_calls
            sent_calls += 1
            sent = asyncio.run_coroutine_threadsafe(_send(client, case, auth), loop)
            return schemathesis.Response.from_httpx(sent.result(timeout=60), verify=False)

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            # collected, not raised: a raise would make hypothesis shrink the scenario,
            # re-sending it many times; the message names the call to replay it
            if response.status_code >= 500 or (
                response.status_code >= 400
                and not response.headers.get("content-type", [""])[0].startswith(PROBLEM)
            ):
                failures.append(
                    f"{case.method} {case.formatted_path} as {role} (stateful): "
                    f"{response.status_code} {response.content[:300]!r}"
                )

    settings = hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS,
        stateful_step_count=STATEFUL_STEPS,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    for attempt in range(3):
        # a new order of first steps each attempt (the runs are derandomized)
        Scenario.rule_order_seed = attempt
        try:
            Scenario.run(settings=settings)
            break
        except hypothesis.errors.FlakyStrategyDefinition:
            # the server's state moved on between two runs of a scenario (the bundle of ids a
            # step draws from was filled before and is empty now): hypothesis stops this run;
            # what it sent until then was checked, and the next attempt starts afresh
            continue
    return sent_calls


async def test_every_chain_schemathesis_infers(
    fuzz_client: AsyncTestClient[Any], callers: dict[str, dict[str, str]]
) -> None:
    raw = _as_enforced((await fuzz_client.get("/schema/openapi.json")).json())
    failures: list[str] = []
    loop = asyncio.get_running_loop()
    for role in ROLES:
        calls = await asyncio.to_thread(
            _run_stateful, raw, fuzz_client, callers[role], loop, failures, role
        )
        # every scenario sends at least one request: a machine that found no rules sent none
        assert calls >= STATEFUL_SCENARIOS, (role, calls)
    assert not failures, "\n".join(failures[:60])
