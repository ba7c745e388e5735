"""An app with its services on the real servers, a client, and a small school to test with."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from engine.app import create_app, open_services
from engine.auth.passwords import hash_password
from engine.services import Services
from engine.settings import Settings
from tests.conftest import ServerUrls

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def settings(server_urls: ServerUrls, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=server_urls.redis,
        redis_namespace=f"t{uuid.uuid4().hex[:8]}",
        stream_shards=4,
        # the tests drive the consumers themselves, step by step
        run_workers_in_api=False,
        jwt_secret="test-secret-" + uuid.uuid4().hex,
    )


@pytest.fixture(scope="session")
async def svc(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as services:
        yield services


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


class School(msgspec.Struct):
    org_id: uuid.UUID
    teacher: str
    students: list[str]
    other_org_id: uuid.UUID
    other_teacher: str
    other_student: str


async def _user(conn: Any, org: uuid.UUID, username: str, role: str, password_hash: str) -> None:
    await conn.execute(
        "INSERT INTO users (id, org_id, username, display_name, role, password_hash) "
        "VALUES ($1, $2, $3, $3, $4, $5)",
        uuid.uuid4(),
        org,
        username,
        role,
        password_hash,
    )


@pytest.fixture(scope="session")
async def school(svc: Services) -> School:
    """Two schools: ours (a teacher, 6 students) and another one, to prove isolation."""
    tag = uuid.uuid4().hex[:6]
    password_hash = hash_password(PASSWORD)
    org, other = uuid.uuid4(), uuid.uuid4()
    async with svc.pool.acquire() as conn:
        for org_id, name in ((org, "Ours"), (other, "Theirs")):
            await conn.execute(
                "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'school')",
                org_id,
                f"{name} {tag}",
            )
        await _user(conn, org, f"teacher-{tag}", "teacher", password_hash)
        students = [f"student-{tag}-{n}" for n in range(6)]
        for username in students:
            await _user(conn, org, username, "student", password_hash)
        await _user(conn, other, f"teacher2-{tag}", "teacher", password_hash)
        await _user(conn, other, f"student2-{tag}", "student", password_hash)
    return School(org, f"teacher-{tag}", students, other, f"teacher2-{tag}", f"student2-{tag}")


class Api:
    """Small helpers over the test client, speaking the public API only."""

    def __init__(self, client: AsyncTestClient[Any] | httpx.AsyncClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = await self.client.post(
                "/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert r.status_code == 201, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    async def call(self, method: str, path: str, user: str, **kwargs: Any) -> Any:
        return await self.client.request(method, path, headers=await self.headers(user), **kwargs)

    async def exam(
        self,
        teacher: str,
        *,
        items: list[dict[str, Any]] | None = None,
        opens_in_s: float = -60,
        closes_in_s: float = 3600,
        limit_s: int = 3600,
        grace_s: int = 30,
        instant: bool = True,
        publish: bool = True,
        navigation: str = "free",
    ) -> dict[str, Any]:
        ids = []
        for item in items or sample_items():
            r = await self.call("POST", "/v1/items", teacher, json=item)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        now = datetime.now(UTC)
        r = await self.call(
            "POST",
            "/v1/exams",
            teacher,
            json={
                "title": "Mock exam",
                "sections": [{"title": "A", "items": ids[:2]}, {"title": "B", "items": ids[2:]}],
                "time_limit_s": limit_s,
                "window_open": (now + timedelta(seconds=opens_in_s)).isoformat(),
                "window_close": (now + timedelta(seconds=closes_in_s)).isoformat(),
                "grace_s": grace_s,
                "instant_results": instant,
                "navigation": navigation,
            },
        )
        assert r.status_code == 201, r.text
        exam: dict[str, Any] = r.json()
        if publish:
            r = await self.call("POST", f"/v1/exams/{exam['id']}/publish", teacher)
            assert r.status_code == 200, r.text
            exam = r.json()
        return exam

    async def start(self, student: str, exam_id: str) -> dict[str, Any]:
        r = await self.call("POST", f"/v1/exams/{exam_id}/sittings", student)
        assert r.status_code == 200, r.text
        sitting: dict[str, Any] = r.json()
        return sitting

    async def paper(self, student: str, sitting_id: str) -> dict[str, Any]:
        r = await self.call("GET", f"/v1/sittings/{sitting_id}/paper", student)
        assert r.status_code == 200, r.text
        paper: dict[str, Any] = r.json()
        return paper

    async def answer(self, student: str, sitting_id: str, events: list[dict[str, Any]]) -> Any:
        return await self.call(
            "POST", f"/v1/sittings/{sitting_id}/answers", student, json={"events": events}
        )


def sample_items() -> list[dict[str, Any]]:
    """One item of every kind the slice delivers, with known right answers."""
    return [
        {
            "kind": "single_choice",
            "stem": "2 + 2 = ?",
            "correct": "b",
            "options": [
                {"id": "a", "text": "3"},
                {"id": "b", "text": "4"},
                {"id": "c", "text": "5"},
            ],
        },
        {
            "kind": "multiple_response",
            "stem": "Even numbers?",
            "correct": ["a", "c"],
            "options": [
                {"id": "a", "text": "2"},
                {"id": "b", "text": "3"},
                {"id": "c", "text": "4"},
            ],
        },
        {
            "kind": "numeric",
            "stem": "π to two decimals",
            "value": 3.14,
            "absolute_tolerance": 0.005,
        },
        {
            "kind": "short_text",
            "stem": "First president of Indonesia",
            "accepted": ["Soekarno", "Sukarno"],
        },
    ]


RIGHT_ANSWERS = [
    {"kind": "single_choice", "choice": "b"},
    {"kind": "multiple_response", "choices": ["c", "a"]},
    {"kind": "numeric", "value": 3.141},
    {"kind": "short_text", "text": "  sukarno "},
]


@pytest.fixture
def api(client: AsyncTestClient[Any]) -> Api:
    return Api(client)
