"""Maths everywhere a question puts it (problem 4): powers in a dropdown read x³ (an <option>
holds no markup), a pmatrix is a matrix, a wide formula scrolls with a hint, and a browser
that cannot draw MathML (or a reader who asks for text) gets readable linear text."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import new_school, phone, shot, start

WIDE = " + ".join(f"\\frac{{x^{{{n}}}}}{{{n}!}}" for n in range(1, 16))
ITEMS: list[dict[str, Any]] = [
    {
        "kind": "matching",
        "stem": "Pasangkan bentuknya",
        "sources": [{"id": "s1", "text": "x · x · x"}, {"id": "s2", "text": "x · x"}],
        "targets": [{"id": "t1", "text": "\\(x^3\\)"}, {"id": "t2", "text": "\\(x_1^2\\)"}],
        "pairs": [["s1", "t1"], ["s2", "t2"]],
    },
    {
        "kind": "single_choice",
        "stem": "<p>Determinan dari "
        "$$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$$ adalah</p>",
        "correct": "a",
        "options": [{"id": "a", "text": "\\(-2\\)"}, {"id": "b", "text": "\\(\\sqrt{10}\\)"}],
    },
    {
        "kind": "single_choice",
        "stem": f"<p>Deret $$e^x \\approx 1 + {WIDE}$$</p>",
        "correct": "a",
        "options": [{"id": "a", "text": "benar"}, {"id": "b", "text": "salah"}],
    },
]


async def to_kind(page: Page, predicate: str) -> None:
    for _ in range(3):
        if await page.locator(f"section.item{predicate}").count():
            return
        await page.click("#next")
    raise AssertionError(predicate)


async def test_powers_in_dropdowns_matrices_and_wide_formulas(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 2)
    exam_id, _ = await school.exam(ITEMS, shuffle=False)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)

    await to_kind(page, "[data-kind=matching]")
    options = await page.locator("section.item select >> nth=0").locator("option").all_inner_texts()
    assert "x³" in options and "x₁²" in options, options

    await page.click("#next")
    table = page.locator("section.item .stem math mtable")
    assert await table.count() == 1
    assert await table.locator("mtr").count() == 2
    assert await table.locator("mtd").count() == 4
    assert "begin" not in await page.inner_text("section.item .stem")
    await shot(page, "student-maths-matrix-phone")

    await page.click("#next")
    wide = page.locator("section.item .math-scroll.wide")
    await wide.wait_for()
    assert await wide.get_attribute("tabindex") == "0"
    assert await page.locator("section.item .scroll-hint").is_visible()
    assert "Geser" in await page.inner_text("section.item .scroll-hint")
    sizes = await wide.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert sizes[0] > sizes[1]
    await shot(page, "student-maths-wide-phone")
    await context.close()

    # maths as text: what a browser without MathML shows (a reader may choose it, too)
    context = await phone(browser)
    await context.add_init_script("localStorage.setItem('uj.math', 'text')")
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)
    await page.click("#next")
    assert await page.locator("section.item math").count() == 0
    stem = await page.inner_text("section.item .stem")
    assert "[1, 2; 3, 4]" in stem, stem
    assert "√10" in await page.inner_text("section.item fieldset")
    await shot(page, "student-maths-text-phone")
    await context.close()
