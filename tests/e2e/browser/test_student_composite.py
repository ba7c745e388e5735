"""A composite question (several QTI interactions scored together, ADR 0020) on a phone: each
part drawn where the item's text puts it, in the body's order, as a question of its own kind,
and what the device queues and the server stores being one composite answer, a response per
part by its response identifier."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from playwright.async_api import Browser, Page

from question_bank.qti_import import import_items
from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start
from tests.unit.question_bank_qti.composite_items import BOTH, composite


def _item() -> dict[str, Any]:
    (part,) = import_items(composite(BOTH))
    item: dict[str, Any] = msgspec.to_builtins(part.item)
    return item


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_a_composite_shows_its_parts_in_place_and_saves_one_answer(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, (item_id,) = await school.exam([_item()], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    box = page.locator("section.item")
    assert await box.get_attribute("data-kind") == "composite"
    parts = box.locator(".item-part")
    assert await parts.count() == 2
    # in the body's order, below the passage: the choice, then the sentence with its blank
    text = await page.inner_text("section.item .stem")
    assert text.index("France is a country in Europe.") < text.index("Which letter comes second?")
    assert text.index("Which letter comes second?") < text.index("The capital of France is")
    assert [await parts.nth(n).get_attribute("data-kind") for n in range(2)] == [
        "single_choice",
        "short_text",
    ]

    await parts.nth(0).locator("label.opt").nth(1).click()
    assert await _answer(page, item_id) == {
        "kind": "composite",
        "parts": {"RESPONSE_A": {"kind": "single_choice", "choice": "B"}},
    }
    field = parts.nth(1).locator("input")
    await field.fill("Paris")
    await field.press("Tab")
    assert await _answer(page, item_id) == {
        "kind": "composite",
        "parts": {
            "RESPONSE_A": {"kind": "single_choice", "choice": "B"},
            "RESPONSE_B": {"kind": "short_text", "text": "Paris"},
        },
    }
    # the server took it: each part passed its own checks
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    # clearing one part keeps the other
    await field.fill("")
    await field.press("Tab")
    assert (await _answer(page, item_id))["parts"] == {
        "RESPONSE_A": {"kind": "single_choice", "choice": "B"}
    }
    # a reload draws the parts with the answer kept
    await page.reload()
    await page.wait_for_selector("section.item .item-part")
    assert await page.locator("section.item .item-part input[type=radio]").nth(1).is_checked()
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-composite")
    await context.close()
