"""A hotspot question (QTI's qti-hotspot-interaction) on a phone: the picture with each place a
radio button (a single choice) or a checkbox (a multiple one) drawn at its hotspot with its
label in words, 44px to the touch, worked by pointer and keyboard, a pick past max-choices
refused aloud, and what the device queues being the choice answer the scorers read."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page

from tests.e2e.browser.conftest import Seed, png, token
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

# three islands on a 200 × 280 picture: Jawa high up, Papua low down, Bali between them
PLACES = {
    "jawa": {"shape": "circle", "coords": [60, 40, 10]},
    "bali": {"shape": "poly", "coords": [90, 130, 110, 130, 100, 150]},
    "papua": {"shape": "rect", "coords": [140, 220, 180, 260]},
}
OPTIONS = [
    {"id": "jawa", "text": "Jawa"},
    {"id": "bali", "text": "Bali"},
    {"id": "papua", "text": "Papua"},
]


def _islands(image: str) -> dict[str, Any]:
    return {
        "kind": "multiple_response",
        "stem": "<p>Pilih dua pulau di sebelah barat Lombok.</p>",
        "options": OPTIONS,
        "correct": ["jawa", "bali"],
        "shuffle": False,
        "graphic": {
            "image": image,
            "width": 200,
            "height": 280,
            "alt": "Peta pulau",
            "hotspots": PLACES,
            "max_choices": 2,
        },
    }


def _capital(image: str) -> dict[str, Any]:
    # a picture given no size, as QTI allows: the page measures it once loaded
    return {
        "kind": "single_choice",
        "stem": "<p>Di pulau mana ibu kota Indonesia?</p>",
        "options": OPTIONS,
        "correct": "jawa",
        "shuffle": False,
        "graphic": {"image": image, "hotspots": PLACES},
    }


async def _answer(page: Page, item_id: str) -> Any:
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    kept = json.loads(await page.evaluate(f"localStorage.getItem('uj.q.{sitting}')"))
    return kept["answers"].get(item_id)


async def _exam(web: Seed, database_url: str, item: Any) -> tuple[Any, str, str]:
    school = await new_school(web, database_url, 1)
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as http:
        auth = await token(http, school.teacher)
        r = await http.post(
            "/v1/media", params={"filename": "pulau.png"}, content=png(200, 280), headers=auth
        )
        assert r.status_code == 201, r.text
    exam_id, (item_id,) = await school.exam([item(r.json()["url"])], shuffle=False)
    return school, exam_id, item_id


async def _at_their_places(page: Page, spots: Locator) -> None:
    """Each place stands at its hotspot, on the picture: Jawa high up, Papua low, Bali between."""
    picture = await page.locator("section.item .hotspots img").bounding_box()
    assert picture is not None
    middles = []
    for n in range(3):
        box = await spots.nth(n).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        middles.append((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
        assert picture["y"] <= middles[n][1] <= picture["y"] + picture["height"]
        assert picture["x"] <= middles[n][0] <= picture["x"] + picture["width"]
    assert middles[0][1] < middles[1][1] < middles[2][1]
    # Papua's rect centre is at 160 of 200 pixels across: four fifths of the picture's width
    across = (middles[2][0] - picture["x"]) / picture["width"]
    assert abs(across - 0.8) < 0.03


async def test_a_multiple_hotspot_is_answered_by_pointer_and_keyboard_within_its_limit(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school, exam_id, item_id = await _exam(web, database_url, _islands)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    assert await page.locator("section.item .hotspots img").get_attribute("alt") == "Peta pulau"
    spots = page.locator("section.item .hotspots label.spot")
    # each place labelled in words, a checkbox a screen reader names by its label
    assert [await spots.nth(n).inner_text() for n in range(3)] == ["Jawa", "Bali", "Papua"]
    boxes = page.locator("section.item .hotspots input[type=checkbox]")
    assert await boxes.count() == 3
    assert "paling banyak 2" in await page.inner_text("section.item legend")
    await _at_their_places(page, spots)

    await spots.nth(0).click()  # Jawa by pointer
    await boxes.nth(0).focus()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # Bali by keyboard
    assert [await boxes.nth(n).is_checked() for n in range(3)] == [True, True, False]
    answer = await _answer(page, item_id)
    assert answer["kind"] == "multiple_response"
    assert sorted(answer["choices"]) == ["bali", "jawa"]
    # a chosen place shows its mark, a solid frame and bold text, not a colour alone
    style = "s => [getComputedStyle(s).borderTopStyle, getComputedStyle(s).fontWeight]"
    assert await spots.nth(1).evaluate(style) == ["solid", "700"]
    assert await spots.nth(2).evaluate(style) == ["dashed", "400"]

    # a third place is past max-choices: refused, and the student is told
    await spots.nth(2).click()
    assert not await boxes.nth(2).is_checked()
    assert "itu batasnya" in await page.inner_text("section.item p[role=status]")
    assert sorted((await _answer(page, item_id))["choices"]) == ["bali", "jawa"]
    # a place chosen again is let go
    await spots.nth(0).click()
    assert (await _answer(page, item_id))["choices"] == ["bali"]
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-hotspot")
    await context.close()


async def test_a_single_hotspot_on_a_picture_of_its_own_size_takes_one_place(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school, exam_id, item_id = await _exam(web, database_url, _capital)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    spots = page.locator("section.item .hotspots label.spot")
    radios = page.locator("section.item .hotspots input[type=radio]")
    assert await radios.count() == 3
    # measured once the picture has loaded: the places stand where the pixels say
    await page.wait_for_function(
        "document.querySelector('section.item .hotspots label.spot').style.left !== ''"
    )
    await _at_their_places(page, spots)

    await spots.nth(2).click()
    assert await _answer(page, item_id) == {"kind": "single_choice", "choice": "papua"}
    # the arrow keys move the one choice, as in any group of radio buttons
    await radios.nth(2).focus()
    await page.keyboard.press("ArrowUp")
    assert [await radios.nth(n).is_checked() for n in range(3)] == [False, True, False]
    assert await _answer(page, item_id) == {"kind": "single_choice", "choice": "bali"}
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await shot(page, "student-item-hotspot-single")
    await context.close()
