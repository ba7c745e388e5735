"""An associate question (QTI's qti-associate-interaction) on a phone: each pair a row of two
selects drawn from one list of choices, as many rows as max-associations allows, each select
named by its pair and side and 44px tall to the touch, the fewest pairs asked for said; a choice
is never offered beside itself nor past its match-max, and what the device queues is the
matching answer the scorer reads (a pair has no direction)."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

CHOICES = [
    {"id": "arjuna", "text": "Arjuna"},
    {"id": "karna", "text": "Karna"},
    {"id": "rama", "text": "Rama"},
    {"id": "rahwana", "text": "<b>Rahwana</b>"},
    {"id": "sinta", "text": "Sinta"},
]
ASSOCIATE: dict[str, Any] = {
    "kind": "matching",
    "stem": "<p>Pasangkan setiap tokoh wayang dengan lawannya.</p>",
    "sources": CHOICES,
    "targets": CHOICES,
    "pairs": [["arjuna", "karna"], ["rama", "rahwana"]],
    "associate": {"max_associations": 2, "min_associations": 2},
}


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_an_associate_is_answered_pair_by_pair_with_two_selects(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([ASSOCIATE], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    selects = page.locator("section.item .pairs select")
    assert await selects.count() == 4  # two pairs, two selects each
    assert await selects.nth(0).get_attribute("aria-label") == "Pasangan 1, pilihan pertama"
    assert await selects.nth(3).get_attribute("aria-label") == "Pasangan 2, pilihan kedua"
    assert "paling banyak 2 pasangan" in await page.inner_text("section.item")
    # min-associations is guidance: an answer of one pair is saved all the same (below)
    assert "Buat sedikitnya 2." in await page.inner_text("section.item")
    assert await page.locator("section.item ul.bank li").count() == 5
    for n in range(4):
        box = await selects.nth(n).bounding_box()
        assert box is not None and box["height"] >= 44

    # the first pair given the other way round: a pair has no direction
    await selects.nth(0).focus()
    await selects.nth(0).select_option("karna")
    # a choice is not offered beside itself
    assert await selects.nth(1).locator("option[value=karna]").is_disabled()
    await page.keyboard.press("Tab")
    assert await selects.nth(1).evaluate("e => e === document.activeElement")
    await selects.nth(1).select_option("arjuna")
    assert (await _answer(page, item_id))["pairs"] == [["karna", "arjuna"]]
    # Karna and Arjuna stand in one pair each at most: not offered in the second pair
    assert await selects.nth(2).locator("option[value=karna]").is_disabled()
    assert await selects.nth(3).locator("option[value=arjuna]").is_disabled()
    await selects.nth(2).select_option("rama")
    assert (await _answer(page, item_id))["pairs"] == [["karna", "arjuna"]]  # half a pair
    await selects.nth(3).select_option("rahwana")
    answer = await _answer(page, item_id)
    assert answer["kind"] == "matching"
    assert answer["pairs"] == [["karna", "arjuna"], ["rama", "rahwana"]]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-associate")
    await context.close()
