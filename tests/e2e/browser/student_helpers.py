"""What the student page's browser tests share: a school of their own (so each test has fresh
students), exams made over the API with the settings a test needs, and the steps of a sitting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Browser, BrowserContext, Page

from tests.e2e.browser.conftest import ARTIFACTS, PASSWORD, Seed, _users, token

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


class School:
    def __init__(self, web: Seed, teacher: str, students: list[str]) -> None:
        self.web = web
        self.teacher = teacher
        self.students = students
        self.used = 0

    def student(self) -> str:
        self.used += 1
        return self.students[self.used - 1]

    async def exam(
        self, items: list[dict[str, Any]], *, limit_s: int = 1800, grace_s: int = 30, **extra: Any
    ) -> tuple[str, list[str]]:
        async with httpx.AsyncClient(base_url=self.web.base, timeout=60) as http:
            auth = await token(http, self.teacher)
            ids = []
            for item in items:
                r = await http.post("/v1/items", json=item, headers=auth)
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            now = datetime.now(UTC)
            body = {
                "title": f"Ujian {uuid.uuid4().hex[:4]}",
                "sections": [{"title": "Bagian 1", "items": ids}],
                "time_limit_s": limit_s,
                "grace_s": grace_s,
                "window_open": (now - timedelta(minutes=1)).isoformat(),
                "window_close": (now + timedelta(hours=2)).isoformat(),
                "instant_results": True,
                **extra,
            }
            r = await http.post("/v1/exams", headers=auth, json=body)
            assert r.status_code == 201, r.text
            exam_id = r.json()["id"]
            r = await http.post(f"/v1/exams/{exam_id}/publish", headers=auth)
            assert r.status_code == 200, r.text
        return exam_id, ids


async def new_school(web: Seed, database_url: str, students: int) -> School:
    conn = await asyncpg.connect(database_url)
    try:
        teacher, names = await _users(conn, uuid.uuid4().hex[:6], "Tiga", students)
    finally:
        await conn.close()
    return School(web, teacher, names)


async def phone(browser: Browser, locale: str = "id-ID", **extra: Any) -> BrowserContext:
    return await browser.new_context(viewport=PHONE, locale=locale, **extra)


async def start(page: Page, base: str, username: str, exam_id: str) -> None:
    await page.goto(base + "/")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"button[data-exam='{exam_id}']")
    await page.wait_for_selector("section.item")


async def pick(page: Page, option: int = 0) -> None:
    await page.locator("section.item label.opt").nth(option).click()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def choice_items(n: int, stem: str = "Soal pilihan ganda {i}") -> list[dict[str, Any]]:
    return [
        {
            "kind": "single_choice",
            "stem": stem.format(i=i + 1),
            "correct": "a",
            "options": [
                {"id": "a", "text": "A"},
                {"id": "b", "text": "B"},
                {"id": "c", "text": "C"},
            ],
        }
        for i in range(n)
    ]
