"""A real `ujian serve` on the test servers, seeded over its own API, and headless Chromium
(Debian's, at /usr/bin/chromium: `make test` installs it) driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from playwright.async_api import Browser, async_playwright

from engine.auth.passwords import hash_password
from engine.embedded import free_loopback_port
from tests.conftest import ServerUrls

PASSWORD = "browser-test-password"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def png(width: int, height: int) -> bytes:
    """A plain PNG (a blue picture with a lighter left half) made here: no file, no network."""
    rows = b"".join(
        b"\x00" + (b"\x90\xb8\xe0" * (width // 2) + b"\x20\x50\x90" * (width - width // 2))
        for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def every_kind(image_url: str) -> list[dict[str, Any]]:
    """One item of each kind grading/responses.py scores, some with LaTeX in the stem."""
    return [
        {
            "kind": "single_choice",
            "stem": "<p>What is \\(\\frac{1}{2} + \\frac{1}{4}\\)?</p>",
            "correct": "b",
            "options": [
                {"id": "a", "text": "\\(\\frac{2}{6}\\)"},
                {"id": "b", "text": "\\(\\frac{3}{4}\\)"},
                {"id": "c", "text": "1"},
            ],
        },
        {
            "kind": "multiple_response",
            "stem": "Which are prime?",
            "correct": ["a", "c"],
            "options": [
                {"id": "a", "text": "2"},
                {"id": "b", "text": "4"},
                {"id": "c", "text": "7"},
            ],
        },
        {
            "kind": "true_false",
            "stem": "\\(x^2 \\geq 0\\) for every real \\(x\\).",
            "correct": True,
        },
        {"kind": "numeric", "stem": "$$\\sqrt{49} = ?$$", "value": 7, "unit": "cm"},
        {"kind": "short_text", "stem": "Capital of Indonesia", "accepted": ["Jakarta"]},
        {
            "kind": "ordering",
            "stem": "Smallest first",
            "correct": ["a", "b", "c"],
            "options": [
                {"id": "a", "text": "1"},
                {"id": "b", "text": "10"},
                {"id": "c", "text": "100"},
            ],
        },
        {
            "kind": "matching",
            "stem": "Match the capitals",
            "sources": [{"id": "s1", "text": "Jakarta"}, {"id": "s2", "text": "Tokyo"}],
            "targets": [{"id": "t1", "text": "Indonesia"}, {"id": "t2", "text": "Japan"}],
            "pairs": [["s1", "t1"], ["s2", "t2"]],
        },
        {
            "kind": "cloze",
            "stem": "<p>Bali is in {{b1}}; 6 × 7 = {{b2}}.</p>",
            "blanks": {
                "b1": {
                    "kind": "single_choice",
                    "correct": "x",
                    "options": [{"id": "x", "text": "Indonesia"}, {"id": "y", "text": "Peru"}],
                },
                "b2": {"kind": "numeric", "value": 42},
            },
        },
        {"kind": "essay", "stem": "Describe your school in a few words."},
        {
            "kind": "select_point",
            "stem": "Click the lighter half of the picture.",
            "image": image_url,
            "width": 200,
            "height": 100,
            "areas": [{"shape": "rect", "coords": [0, 0, 100, 100], "mapped_value": 1}],
        },
    ]


def choices(n: int) -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": f"Question {i + 1}: pick A",
            "correct": "a",
            "options": [
                {"id": "a", "text": "A"},
                {"id": "b", "text": "B"},
                {"id": "c", "text": "C"},
            ],
        }
        for i in range(n)
    ]


class Seed(msgspec.Struct):
    base: str
    teacher: str
    students: list[str]  # school one: the student page's tests
    exam_id: str  # every kind, 30 minutes
    teacher2: str  # school two: the dashboard's numbers
    students2: list[str]
    exam2_id: str
    exam2_items: list[str]


async def _users(conn: Any, tag: str, school: str, n: int) -> tuple[str, list[str]]:
    org = uuid.uuid4()
    klass = uuid.uuid4()
    await conn.execute(
        "INSERT INTO orgs (id, name, kind) VALUES ($1, $2, 'school')", org, f"{school} {tag}"
    )
    await conn.execute("INSERT INTO classes (id, org_id, name) VALUES ($1, $2, '9A')", klass, org)
    hashed = hash_password(PASSWORD)
    teacher = f"{school.lower()}-teacher-{tag}"
    students = [f"{school.lower()}-s{i}-{tag}" for i in range(n)]
    for username, role in [(teacher, "teacher"), *((s, "student") for s in students)]:
        await conn.execute(
            "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
            "class_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            uuid.uuid4(),
            org,
            username,
            username.replace("-", " ").title(),
            role,
            hashed,
            klass if role == "student" else None,
        )
    return teacher, students


async def token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def make_exam(
    http: httpx.AsyncClient, teacher: str, items: list[dict[str, Any]], title: str, limit_s: int
) -> tuple[str, list[str]]:
    auth = await token(http, teacher)
    ids = []
    for item in items:
        r = await http.post("/v1/items", json=item, headers=auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    now = datetime.now(UTC)
    r = await http.post(
        "/v1/exams",
        headers=auth,
        json={
            "title": title,
            "sections": [{"title": "Part 1", "items": ids}],
            "time_limit_s": limit_s,
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=2)).isoformat(),
            "instant_results": True,
        },
    )
    assert r.status_code == 201, r.text
    exam_id = r.json()["id"]
    r = await http.post(f"/v1/exams/{exam_id}/publish", headers=auth)
    assert r.status_code == 200, r.text
    return exam_id, ids


async def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        for _ in range(600):
            assert process.poll() is None, "ujian serve exited early"
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the server did not become ready")


def _serve(env: dict[str, str], folder: Path, port: int) -> tuple[subprocess.Popen[bytes], Any]:
    log = open(folder / "serve.log", "wb")  # noqa: SIM115 - closed by the fixture
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log


@pytest.fixture(scope="session")
async def web(server_urls: ServerUrls, database_url: str) -> AsyncIterator[Seed]:
    tag = uuid.uuid4().hex[:6]
    conn = await asyncpg.connect(database_url)
    port = free_loopback_port()
    folder = Path(tempfile.mkdtemp(prefix="ujian-browser-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env.update(
        UJIAN_DATABASE_URL=database_url,
        UJIAN_REDIS_URL=server_urls.redis,
        UJIAN_REDIS_NAMESPACE=f"b{tag}",
        UJIAN_JWT_SECRET=f"browser-{uuid.uuid4().hex}",
        UJIAN_DATA_DIR=str(folder),
        UJIAN_RUN_WORKERS_IN_API="true",
    )
    process, log = _serve(env, folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, process)  # it migrates the database first
        teacher, students = await _users(conn, tag, "Satu", 3)
        teacher2, students2 = await _users(conn, tag, "Dua", 5)
        await conn.close()
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            r = await http.post(
                "/v1/media",
                params={"filename": "map.png"},
                content=png(200, 100),
                headers=await token(http, teacher),
            )
            assert r.status_code == 201, r.text
            exam_id, _ = await make_exam(
                http, teacher, every_kind(r.json()["url"]), "Every kind of question", 30 * 60
            )
            exam2_id, items2 = await make_exam(http, teacher2, choices(4), "Seeded mock", 3600)
        yield Seed(base, teacher, students, exam_id, teacher2, students2, exam2_id, items2)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if not conn.is_closed():
            await conn.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()
