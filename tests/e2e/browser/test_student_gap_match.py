"""A gap-match question (QTI's qti-gap-match-interaction) on a phone: a select in each gap of
the text, named by its gap's number and 44px tall to the touch, worked by keyboard; a word
already in as many gaps as its match-max allows is not offered in another, a gap past
max-associations is refused aloud, an answer short of min-associations is saved and named in the
submit summary, and what the device queues is the matching answer (gap text, gap) the scorer
reads."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

GAP_MATCH: dict[str, Any] = {
    "kind": "matching",
    "stem": "<p>Tumbuhan menyerap {{g1}} dan {{g2}}, lalu melepaskan {{g3}}.</p>",
    "sources": [
        {"id": "co2", "text": "karbon dioksida"},
        {"id": "air", "text": "air"},
        {"id": "o2", "text": "<b>oksigen</b>"},
        {"id": "n2", "text": "nitrogen"},
    ],
    "targets": [{"id": "g1", "text": "1"}, {"id": "g2", "text": "2"}, {"id": "g3", "text": "3"}],
    "pairs": [["co2", "g1"], ["air", "g2"], ["o2", "g3"]],
    "gap_match": {"match_max": {"air": 2}},
}


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_a_gap_match_is_filled_by_keyboard_gap_by_gap(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([GAP_MATCH], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    gaps = page.locator("section.item .stem select")
    assert await gaps.count() == 3
    # each gap stands in its sentence, named by its number, the word bank in every one
    assert [await gaps.nth(n).get_attribute("aria-label") for n in range(3)] == [
        "Rumpang 1",
        "Rumpang 2",
        "Rumpang 3",
    ]
    sentence = await page.inner_text("section.item .stem")
    assert sentence.startswith("Tumbuhan menyerap") and "lalu melepaskan" in sentence
    assert "{{" not in sentence
    assert await page.locator("section.item ul.bank li").count() == 4
    for n in range(3):
        box = await gaps.nth(n).bounding_box()
        assert box is not None and box["height"] >= 44

    # by keyboard: Tab goes from gap to gap in the text's order
    await gaps.nth(0).focus()
    await gaps.nth(0).select_option("co2")
    await page.keyboard.press("Tab")
    assert await gaps.nth(1).evaluate("e => e === document.activeElement")
    await gaps.nth(1).select_option("air")
    answer = await _answer(page, item_id)
    assert answer["kind"] == "matching"
    assert sorted(map(tuple, answer["pairs"])) == [("air", "g2"), ("co2", "g1")]
    # karbon dioksida fills one gap at most: not offered in the others; air may fill two
    third = gaps.nth(2)
    assert await third.locator("option[value=co2]").is_disabled()
    assert not await third.locator("option[value=air]").is_disabled()
    await third.select_option("o2")
    assert sorted(map(tuple, (await _answer(page, item_id))["pairs"])) == [
        ("air", "g2"),
        ("co2", "g1"),
        ("o2", "g3"),
    ]
    # a gap emptied again leaves the answer
    await gaps.nth(0).select_option("")
    assert not await third.locator("option[value=co2]").is_disabled()
    assert sorted(map(tuple, (await _answer(page, item_id))["pairs"])) == [
        ("air", "g2"),
        ("o2", "g3"),
    ]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-gap-match")
    await context.close()


# two of the three gaps at most and at least: a third fill is refused aloud, and one filled gap
# is saved but named in the summary before submitting
LIMITED: dict[str, Any] = {
    **GAP_MATCH,
    "pairs": [["co2", "g1"], ["air", "g2"]],
    "gap_match": {"match_max": {"air": 2}, "max_associations": 2, "min_associations": 2},
}


async def test_a_gap_match_fills_at_most_its_max_and_the_summary_names_one_short_of_its_min(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([LIMITED], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    hint = await page.inner_text("section.item p.muted[id$='-hint']")
    assert "Isi paling banyak 2 rumpang." in hint and "Isi sedikitnya 2." in hint
    gaps = page.locator("section.item .stem select")
    await gaps.nth(0).select_option("co2")
    assert (await _answer(page, item_id))["pairs"] == [["co2", "g1"]]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)

    # one gap of the two asked for: answered, and named as short of what the question asks
    await page.click("#submit")
    await page.wait_for_selector("#sub-h")
    assert await page.inner_text("#sub-counts") == "1 dari 1 soal dijawab."
    assert await page.locator("#sub-blank").count() == 0
    assert await page.locator("#sub-short button").all_inner_texts() == ["Soal 1"]
    heading = page.locator("h2:has-text('Belum lengkap, kurang dari yang diminta soal (1)')")
    assert await heading.count() == 1
    await shot(page, "student-submit-summary-short")
    await page.click("#sub-short button:has-text('Soal 1')")

    await gaps.nth(1).select_option("air")
    # a third gap is past max-associations: emptied again, said aloud, not sent
    await gaps.nth(2).select_option("o2")
    assert await gaps.nth(2).input_value() == ""
    status = await page.inner_text("section.item p.saved[role=status]")
    assert status.startswith("Sudah 2 rumpang diisi")
    assert sorted(map(tuple, (await _answer(page, item_id))["pairs"])) == [
        ("air", "g2"),
        ("co2", "g1"),
    ]
    # emptying a gap makes room again
    await gaps.nth(0).select_option("")
    await gaps.nth(2).select_option("o2")
    assert sorted(map(tuple, (await _answer(page, item_id))["pairs"])) == [
        ("air", "g2"),
        ("o2", "g3"),
    ]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await page.click("#submit")
    await page.wait_for_selector("#sub-h")
    assert await page.locator("#sub-short").count() == 0
    await context.close()
