"""A graphic-order question (QTI's qti-graphic-order-interaction) on a phone: the picture with
each hotspot's label at its place, and the labels put in order in the list below it (the
ordering list's keyboard moves, 44px to the touch), what the device queues being the ordering
answer the scorer reads."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed, png, token
from tests.e2e.browser.student_helpers import new_school, phone, shot, start


def _graphic_order(image: str) -> dict[str, Any]:
    return {
        "kind": "ordering",
        "stem": "<p>Urutkan bandara dari yang paling utara.</p>",
        "options": [
            {"id": "a", "text": "Bandara A"},
            {"id": "b", "text": "Bandara B"},
            {"id": "c", "text": "Bandara C"},
        ],
        "correct": ["a", "c", "b"],
        "shuffle": False,
        "graphic": {
            "image": image,
            "width": 200,
            "height": 280,
            "alt": "Peta bandara",
            "hotspots": {
                "a": {"shape": "circle", "coords": [80, 40, 8]},
                "b": {"shape": "rect", "coords": [100, 220, 130, 250]},
                "c": {"shape": "poly", "coords": [40, 120, 60, 120, 50, 140]},
            },
        },
    }


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def test_a_graphic_order_shows_its_places_and_is_ordered_by_keyboard(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as http:
        auth = await token(http, school.teacher)
        r = await http.post(
            "/v1/media", params={"filename": "peta.png"}, content=png(200, 280), headers=auth
        )
        assert r.status_code == 201, r.text
    exam_id, (item_id,) = await school.exam([_graphic_order(r.json()["url"])], shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    picture = page.locator("section.item .hotspots img")
    assert await picture.get_attribute("alt") == "Peta bandara"
    spots = page.locator("section.item .hotspots .spot")
    assert [await spots.nth(n).inner_text() for n in range(3)] == [
        "Bandara A",
        "Bandara B",
        "Bandara C",
    ]
    # each label stands at its hotspot: A high up, B low down, C between them
    tops = [(await spots.nth(n).bounding_box() or {"y": 0.0})["y"] for n in range(3)]
    assert tops[0] < tops[2] < tops[1]
    image_box = await picture.bounding_box()
    assert image_box is not None
    for n in range(3):
        box = await spots.nth(n).bounding_box()
        assert box is not None
        middle = box["y"] + box["height"] / 2
        assert image_box["y"] <= middle <= image_box["y"] + image_box["height"]

    # the order is given in the list: C moved up above B by keyboard
    down = page.locator("section.item ol.order li").nth(1).locator("button.down")
    box = await down.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    await down.focus()
    await page.keyboard.press("Enter")
    answer = await _answer(page, item_id)
    assert answer == {"kind": "ordering", "order": ["a", "c", "b"]}
    assert "dipindah" in (await page.inner_text("section.item p[role=status]")).lower()
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-graphic-order")
    await context.close()
