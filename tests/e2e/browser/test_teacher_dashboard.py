"""The teacher's dashboard in headless Chromium against a running server, on a school of its
own: 24 graded students, a mis-keyed question, a case-sensitive short-text key, two integrity
flags. Indonesian first; a phone (360×740) and a laptop (1366×768); an axe-core scan of every
screen. Screenshots of every screen go to test-artifacts/."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from tests.e2e.browser.conftest import ARTIFACTS, PASSWORD, Seed, _users, token

PHONE: ViewportSize = {"width": 360, "height": 740}
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
STUDENTS = 24
# question: (the written key, what a student of strength k (0 weakest .. 23) answers)
MIS_KEYED = {
    "kind": "single_choice",
    "stem": "3 × 4 = ?",
    "correct": "a",  # wrong: 12 is option c, and the strongest students say so
    "options": [{"id": "a", "text": "7"}, {"id": "b", "text": "10"}, {"id": "c", "text": "12"}],
}
CASE_KEYED = {
    "kind": "short_text",
    "stem": "Ibu kota Indonesia?",
    "accepted": ["Jakarta"],
    "case_sensitive": True,
}


def _plain(n: int) -> dict[str, Any]:
    return {
        "kind": "single_choice",
        "stem": f"Soal latihan {n}",
        "correct": "b",
        "options": [
            {"id": "a", "text": "satu"},
            {"id": "b", "text": "dua"},
            {"id": "c", "text": "tiga"},
            {"id": "d", "text": "empat"},
        ],
    }


# two questions in a row about a shared passage: the item's detail shows the passage above each,
# a student's answer sheet once above the two
PASSAGE = {"id": "peta", "title": "Bacaan: Peta desa", "body": "<p>Desa itu punya dua sungai.</p>"}
ITEMS = [
    MIS_KEYED,
    {**_plain(1), "stimulus": PASSAGE},
    {**CASE_KEYED, "stimulus": PASSAGE},
    _plain(2),
    _plain(3),
    _plain(4),
]


def _answers(k: int, items: list[str]) -> list[dict[str, Any]]:
    """Student k knows more as k grows; the weak half picks the written (wrong) key."""
    choice = "c" if k >= 12 else ("a" if k % 3 else "b")
    text = "jakarta" if k % 4 else "Jakarta"
    responses = [
        {"kind": "single_choice", "choice": choice},
        {"kind": "single_choice", "choice": "b" if k >= 4 else "a"},
        {"kind": "short_text", "text": text},
        {"kind": "single_choice", "choice": "b" if k >= 8 else "c"},
        {"kind": "single_choice", "choice": "b" if k >= 14 else "a"},
        {"kind": "single_choice", "choice": "b" if k % 2 else "c"},
    ]
    return [
        {"seq": n + 1, "item": item, "response": r}
        for n, (item, r) in enumerate(zip(items, responses, strict=True))
    ]


class Dash(msgspec.Struct):
    base: str
    teacher: str
    students: list[str]
    exam_id: str
    items: list[str]
    sittings: list[str]
    pair_flag: str
    misfit_flag: str


async def _wait_for(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll a condition the server reaches on its own (the persister copying answers)."""
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the server did not get there")


async def _seed(web: Seed, database_url: str) -> Dash:
    tag = uuid.uuid4().hex[:6]
    conn = await asyncpg.connect(database_url)
    try:
        teacher, students = await _users(conn, tag, "Tiga", STUDENTS)
        async with httpx.AsyncClient(base_url=web.base, timeout=30) as http:
            auth = await token(http, teacher)
            items = []
            for item in ITEMS:
                r = await http.post("/v1/items", json=item, headers=auth)
                items.append(r.json()["id"])
            now = datetime.now(UTC)
            r = await http.post(
                "/v1/exams",
                headers=auth,
                json={
                    "title": "Try-out Matematika",
                    "sections": [{"title": "Bagian 1", "items": items}],
                    "time_limit_s": 3600,
                    "window_open": (now - timedelta(minutes=1)).isoformat(),
                    "window_close": (now + timedelta(hours=2)).isoformat(),
                    "instant_results": True,
                    "scoring": {"pass_mark": {"value": 50, "unit": "percent"}},
                },
            )
            exam_id = r.json()["id"]
            assert (
                await http.post(f"/v1/exams/{exam_id}/publish", headers=auth)
            ).status_code == 200
            sittings = []
            for k, student in enumerate(students):
                s_auth = await token(http, student)
                sitting = (await http.post(f"/v1/exams/{exam_id}/sittings", headers=s_auth)).json()
                sittings.append(sitting["id"])
                r = await http.post(
                    f"/v1/sittings/{sitting['id']}/answers",
                    headers=s_auth,
                    json={"events": _answers(k, items)},
                )
                assert r.json()["acked_seq"] == len(items)
                r = await http.post(f"/v1/sittings/{sitting['id']}/submit", headers=s_auth)
                assert r.status_code == 200, r.text

        async def persisted() -> bool:
            n = await conn.fetchval(
                "SELECT count(*) FROM answer_log WHERE exam_id = $1::uuid", exam_id
            )
            return bool(n == STUDENTS * len(items))

        await _wait_for(persisted)
        # the window closes (as it would two hours later): keys may now be fixed
        await conn.execute(
            "UPDATE exam_versions SET window_open = now() - interval '3 hours', "
            "window_close = now() - interval '1 hour' WHERE exam_id = $1::uuid",
            exam_id,
        )
        org = await conn.fetchval("SELECT org_id FROM sittings WHERE id = $1::uuid", sittings[20])
        pair, misfit = uuid.uuid4(), uuid.uuid4()
        evidence = [
            {"kind": "pair", "other_sitting": sittings[21], "observed": 6, "expected": 2.4},
            {
                "kind": "match",
                "item": items[0],
                "response": "2",
                "correct": False,
                "model_probability": 0.08,
            },
            {
                "kind": "match",
                "item": items[3],
                "response": "1",
                "correct": True,
                "model_probability": 0.4,
            },
        ]
        await conn.execute(
            "INSERT INTO integrity_flags (id, sitting_id, exam_id, org_id, source, rule, subject,"
            " kind, statistic, threshold, direction, p_value, correction, evidence, note)"
            " VALUES ($1, $2::uuid, $3::uuid, $4, 'forensics', 'answer_similarity', $5, 'test',"
            " 3.5, 3.09, 'above', 0.00023, 'bh', $6::jsonb, 'copier')",
            pair,
            sittings[20],
            exam_id,
            org,
            sittings[21],
            msgspec.json.encode(evidence).decode(),
        )
        await conn.execute(
            "INSERT INTO integrity_flags (id, sitting_id, exam_id, org_id, source, rule, kind,"
            " statistic, threshold, direction, p_value, evidence) VALUES ($1, $2::uuid,"
            " $3::uuid, $4, 'forensics', 'person_misfit', 'test', -3.602, -2.326, 'below',"
            " 0.00015, $5::jsonb)",
            misfit,
            sittings[3],
            exam_id,
            org,
            msgspec.json.encode([{"kind": "answer", "item": items[4], "correct": True}]).decode(),
        )
    finally:
        await conn.close()
    return Dash(web.base, teacher, students, exam_id, items, sittings, str(pair), str(misfit))


@pytest.fixture(scope="module")
async def dash(web: Seed, database_url: str) -> Dash:
    return await _seed(web, database_url)


async def _context(
    browser: Browser, viewport: ViewportSize, locale: str = "id-ID"
) -> BrowserContext:
    return await browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)


async def _open(page: Page, dash: Dash) -> None:
    await page.goto(dash.base + "/teacher")
    await page.fill("#username", dash.teacher)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"tr[data-exam='{dash.exam_id}'] button.link")
    await page.wait_for_selector("#kpi-graded")


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_integrity_evidence_is_the_answers_side_by_side_in_plain_words(
    browser: Browser, dash: Dash
) -> None:
    context = await _context(browser, LAPTOP)
    page = await context.new_page()
    await _open(page, dash)
    await page.click("#tab-integrity")
    card = page.locator(f"[data-flag='{dash.pair_flag}']")
    await card.wait_for()
    words = await card.locator(".flag-words").inner_text()
    assert "Apa yang ditemukan" in words and "Apa yang perlu diperiksa" in words
    assert "sekitar 1 dari 4.300" in words and "sangat jarang" in words
    misfit = page.locator(f"[data-flag='{dash.misfit_flag}']")
    misfit_words = await misfit.locator(".flag-words").inner_text()
    assert "Pola jawaban tidak biasa" in await misfit.locator("h3").inner_text()
    assert "sekitar 1 dari 6.700" in misfit_words
    # a statistic is never put next to a significance level, anywhere on the card
    for text in (words, misfit_words, await misfit.inner_text()):
        assert not re.search(r"-?\d[.,]\d+ \((below|above|di bawah|di atas) ", text)
        assert "-3.602" not in text and "statistic -" not in text

    await card.locator(".flag-open").click()
    table = card.locator("table.compare")
    await table.locator("tbody tr").first.wait_for()
    head = await table.locator("thead th").all_inner_texts()
    assert len(head) == 4 and dash.students[20] in head[2] and dash.students[21] in head[3]
    rows = await table.locator("tbody tr").all()
    assert [await r.get_attribute("data-item") for r in rows] == [dash.items[0], dash.items[3]]
    first = await rows[0].locator("td").all_inner_texts()
    assert first[1].startswith("C. 12") and first[2].startswith("C. 12")  # the same answer
    assert re.search(r"\d{2}[.:]\d{2}[.:]\d{2}", first[1])  # with the time it was given
    assert await rows[0].locator("td.same").count() == 2
    assert "6" in await card.locator(".found").inner_text()
    await shot(page, "teacher-integrity-evidence-1366")
    async with page.expect_download() as info:
        await card.locator("[data-table-export='csv']").click()
    saved = list(csv.reader(io.StringIO((await (await info.value).path()).read_text("utf-8-sig"))))
    assert len(saved) == 3 and saved[1][0] == "Soal 1" and saved[1][2].startswith("C. 12")
    await card.locator(".show-all").click()
    assert await table.locator("tbody tr").count() == len(dash.items)

    # the link goes to the sitting's answer sheet
    await card.locator(f"button.open-sitting[data-sitting='{dash.sittings[21]}']").click()
    await page.wait_for_selector("#review tbody tr")
    assert dash.students[21] in await page.inner_text("#review-h")
    await context.close()


async def _results(database_url: str, exam_id: str) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT sitting_id, points, items FROM results WHERE exam_id = $1::uuid", exam_id
        )
    finally:
        await conn.close()
    return {
        str(r["sitting_id"]): {"points": r["points"], "items": json.loads(r["items"])} for r in rows
    }


async def test_item_analysis_ranks_problems_and_fixes_a_key(
    browser: Browser, dash: Dash, database_url: str
) -> None:
    context = await _context(browser, LAPTOP)
    page = await context.new_page()
    await _open(page, dash)
    await page.click("#tab-items")
    await page.wait_for_selector("#items tbody tr")
    rows = page.locator("#items tbody tr")
    first = rows.first
    assert await first.get_attribute("data-item") == dash.items[0]
    reason = await first.locator(".reason").inner_text()
    assert reason.startswith("Daya beda negatif") and "(+" in reason
    severities = [
        int(s or 0)
        for s in await rows.evaluate_all("rs => rs.map(r => r.getAttribute('data-severity'))")
    ]
    assert severities == sorted(severities, reverse=True)
    # a rarely chosen wrong option is minor: not highlighted like a real problem
    minor = page.locator("#items tbody tr[data-severity='1']")
    assert await minor.count() >= 1
    assert await page.locator("#items tbody tr.warn[data-severity='1']").count() == 0
    assert (
        await page.locator("#items thead th")
        .first.locator("button")
        .get_attribute("aria-describedby")
        == "help-position"
    )
    await page.click("#guidance summary")
    guide = await page.inner_text("#column-help")
    assert "35–65%" in guide and "negatif" in guide
    await page.wait_for_selector("#item-chart svg .dot")
    assert await page.locator("#item-chart svg .dot").count() == len(dash.items)
    await shot(page, "teacher-items-1366")

    # the mis-keyed question: its options, the suspect one marked
    await first.locator("button.link").click()
    await page.wait_for_selector("#options tbody tr")
    assert "dipilih siswa terbaik" in await page.locator("#options tbody tr").nth(2).inner_text()

    # once its answers are in (the key form comes with them): no passage to show
    await page.wait_for_selector("#fix-submit")
    assert await page.locator("#item-stimulus details").count() == 0
    # the question about a passage: the passage above it, open, as its students saw it
    await page.locator(f"#items tbody tr[data-item='{dash.items[1]}'] button.link").click()
    passage = page.locator("#item-stimulus details.stimulus[open]")
    await passage.wait_for()
    assert await passage.locator("summary").inner_text() == "Bacaan: Peta desa"
    assert await passage.locator(".stimulus-body").inner_text() == "Desa itu punya dua sungai."
    assert await page.locator("#item-stimulus + .stem").inner_text() == "Soal latihan 1"
    await shot(page, "teacher-item-stimulus-1366")

    # the short-text question: its common answers, then the key fixed
    await page.locator(f"#items tbody tr[data-item='{dash.items[2]}'] button.link").click()
    await page.wait_for_selector("#answers-table tbody tr")
    common = await page.locator("#answers-table tbody tr").first.locator("th, td").all_inner_texts()
    assert common[0] == "jakarta" and common[1] == "18" and common[3] == "Tidak diterima"
    before = await _results(database_url, dash.exam_id)
    await page.uncheck("#fix-case")
    await page.click("#fix-submit")
    assert "Tuliskan alasan" in await page.inner_text(".key-result")
    await page.fill("#fix-reason", "Huruf kecil juga benar")
    await page.click("#fix-submit")
    await page.wait_for_selector(".key-result.ok")
    assert "18 siswa berubah" in await page.inner_text(".key-result")
    await shot(page, "teacher-key-fixed-1366")
    after = await _results(database_url, dash.exam_id)
    changed = [s for s in before if before[s]["points"] != after[s]["points"]]
    assert len(changed) == 18
    for sitting, old in before.items():
        new = after[sitting]
        for item in dash.items:
            if item != dash.items[2]:
                assert new["items"][item] == old["items"][item]
        assert new["items"][dash.items[2]]["points"] == 1.0
    await page.click("#fix-reload")
    row = page.locator(f"#items tbody tr[data-item='{dash.items[2]}'] td").nth(1)
    await row.wait_for()
    assert await row.inner_text() == "100"
    await context.close()


async def test_charts_tables_and_pass_mark(browser: Browser, dash: Dash) -> None:
    context = await _context(browser, LAPTOP)
    page = await context.new_page()
    await _open(page, dash)
    await page.wait_for_selector("#histogram svg .bars", state="attached")
    scores = await page.locator("#histogram svg rect[data-score]").evaluate_all(
        "rs => rs.map(r => r.getAttribute('data-score'))"
    )
    assert scores == [str(i) for i in range(len(dash.items) + 1)]  # a bar per whole score
    counts = await page.locator("#histogram svg rect[data-score]").evaluate_all(
        "rs => rs.map(r => Number(r.getAttribute('data-count')))"
    )
    assert sum(counts) == STUDENTS
    assert await page.locator("#histogram svg .mean").count() == 1
    assert await page.locator("#histogram svg .pass").count() == 1
    assert "50%" in await page.inner_text("#stats")
    await shot(page, "teacher-overview-1366")

    await page.click("#tab-students")
    await page.wait_for_selector("#results tbody tr")
    passed = await page.locator("#results tbody td:nth-child(5)").all_inner_texts()
    assert set(passed) <= {"Lulus", "Belum lulus"} and "Lulus" in passed and "Belum lulus" in passed
    await page.click("#results th[data-col='points'] button")  # highest first
    top = await page.locator("#results tbody tr").first.locator("td").nth(1).inner_text()
    low = await page.locator("#results tbody tr").last.locator("td").nth(1).inner_text()
    assert float(top.split(" / ")[0].replace(",", ".")) >= float(
        low.split(" / ")[0].replace(",", ".")
    )
    await page.fill("#results-filter", dash.students[5])
    assert await page.locator("#results tbody tr").count() == 1
    await page.fill("#results-filter", "")
    await shot(page, "teacher-students-1366")

    await page.click("#tab-groups")
    await page.wait_for_selector("#groups tbody tr")
    async with page.expect_download() as info:
        await page.click("#groups-block [data-table-export='csv']")
    text = (await (await info.value).path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:2] == ["Sekolah", "Kelas"] and table[1][1] == "9A"
    assert table[1][2:4] == [str(STUDENTS), str(STUDENTS)]
    await shot(page, "teacher-groups-1366")
    await page.click("#tab-export")
    await page.wait_for_selector("[data-export='results.xlsx']")
    await shot(page, "teacher-export-1366")
    await context.close()


async def test_indonesian_first_with_a_switch_and_local_numbers(
    browser: Browser, dash: Dash
) -> None:
    context = await _context(browser, LAPTOP, locale="id-ID")
    page = await context.new_page()
    await page.goto(dash.base + "/teacher")
    assert await page.get_attribute("html", "lang") == "id"
    assert await page.inner_text("#signin") == "Masuk"
    await _open(page, dash)
    assert await page.inner_text("#tab-items") == "Analisis soal"
    await page.click("#tab-items")
    await page.wait_for_selector("#items tbody tr")
    facility = await page.locator("#items tbody td").nth(1).inner_text()
    await page.click(".langs button[lang='en']")
    assert await page.get_attribute("html", "lang") == "en"
    await page.wait_for_selector("#items tbody tr")
    assert await page.inner_text("#tab-items") == "Item analysis"
    assert "Needs a look" in await page.inner_text("#items thead")
    english = await page.locator("#items tbody td").nth(1).inner_text()
    assert facility.replace(",", ".") == english
    await page.click("#tab-students")
    await page.wait_for_selector("#results tbody tr")
    submitted = await page.locator("#results tbody td").nth(4).inner_text()
    assert submitted.endswith("WIB")
    await page.reload()  # the choice is kept on the device
    await page.wait_for_selector("#exams tbody tr")
    assert await page.get_attribute("html", "lang") == "en"
    await context.close()


SCREENS = ["overview", "items", "groups", "students", "integrity", "export"]


async def _every_screen(page: Page, dash: Dash, visit: Callable[[str], Awaitable[None]]) -> None:
    await page.goto(dash.base + "/teacher")
    await page.wait_for_selector("#signin")
    await visit("signin")
    await page.fill("#username", dash.teacher)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.wait_for_selector(f"tr[data-exam='{dash.exam_id}']")
    await visit("exams")
    await page.click(f"tr[data-exam='{dash.exam_id}'] button.link")
    await page.wait_for_selector("#kpi-graded")
    ready = {
        "overview": "#histogram svg",
        "items": "#item-chart svg",
        "groups": "#groups tbody tr",
        "students": "#results tbody tr",
        "integrity": "#flags .flag",
        "export": "[data-export]",
    }
    for name in SCREENS:
        await page.click(f"#tab-{name}")
        await page.wait_for_selector(ready[name])
        await visit(name)
        if name == "items":
            await page.locator("#items tbody tr").first.locator("button.link").click()
            await page.wait_for_selector("#key-fix")
            await visit("item-detail")
        if name == "students":
            await page.locator("#results tbody tr").first.locator("button.link").click()
            await page.wait_for_selector("#review tbody tr")
            await visit("student-answers")
        if name == "integrity":
            card = page.locator(f"[data-flag='{dash.pair_flag}']")
            await card.locator(".flag-open").click()
            await card.locator("table.compare tbody tr").first.wait_for()
            await visit("flag-evidence")


async def test_the_phone_layout_has_no_page_overflow_and_the_same_numbering(
    browser: Browser, dash: Dash
) -> None:
    context = await _context(browser, PHONE)
    page = await context.new_page()
    wide: dict[str, int] = {}

    async def visit(name: str) -> None:
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[name] = width
        await shot(page, f"teacher-{name}-360")

    await _every_screen(page, dash, visit)
    assert wide == {}
    # a wide table scrolls in its own box, not the page
    await page.click("#tab-items")
    await page.wait_for_selector("#items tbody tr")
    box = page.locator("#items-block .scroll")
    assert await box.evaluate("b => b.scrollWidth > b.clientWidth")
    # the answer sheet numbers questions as written, with the options' written letters
    await page.click("#tab-students")
    await page.locator(f"#results tbody tr[data-sitting='{dash.sittings[20]}'] button.link").click()
    await page.wait_for_selector("#review tbody tr")
    first = await page.locator("#review tbody tr").first.locator("th, td").all_inner_texts()
    assert first[0] == "Soal 1" and first[2] == "C. 12"
    rows = await page.locator("#review tbody tr[data-item]").all()
    assert [await r.get_attribute("data-item") for r in rows] == dash.items
    # the shared passage across the sheet stays on the screen, however wide the table scrolls
    passage = page.locator("#review tr.above details.stimulus")
    sheet = page.locator("#review-block .scroll")
    assert await sheet.evaluate("b => b.scrollWidth > b.clientWidth")
    box = await passage.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    await sheet.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    scrolled = await passage.bounding_box()
    assert scrolled is not None and scrolled["x"] == box["x"]
    assert await passage.locator(".stimulus-body").is_visible()
    await shot(page, "teacher-student-answers-stimulus-360")
    await context.close()


async def test_the_answer_sheet_shows_a_shared_passage_once_above_its_questions(
    browser: Browser, dash: Dash
) -> None:
    context = await _context(browser, LAPTOP)
    page = await context.new_page()
    await _open(page, dash)
    await page.click("#tab-students")
    await page.locator(f"#results tbody tr[data-sitting='{dash.sittings[20]}'] button.link").click()
    await page.wait_for_selector("#review tbody tr[data-item]")
    rows = page.locator("#review tbody tr")

    async def order() -> list[str | None]:
        return [await r.get_attribute("data-item") for r in await rows.all()]

    # once, right above the first of the two questions about it; none above the others
    items = dash.items
    assert await order() == [items[0], None, *items[1:]]
    passage = page.locator("#review tbody tr.above details.stimulus")
    assert await passage.count() == 1
    assert await passage.get_attribute("open") == ""
    assert await passage.get_attribute("data-stimulus") == "peta"
    summary = await passage.locator("summary").inner_text()
    assert "Bacaan: Peta desa" in summary and "untuk soal 2–3" in summary
    body = passage.locator(".stimulus-body")
    assert await body.is_visible()
    assert await body.inner_text() == "Desa itu punya dua sungai."
    assert await body.evaluate("b => b.innerHTML") == PASSAGE["body"]
    await shot(page, "teacher-student-answers-stimulus-1366")

    # folded away, it stays folded when the sheet is sorted the other way round: still once,
    # above the first of its questions as now shown
    await passage.locator("summary").click()
    assert await passage.get_attribute("open") is None
    assert not await body.is_visible()
    await page.click("#review th[data-col='position'] button")
    assert await order() == [items[5], items[4], items[3], None, items[2], items[1], items[0]]
    assert await passage.count() == 1 and await passage.get_attribute("open") is None
    # the filter keeps the passage above the question of the run it still shows
    await page.fill("#review-filter", "Ibu kota")
    assert await order() == [None, items[2]]
    await page.fill("#review-filter", "Soal latihan 2")
    assert await order() == [items[3]]
    await page.fill("#review-filter", "")

    # in English, the same passage says which questions it is for in English
    await page.click(".langs button[lang='en']")
    await page.click("#tab-students")
    await page.locator(f"#results tbody tr[data-sitting='{dash.sittings[20]}'] button.link").click()
    await page.wait_for_selector("#review tbody tr.above")
    assert "for questions 2–3" in await passage.locator("summary").inner_text()
    await context.close()


async def test_every_screen_passes_axe_and_the_focus_ring_stands_out(
    browser: Browser, dash: Dash
) -> None:
    axe = Axe()
    found: dict[str, list[str]] = {}
    for viewport, size in ((LAPTOP, "1366"), (PHONE, "360")):
        context = await _context(browser, viewport)
        page = await context.new_page()

        async def visit(name: str, page: Page = page, size: str = size) -> None:
            results = await axe.run(page)
            bad = [
                f"{v['id']} ({len(v['nodes'])})"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[f"{name}@{size}"] = bad
            await shot(page, f"teacher-{name}-{size}")

        await _every_screen(page, dash, visit)
        if size == "1366":
            ratios = await _focus_ring_ratios(page)
            assert ratios and min(ratios) >= 3.0, ratios
        await context.close()
    assert found == {}


# the focused element's outline colour and width, and the first opaque background behind it
FOCUSED = """() => {
  const el = document.activeElement, s = getComputedStyle(el);
  let bg = 'rgb(255, 255, 255)';
  for (let e = el.parentElement; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
  }
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, bg];
}"""


def _luminance(css: str) -> float:
    r, g, b = (float(x) / 255 for x in re.findall(r"[\d.]+", css)[:3])

    def lin(x: float) -> float:
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    x, y = _luminance(a), _luminance(b)
    return (max(x, y) + 0.05) / (min(x, y) + 0.05)


async def _focus_ring_ratios(page: Page) -> list[float]:
    """Tab through the item analysis: each focused element's ring against what is behind it."""
    ratios: list[float] = []
    await page.click("#tab-items")
    await page.wait_for_selector("#items tbody tr")
    await page.locator("#tab-items").focus()
    for _ in range(12):
        await page.keyboard.press("Tab")
        style, width, colour, behind = await page.evaluate(FOCUSED)
        assert style != "none" and float(width.removesuffix("px")) >= 2
        ratios.append(contrast(colour, behind))
    return ratios
