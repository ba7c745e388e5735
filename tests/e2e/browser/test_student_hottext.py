"""A hottext question (QTI's qti-hottext-interaction) on a phone: the passage drawn with each
run of text a toggle in its place (aria-pressed, 44px tall to the touch, a tick when picked),
worked by keyboard, a pick past max-choices refused aloud, and what the device queues being
the choice answer the scorers read."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

HOTTEXT: dict[str, Any] = {
    "kind": "multiple_response",
    "stem": "<p>Temukan dua kesalahan dalam bacaan ini.</p>",
    "correct": ["b", "d"],
    "options": [
        {"id": "a", "text": "Jakarta"},
        {"id": "b", "text": "Surabaya"},
        {"id": "c", "text": "17.000"},
        {"id": "d", "text": "<em>dua</em> musim"},
    ],
    "hottext": {
        "passage": "<p>Ibu kota Indonesia adalah {{a}}, bukan {{b}} yang terletak di Sumatra. "
        "Indonesia memiliki lebih dari {{c}} pulau dan {{d}} salju.</p>",
        "max_choices": 2,
    },
}


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_a_hottext_passage_is_answered_by_keyboard_in_its_place(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([HOTTEXT], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    runs = page.locator("section.item .passage button.run")
    assert await runs.count() == 4
    # every run sits in the sentence, in the passage's order, unpicked
    sentence = await page.inner_text("section.item .passage")
    assert "Ibu kota Indonesia adalah Jakarta, bukan Surabaya yang" in sentence
    assert [await runs.nth(n).get_attribute("aria-pressed") for n in range(4)] == ["false"] * 4
    assert "paling banyak 2" in await page.inner_text("section.item")
    for n in range(4):
        box = await runs.nth(n).bounding_box()
        assert box is not None and box["height"] >= 44

    await runs.nth(1).focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # "dua musim", two tabs on
    assert await runs.nth(1).get_attribute("aria-pressed") == "true"
    assert await runs.nth(3).get_attribute("aria-pressed") == "true"
    answer = await _answer(page, item_id)
    assert answer["kind"] == "multiple_response" and sorted(answer["choices"]) == ["b", "d"]
    # picked is shown by a tick and a heavier frame, not by colour alone
    tick = runs.nth(1).locator(".tick")
    assert await tick.is_visible() and not await runs.nth(0).locator(".tick").is_visible()
    weight = await runs.nth(1).evaluate("b => getComputedStyle(b).borderTopStyle")
    assert weight == "solid"

    # a third pick is past max-choices: refused, and the student is told
    await runs.nth(0).click()
    assert await runs.nth(0).get_attribute("aria-pressed") == "false"
    assert "itu batasnya" in await page.inner_text("section.item p[role=status]")
    assert sorted((await _answer(page, item_id))["choices"]) == ["b", "d"]
    # a run picked again is let go
    await runs.nth(3).click()
    assert (await _answer(page, item_id))["choices"] == ["b"]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-hottext")
    await context.close()
