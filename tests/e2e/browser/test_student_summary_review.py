"""Submit and result say enough (problem 5): before submitting, the blank and flagged questions
are listed, one tap from each; after the results, the review shows every question with its
text, the student's answer, the correct answer and the explanation, numbered in the paper's
own order with the option letters the teacher's dashboard uses."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser

from tests.e2e.browser.conftest import Seed, token
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, shot, start


async def test_summary_lists_blank_and_flagged_and_the_review_numbers_like_the_teacher(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    items = [
        {**item, "explanation": f"<p>Penjelasan soal {n + 1}</p>"}
        for n, item in enumerate(choice_items(4, "Naskah soal {i}"))
    ]
    exam_id, _ = await school.exam(items)
    context = await phone(browser)
    page = await context.new_page()
    student = school.student()
    await start(page, web.base, student, exam_id)

    first_stem = await page.inner_text("#stem")  # the student's question 1, whichever it is
    await page.locator("section.item label.opt:has-text('B')").click()
    await page.click("#next")
    await page.click("#flag")
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')")

    await page.click("#submit")
    await page.wait_for_selector("#sub-h")
    assert await page.inner_text("#sub-counts") == "1 dari 4 soal dijawab."
    assert await page.locator("#sub-blank button").all_inner_texts() == [
        "Soal 2",
        "Soal 3",
        "Soal 4",
    ]
    assert await page.locator("#sub-flagged button").all_inner_texts() == ["Soal 2"]
    await shot(page, "student-submit-summary-phone")
    await page.click("#sub-blank button:has-text('Soal 3')")  # one tap to the question
    await page.wait_for_selector("#q-label:has-text('Soal 3 dari 4')")

    await page.click("#submit")
    await page.click("#confirm-submit")
    await page.wait_for_selector("#review li[data-number='4']", timeout=30_000)
    await shot(page, "student-review-phone")
    reviewed = page.locator("#review > li")
    assert await reviewed.count() == 4
    stems = [await reviewed.nth(i).locator(".stem").inner_text() for i in range(4)]
    assert stems == [f"Naskah soal {n}" for n in (1, 2, 3, 4)]  # the paper's own order
    answered = page.locator(f"#review > li:has(.stem:text-is('{first_stem}'))")
    assert await answered.get_attribute("data-paper-number") == "1"
    assert await answered.locator("dd.yours").inner_text() == "B. B"
    assert await answered.locator("dd.correct").inner_text() == "A. A"
    number = int(str(await answered.get_attribute("data-number")))
    explanation = await answered.locator(".explanation").inner_text()
    assert explanation.split() == ["Penjelasan", "Penjelasan", "soal", str(number)]
    blank = reviewed.nth(0 if number != 1 else 1)
    assert await blank.locator("dd.yours").inner_text() == "tidak dijawab"
    paper_numbers = sorted(
        [int(str(await reviewed.nth(i).get_attribute("data-paper-number"))) for i in range(4)]
    )
    assert paper_numbers == [1, 2, 3, 4]

    # the teacher's dashboard numbers the same questions the same way
    async with httpx.AsyncClient(base_url=web.base) as http:
        mine = await token(http, student)  # starting again returns the same sitting
        sitting = (await http.post(f"/v1/exams/{exam_id}/sittings", headers=mine)).json()["id"]
        auth = await token(http, school.teacher)
        r = await http.get(f"/v1/exams/{exam_id}/sittings/{sitting}/review", headers=auth)
        assert r.status_code == 200, r.text
        teacher = {it["position"]: re.sub("<[^>]+>", "", it["stem"]) for it in r.json()["items"]}
    assert [teacher[n] for n in (1, 2, 3, 4)] == stems
    await context.close()
