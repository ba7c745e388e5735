"""A shared stimulus (QTI's qti-assessment-stimulus) on a phone: the passage above each of the
two questions that ask about it, with its title and which questions it is for; a long passage
scrolls within its box and folds away, so the question stays within reach; folded on one
question it stays folded on the next about the same passage; a question about no passage shows
none; the review after the results shows the passage once above the questions it belongs to,
open and saying which they are, and so does the teacher's answer sheet of the sitting."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser

from tests.e2e.browser.conftest import PASSWORD, Seed
from tests.e2e.browser.student_helpers import LAPTOP, PHONE, new_school, phone, shot, start

# a passage longer than a phone's screen
PARAGRAPHS = "".join(
    f"<p>Paragraf {n}: Danau Toba terbentuk dari letusan gunung api purba, dan di tengahnya "
    "ada Pulau Samosir, tempat orang Batak Toba tinggal sejak lama.</p>"
    for n in range(1, 13)
)
TOBA = {"id": "danau-toba", "title": "Danau Toba", "body": "<h2>Danau Toba</h2>" + PARAGRAPHS}


def _question(stem: str, stimulus: dict[str, Any] | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "single_choice",
        "stem": f"<p>{stem}</p>",
        "correct": "a",
        "shuffle": False,
        "options": [{"id": "a", "text": "Samosir"}, {"id": "b", "text": "Nias"}],
    }
    if stimulus is not None:
        item["stimulus"] = stimulus
    return item


ITEMS = [
    _question("Pulau apa yang ada di tengah Danau Toba?", TOBA),
    _question("Siapa yang tinggal di pulau itu sejak lama?", TOBA),
    _question("Pulau mana yang ada di barat Sumatra?", None),
]


async def test_a_shared_passage_stands_above_both_questions_and_folds_away_on_a_phone(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(ITEMS, shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    passage = page.locator("section.item details.stimulus")
    body = passage.locator(".stimulus-body")
    stem = page.locator("section.item #stem")
    assert await passage.get_attribute("open") == ""
    summary = await passage.locator("summary").inner_text()
    assert "Danau Toba" in summary and "untuk soal 1–2" in summary
    first_text = await body.text_content()
    assert first_text is not None and "Paragraf 12" in first_text
    # above the question, and scrolling within its own box: no taller than 60 % of the screen
    passage_box, stem_box = await passage.bounding_box(), await stem.bounding_box()
    assert passage_box is not None and stem_box is not None
    assert passage_box["y"] + passage_box["height"] <= stem_box["y"] + 1
    sizes = await body.evaluate("b => [b.clientHeight, b.scrollHeight]")
    assert sizes[0] <= PHONE["height"] * 0.6 + 1 < sizes[1]
    # the box scrolls by keyboard too: it takes the focus
    assert await body.get_attribute("tabindex") == "0"
    await shot(page, "student-item-stimulus")

    # folded, the question moves up to the passage's title
    await passage.locator("summary").click()
    assert await passage.get_attribute("open") is None
    folded = await stem.bounding_box()
    assert folded is not None and folded["y"] < stem_box["y"] - 200
    summary_box = await passage.locator("summary").bounding_box()
    assert summary_box is not None and summary_box["height"] >= 44
    await shot(page, "student-item-stimulus-folded")

    # the next question about the same passage: the same text, still folded
    await page.click("#next")
    await page.wait_for_selector("section.item #stem:has-text('Siapa yang tinggal')")
    assert await passage.get_attribute("open") is None
    # (folded, its text is in the page but not shown)
    assert await body.text_content() == first_text and not await body.is_visible()
    await passage.locator("summary").click()
    assert await passage.get_attribute("open") == ""
    assert await body.is_visible()
    # folded again: so it is when the exam ends
    await passage.locator("summary").click()
    assert await passage.get_attribute("open") is None

    # a question about no passage shows none
    await page.click("#next")
    await page.wait_for_selector("section.item #stem:has-text('barat Sumatra')")
    assert await page.locator("section.item details.stimulus").count() == 0

    # the review after the results: the passage once, above the first of its two questions
    await page.click("#submit")
    await page.click("#confirm-submit")
    await page.wait_for_selector("#review", timeout=30_000)
    in_review = page.locator("#review details.stimulus")
    assert await in_review.count() == 1
    reviewed = page.locator("#review > li")
    assert [await q.locator("details.stimulus").count() for q in await reviewed.all()] == [1, 0, 0]
    # open (folding it during the exam does not fold it here), above the question's heading,
    # saying which questions it is for, its text as the student saw it
    assert await in_review.get_attribute("open") == ""
    assert await reviewed.first.locator("details.stimulus + h3").count() == 1
    assert "untuk soal 1–2" in await in_review.locator("summary").inner_text()
    review_body = in_review.locator(".stimulus-body")
    assert await review_body.is_visible()
    assert await review_body.text_content() == first_text
    await shot(page, "student-review-stimulus")
    seen = await review_body.evaluate("b => b.innerHTML")
    await context.close()

    # the teacher's answer sheet of this sitting: the same passage, drawn the same, once above
    # the two questions about it, none above the third
    teacher = await browser.new_context(viewport=LAPTOP, locale="id-ID")
    page = await teacher.new_page()
    await page.goto(web.base + "/teacher")
    await page.fill("#username", school.teacher)
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.click(f"tr[data-exam='{exam_id}'] button.link")
    await page.click("#tab-students")
    await page.locator("#results tbody tr button.link").click()
    await page.wait_for_selector("#review tbody tr[data-item]")
    rows = await page.locator("#review tbody tr").all()
    assert [await r.get_attribute("class") == "above" for r in rows] == [True] + [False] * 3
    sheet = page.locator("#review tr.above details.stimulus[open]")
    assert "untuk soal 1–2" in await sheet.locator("summary").inner_text()
    sheet_body = sheet.locator(".stimulus-body")
    assert await sheet_body.is_visible()
    assert await sheet_body.evaluate("b => b.innerHTML") == seen
    await shot(page, "teacher-student-answers-long-stimulus-1366")
    await teacher.close()
