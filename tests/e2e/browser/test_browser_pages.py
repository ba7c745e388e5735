"""The two pages in headless Chromium against a running server: a student who loses the network
and reloads keeps every answer; the timer follows the server, not the device clock; a teacher
reads the right numbers. Each page is saved as a screenshot under test-artifacts/."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import ARTIFACTS, PASSWORD, Seed, token

# the device clock, moved: Date (and only Date) reads a shifted time the test can change
MOVED_CLOCK = """
(() => {
  const Real = Date;
  let shift = 7 * 3600 * 1000;
  window.__setClock = (ms) => { shift = ms; };
  function Moved(...args) {
    if (!new.target) return new Real(Real.now() + shift).toString();
    return args.length ? new Real(...args) : new Real(Real.now() + shift);
  }
  Moved.now = () => Real.now() + shift;
  Moved.parse = Real.parse;
  Moved.UTC = Real.UTC;
  Moved.prototype = Real.prototype;
  window.Date = Moved;
})();
"""


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def sign_in_and_start(page: Page, seed: Seed, username: str) -> None:
    await page.goto(seed.base + "/")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"button[data-exam='{seed.exam_id}']")
    await page.wait_for_selector("section.item")


async def answer_current(page: Page) -> str:
    """Answer the question on screen the way a person would, keyboard where it matters."""
    box = page.locator("section.item")
    kind = str(await box.get_attribute("data-kind"))
    match kind:
        case "single_choice" | "true_false":
            await box.locator("label.opt").first.click()
        case "multiple_response":
            await box.locator("label.opt").nth(0).click()
            await box.locator("label.opt").nth(2).click()
        case "numeric" | "short_text" | "essay":
            field = box.locator("input, textarea").first
            await field.fill({"numeric": "7", "short_text": "Jakarta"}.get(kind, "A small school"))
            await field.press("Tab")
        case "ordering":
            await box.locator("button.down").first.focus()
            await page.keyboard.press("Enter")
        case "matching":
            for i in range(await box.locator("select").count()):
                await box.locator("select").nth(i).select_option(index=i + 1)
        case "cloze":
            await box.locator("select").select_option(index=1)
            await box.locator(".stem input").fill("42")
            await box.locator(".stem input").press("Tab")
        case "select_point":
            await box.locator(".pointer").focus()
            for _ in range(3):
                await page.keyboard.press("ArrowLeft")
            await page.keyboard.press("Enter")
    return kind


async def local(page: Page, key: str) -> Any:
    return json.loads(await page.evaluate(f"localStorage.getItem({json.dumps(key)})") or "null")


def canonical(response: Any) -> Any:
    """Set-valued responses in one order, so the page's and the database's copies compare."""
    if isinstance(response, str):  # jsonb, as a connection without codecs returns it
        response = json.loads(response)
    if not response:
        return response
    if response["kind"] == "multiple_response":
        return {**response, "choices": sorted(response["choices"])}
    if response["kind"] == "matching":
        return {**response, "pairs": sorted(map(list, response["pairs"]))}
    if response["kind"] in ("numeric",):
        return {**response, "value": float(response["value"])}
    if response["kind"] == "cloze":
        return {**response, "blanks": {k: canonical(v) for k, v in response["blanks"].items()}}
    return response


async def test_offline_answers_survive_a_reload_and_reach_postgres(
    browser: Browser, web: Seed, database_url: str
) -> None:
    context = await browser.new_context(viewport={"width": 412, "height": 900})
    page = await context.new_page()
    await sign_in_and_start(page, web, web.students[0])
    await page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    total = await page.locator("#grid button").count()
    assert total == 10
    kinds = []
    for _ in range(3):
        kinds.append(await answer_current(page))
        await page.click("#next")
    await page.wait_for_selector("#net:has-text('All answers saved')")

    await context.set_offline(True)
    for n in range(3, total):
        kinds.append(await answer_current(page))
        if n < total - 1:
            await page.click("#next")
    await page.wait_for_selector("#net:has-text('Offline')")
    await shot(page, "student-offline")
    sitting = await local(page, "uj.sitting")
    queued = (await local(page, f"uj.q.{sitting}"))["queue"]
    assert len(queued) >= 7  # everything answered offline waits on the device

    await page.reload()  # still offline: the service worker and localStorage bring it back
    await page.wait_for_selector("section.item")
    assert await page.locator("#grid button.answered").count() == total
    assert "Offline" in await page.inner_text("#net")

    await context.set_offline(False)
    await page.wait_for_selector("#net:has-text('All answers saved')", timeout=30_000)
    kept = await local(page, f"uj.q.{sitting}")
    answers, last_seq = kept["answers"], kept["next"] - 1
    assert sorted(kinds) == sorted(a["kind"] for a in answers.values())

    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(150):  # the persister copies the stream to PostgreSQL
            stored = await conn.fetchval(
                "SELECT count(*) FROM answer_log WHERE sitting_id = $1", sitting
            )
            if stored == last_seq:
                break
            await asyncio.sleep(0.2)
        rows = await conn.fetch(
            "SELECT DISTINCT ON (item_id) item_id, seq, response FROM answer_log "
            "WHERE sitting_id = $1 ORDER BY item_id, seq DESC",
            sitting,
        )
        seqs = await conn.fetch(
            "SELECT seq FROM answer_log WHERE sitting_id = $1 ORDER BY seq", sitting
        )
    finally:
        await conn.close()
    assert [r["seq"] for r in seqs] == list(range(1, last_seq + 1))  # no gap, nothing twice
    assert {r["item_id"]: canonical(r["response"]) for r in rows} == {
        item: canonical(response) for item, response in answers.items()
    }

    await page.click("#submit")
    await page.click("#confirm-submit")
    await page.wait_for_selector("#score")
    assert "/ 10" in await page.inner_text("#score")
    await shot(page, "student-result")
    await context.close()


async def test_timer_follows_the_server_when_the_device_clock_moves(
    browser: Browser, web: Seed
) -> None:
    context = await browser.new_context(viewport={"width": 412, "height": 900})
    await context.add_init_script(MOVED_CLOCK)
    page = await context.new_page()
    await sign_in_and_start(page, web, web.students[1])
    drift = await page.evaluate("Date.now()") - time.time() * 1000
    assert abs(drift - 7 * 3600 * 1000) < 60_000  # the page's clock is hours off

    auth = await local(page, "uj.auth")
    sitting = await local(page, "uj.sitting")
    async with httpx.AsyncClient(base_url=web.base) as http:
        headers = {"Authorization": f"Bearer {auth['access_token']}"}

        async def gap() -> float:
            shown = int(str(await page.get_attribute("#timer", "data-remaining-ms")))
            server = (await http.get(f"/v1/sittings/{sitting}/timer", headers=headers)).json()
            assert 28 * 60_000 < shown <= 30 * 60_000
            return abs(shown - server["remaining_ms"])

        assert await gap() < 3000
        await page.evaluate("__setClock(-3 * 86400 * 1000)")  # now three days behind
        await page.wait_for_timeout(1500)
        assert await gap() < 3000
        shown = await page.inner_text("#timer")
        left = await page.get_attribute("#timer", "data-remaining-ms")
        # what the student reads is the server's time left, whatever the device clock says
        assert shown.startswith(("30:00", "29:")), (shown, left)

    # every kind on screen, each control with an accessible name, the maths as MathML
    unnamed = """() => [...document.querySelectorAll(
        'section.item input, section.item select, section.item textarea, section.item button,'
        + ' section.item [tabindex]')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                     && !e.textContent.trim()).length"""
    seen = set()
    for n in range(10):
        kind = str(await page.get_attribute("section.item", "data-kind"))
        seen.add(kind)
        assert await page.evaluate(unnamed) == 0, kind
        await shot(page, f"student-item-{kind}")
        if n < 9:
            await page.click("#next")
    assert len(seen) == 10
    await page.click("#grid button >> nth=0")
    maths = 0
    for _ in range(10):
        maths += await page.locator("section.item math").count()
        if await page.locator("#next").count():
            await page.click("#next")
    assert maths >= 4
    await context.close()


async def _seed_sittings(web: Seed) -> None:
    """School two: scores 4, 2 and 0 of 4; one student still sitting; one never signed in."""
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as http:
        for n, right in enumerate((4, 2, 0, None)):
            auth = await token(http, web.students2[n])
            r = await http.post(f"/v1/exams/{web.exam2_id}/sittings", headers=auth)
            sitting = r.json()["id"]
            if right is None:
                continue
            events = [
                {
                    "seq": i + 1,
                    "item": item,
                    "response": {"kind": "single_choice", "choice": "a" if i < right else "b"},
                }
                for i, item in enumerate(web.exam2_items)
            ]
            r = await http.post(
                f"/v1/sittings/{sitting}/answers", headers=auth, json={"events": events}
            )
            assert r.json()["acked_seq"] == 4
            r = await http.post(f"/v1/sittings/{sitting}/submit", headers=auth)
            assert r.json()["result"]["points"] == right


@contextlib.asynccontextmanager
async def web_db(url: str) -> AsyncIterator[Any]:
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


async def _seed_flag(database_url: str, web: Seed) -> uuid.UUID:
    """A live flag on the best student's sitting, as the integrity consumer would write it."""
    async with web_db(database_url) as conn:
        row = await conn.fetchrow(
            "SELECT s.id, s.exam_id, s.org_id FROM sittings s JOIN users u ON u.id = s.student_id"
            " WHERE u.username = $1",
            web.students2[0],
        )
        flag_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO integrity_flags (id, sitting_id, exam_id, org_id, source, rule, kind,"
            " statistic, threshold, direction, evidence, note) VALUES ($1, $2, $3, $4, 'live',"
            " 'answering_while_hidden', 'behaviour', 3, 2, 'above', $5::jsonb, $6)",
            flag_id,
            row["id"],
            row["exam_id"],
            row["org_id"],
            '[{"kind": "event", "ts": 1000, "event": "visibility", "detail": "hidden"},'
            ' {"kind": "answer", "item": "q1", "response": "a", "correct": true}]',
            "3 answers while the page was hidden",
        )
    return flag_id


async def test_teacher_dashboard_shows_the_seeded_numbers(
    browser: Browser, web: Seed, database_url: str
) -> None:
    await _seed_sittings(web)
    flag_id = await _seed_flag(database_url, web)
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    await page.goto(web.base + "/teacher")
    await page.fill("#username", web.teacher2)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"tr[data-exam='{web.exam2_id}']")
    await page.wait_for_selector("#kpi-graded")
    kpis = {
        k: await page.inner_text(f"#kpi-{k} b")
        for k in ("assigned", "signed_in", "started", "submitted", "online_now", "graded")
    }
    assert kpis == {
        "assigned": "5",
        "signed_in": "4",
        "started": "4",
        "submitted": "3",
        "online_now": "1",
        "graded": "3",
    }
    await page.wait_for_selector("#histogram svg rect")
    stats = await page.inner_text("#stats")
    assert "Mean\n2" in stats and "Median\n2" in stats and "Graded sittings\n3" in stats
    assert "Standard deviation\n2" in stats
    await shot(page, "teacher-overview")

    await page.click("#tab-items")
    await page.wait_for_selector("#items tbody tr")
    facility = await page.locator("#items tbody td:nth-child(3)").all_inner_texts()
    assert sorted(facility) == ["33.3", "33.3", "66.7", "66.7"]
    await page.click("#items th[data-col='facility_pct'] button")  # by facility, highest first
    first = await page.locator("#items tbody tr:first-child td:nth-child(3)").inner_text()
    assert first == "66.7"
    await page.click("#items tbody tr:first-child")
    await page.wait_for_selector("#item-detail .share")
    await shot(page, "teacher-items")

    await page.click("#tab-groups")
    await page.wait_for_selector("#groups tbody tr")
    row = await page.locator("#groups tbody tr").first.locator("th, td").all_inner_texts()
    assert row[1:] == ["9A", "5", "4", "4", "3", "1", "3", "50"]
    await shot(page, "teacher-groups")

    await page.click("#tab-students")
    await page.wait_for_selector("#results tbody tr")
    assert await page.locator("#results tbody tr").count() == 4
    await page.click(f"#results tbody tr:has-text('{web.students2[1]}')")
    await page.wait_for_selector("#review tbody tr")
    assert await page.locator("#review tbody tr").count() == 4
    assert "2 / 4" in await page.inner_text("#review-h")
    await shot(page, "teacher-student")

    await page.click("#tab-integrity")
    await page.wait_for_selector("#flags .flag")
    flag = page.locator("#flags .flag").first
    assert "Answering while hidden" in await flag.inner_text()
    await flag.locator(".flag-open").click()
    await flag.locator(".evidence li").first.wait_for()
    assert "Page hidden" in await flag.locator(".evidence").inner_text()
    await shot(page, "teacher-integrity")
    await flag.locator(".review-note").fill("Checked with the proctor: the tab was the timer.")
    await flag.locator("button.dismiss").click()
    await page.wait_for_selector("#flags .flag[data-status='dismissed']")
    async with web_db(database_url) as conn:
        status, note = await conn.fetchrow(
            "SELECT status, review_note FROM integrity_flags WHERE id = $1", flag_id
        )
    assert status == "dismissed" and note.startswith("Checked with the proctor")

    await page.click("#tab-export")
    async with page.expect_download() as download_info:
        await page.click("[data-export='results.csv']")
    download = await download_info.value
    text = (await download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["username"] for r in rows) == sorted(web.students2[:4])
    assert sorted(float(r["points"] or -1) for r in rows) == [-1.0, 0.0, 2.0, 4.0]
    await shot(page, "teacher-export")
    await context.close()
