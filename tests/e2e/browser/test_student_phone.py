"""The phone layout (problem 3), at 360×740: "Next" leaves the question's number in sight below
the sticky bar; offline, the header stays one line; the question map folds away, counts what
is answered, blank and flagged, filters by them, and shows a flag as a sign with a key."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, pick, shot, start

LONG_STEM = "<p>" + "Bacalah teks berikut dengan saksama sebelum menjawab. " * 12 + "</p>"


async def number_in_sight(page: Page) -> bool:
    return bool(
        await page.evaluate(
            """() => {
              const bar = document.querySelector('header.bar').getBoundingClientRect();
              const label = document.querySelector('#q-label').getBoundingClientRect();
              return label.top >= bar.bottom - 1 && label.bottom <= window.innerHeight;
            }"""
        )
    )


async def test_phone_layout_keeps_the_number_in_sight_and_folds_the_map(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(40, LONG_STEM + "<p>Soal {i}</p>"))
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    # "Next" sits below a long question: after it, the new number is below the bar, in sight
    await pick(page)
    await page.click("#flag")
    for n in (2, 3):
        await page.locator("#next").scroll_into_view_if_needed()
        await page.click("#next")
        await page.wait_for_selector(f"#q-label:has-text('Soal {n} dari 40')")
        assert await number_in_sight(page), n
    await shot(page, "student-item-phone")

    # the map: folded on a phone with a long paper, its counts in the one line that shows
    assert await page.locator("#map").get_attribute("open") is None
    assert not await page.locator("#grid").is_visible()
    counts = page.locator("#map-counts")
    assert await counts.inner_text() == "1 dijawab · 39 kosong · 1 ditandai"
    await page.click("#map summary")
    await page.wait_for_selector("#grid", state="visible")
    # a flag is a sign in the button (not a 4-px line), explained by the key
    first = page.locator("#grid button").first
    assert "⚑" in await first.inner_text()
    assert "ditandai" in (await first.get_attribute("aria-label") or "")
    assert "ditandai" in await page.inner_text(".legend")
    await page.click(".filters button[data-filter=flagged]")
    assert await page.locator("#grid button:visible").count() == 1
    await page.click(".filters button[data-filter=blank]")
    assert await page.locator("#grid button:visible").count() == 39
    await shot(page, "student-map-phone")
    await page.click(".filters button[data-filter=all]")
    await page.click("#grid button >> nth=9")
    await page.wait_for_selector("#q-label:has-text('Soal 10 dari 40')")
    assert await number_in_sight(page)

    # offline: the header stays one line on a 360-px screen
    await context.set_offline(True)
    await pick(page)
    await page.wait_for_selector("#net.off")
    heights = await page.evaluate(
        """() => {
          const line = parseFloat(getComputedStyle(document.querySelector('#net')).lineHeight);
          return [document.querySelector('header.bar').getBoundingClientRect().height,
                  document.querySelector('#net').getBoundingClientRect().height, line];
        }"""
    )
    bar, net, line = heights
    assert net <= line * 1.2 and bar < 64, heights
    assert "1" in await page.inner_text("#net")  # how many wait on the device, in one line
    await shot(page, "student-offline-phone")
    await context.set_offline(False)
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)
    await context.close()
