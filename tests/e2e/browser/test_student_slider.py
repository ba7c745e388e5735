"""A slider question (QTI's qti-slider-interaction) on a phone: a labelled range control with
its scale's bounds and step, a 44px touch strip, an untouched slider shown as no answer, and
the keyboard giving exactly the scale's values, which are what the device queues."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

SLIDER: dict[str, Any] = {
    "kind": "numeric",
    "stem": "<p>Berapa pH air jeruk lemon?</p>",
    "value": 2.5,
    "unit": "pH",
    "slider": {"lower_bound": 0, "upper_bound": 14, "step": 0.5, "step_label": False},
}


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_a_slider_is_answered_by_keyboard_on_its_scale(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([SLIDER], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    slider = page.locator("section.item input[type=range]")
    assert [await slider.get_attribute(a) for a in ("min", "max", "step")] == ["0", "14", "0.5"]
    label = await page.inner_text("section.item label.field")
    assert "0 pH" in label and "14 pH" in label
    box = await slider.bounding_box()
    assert box is not None and box["height"] >= 44
    # untouched: no answer, and the page says so
    assert "Belum dijawab" in await page.inner_text("section.item output")
    assert await _answer(page, item_id) is None

    await slider.focus()
    await page.keyboard.press("Enter")  # the thumb's first place, chosen on purpose
    assert await _answer(page, item_id) == {"kind": "numeric", "value": 0}
    for _ in range(3):
        await page.keyboard.press("ArrowRight")
    assert "Nilai: 1,5 pH" in await page.inner_text("section.item output")
    assert await _answer(page, item_id) == {"kind": "numeric", "value": 1.5}
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-slider")
    await context.close()
