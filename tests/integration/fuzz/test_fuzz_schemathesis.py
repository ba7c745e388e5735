"""Every operation of the OpenAPI document, with schemathesis-generated input, as a teacher and
as a student: never a server error, and every client error is a problem document."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar.testing import AsyncTestClient

from tests.integration.conftest import Api, School

EXAMPLES_PER_OPERATION = 5
PROBLEM = "application/problem+json"


def _cases(raw_schema: dict[str, Any]) -> list[Any]:
    """Generate the cases first (no I/O), then send them through the async test client."""
    schema = schemathesis.openapi.from_dict(raw_schema)
    cases: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        # derandomized: the same cases on every run, so CI is repeatable
        @settings(max_examples=EXAMPLES_PER_OPERATION, database=None, deadline=None,
                  derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def collect(case: Any) -> None:
            cases.append(case)

        collect()
    return cases


async def _send(client: AsyncTestClient[Any], case: Any, auth: dict[str, str]) -> Any:
    kwargs = case.as_transport_kwargs(base_url="", headers=auth)
    request: dict[str, Any] = {"headers": kwargs["headers"], "params": kwargs.get("params")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif "data" in kwargs:
        data = kwargs["data"]
        request["content" if isinstance(data, bytes | str) else "data"] = data
    return await client.request(kwargs["method"], kwargs["url"], **request)


async def test_no_operation_fails_with_a_server_error(api: Api, school: School) -> None:
    raw = (await api.client.get("/schema/openapi.json")).json()
    cases = _cases(raw)
    assert len(cases) >= len(raw["paths"])
    failures: list[str] = []
    for who in (school.teacher, school.students[5]):
        auth = await api.headers(who)
        for case in cases:
            r = await _send(api.client, case, auth)
            where = f"{case.method} {case.formatted_path} as {who}: {r.status_code}"
            if r.status_code >= 500:
                failures.append(f"{where} {r.text[:200]}")
            elif r.status_code >= 400 and not r.headers.get("content-type", "").startswith(
                    PROBLEM):
                failures.append(f"{where} is not a problem document: {r.text[:200]}")
    assert not failures, "\n".join(failures[:30])
