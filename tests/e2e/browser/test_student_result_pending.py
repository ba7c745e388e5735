"""At the deadline burst a submit is graded a moment after it is acknowledged: the student's page
says the answers are being scored and shows the score when the grader has it, asking the server
again on its own (a server that grades no submit in its request, as under a burst)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from engine.embedded import free_loopback_port
from tests.conftest import ServerUrls
from tests.e2e.browser.conftest import PASSWORD, _serve, _users, _wait_ready, choices, make_exam


class Deferring:
    def __init__(self, base: str, student: str, exam_id: str) -> None:
        self.base, self.student, self.exam_id = base, student, exam_id


@pytest.fixture(scope="module")
async def deferring(server_urls: ServerUrls, database_url: str) -> AsyncIterator[Deferring]:
    tag = uuid.uuid4().hex[:6]
    folder = Path(tempfile.mkdtemp(prefix="ujian-browser-pending-"))
    port = free_loopback_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UJIAN_")}
    env.update(
        UJIAN_DATABASE_URL=database_url,
        UJIAN_REDIS_URL=server_urls.redis,
        UJIAN_REDIS_NAMESPACE=f"p{tag}",
        UJIAN_JWT_SECRET=f"browser-{uuid.uuid4().hex}",
        UJIAN_DATA_DIR=str(folder),
        UJIAN_RUN_WORKERS_IN_API="true",
        # every submit the burst's way: acknowledged, then graded by the grader's stream
        UJIAN_INSTANT_GRADING_IN_REQUEST="0",
    )
    process, log = _serve(env, folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, process)
        conn = await asyncpg.connect(database_url)
        try:
            teacher, students = await _users(conn, tag, "Tiga", 1)
        finally:
            await conn.close()
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            exam_id, _ = await make_exam(http, teacher, choices(2), "Deadline burst", 1800)
        yield Deferring(base, students[0], exam_id)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


async def test_the_page_waits_for_a_deferred_grade_and_shows_it(
    browser: Browser, deferring: Deferring
) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    submits: list[dict[str, object]] = []

    async def remember(response: object) -> None:
        url = getattr(response, "url", "")
        if url.endswith("/submit"):
            submits.append(await response.json())  # type: ignore[attr-defined]

    page.on("response", remember)
    await page.goto(deferring.base + "/")
    await page.fill("#username", deferring.student)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"button[data-exam='{deferring.exam_id}']")
    await page.wait_for_selector("section.item")
    await page.locator("section.item label.opt").first.click()
    await page.wait_for_selector("#net:has-text('All answers saved')")
    await page.click("#submit")
    await page.click("#confirm-submit")
    # acknowledged without a grade: the page says it is on its way...
    await page.wait_for_selector("#result-pending")
    assert "being scored" in await page.inner_text("#result-pending")
    # ...and, asking again by itself, shows the score once the grader's stream has it
    await page.wait_for_selector("#score", timeout=30_000)
    assert "/ " in await page.inner_text("#score")
    assert await page.locator("#result-pending").count() == 0
    assert submits and submits[0]["result_pending"] is True and submits[0]["result"] is None
    await context.close()
