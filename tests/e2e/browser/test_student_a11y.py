"""Accessibility of every student screen: an axe-core scan (axe-playwright-python bundles it)
with no serious or critical violation, a focus ring of at least 3:1 against what surrounds it,
and text at 200 % without loss. Every screen is saved at 360×740 and 1366×768."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.e2e.browser.conftest import PASSWORD, Seed
from tests.e2e.browser.student_helpers import LAPTOP, PHONE, new_school, shot

AXE = Axe()
ITEMS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "stem": "<p>Berapakah \\(\\frac{1}{2} + \\frac{1}{4}\\)?</p>",
        "correct": "b",
        "options": [
            {"id": "a", "text": "\\(\\frac{2}{6}\\)"},
            {"id": "b", "text": "\\(\\frac{3}{4}\\)"},
        ],
        "explanation": "<p>Samakan penyebutnya: \\(\\frac{2}{4} + \\frac{1}{4}\\).</p>",
    },
    {"kind": "numeric", "stem": "$$\\sqrt{49} = ?$$", "value": 7, "unit": "cm"},
    {
        "kind": "true_false",
        "stem": "<p>Danau Toba ada di Sumatra.</p>",
        "correct": True,
        "stimulus": {
            "id": "danau-toba",
            "title": "Danau Toba",
            "body": "<h2>Danau Toba</h2><p>Danau vulkanik terbesar di Asia Tenggara.</p>",
        },
    },
    {
        "kind": "numeric",
        "stem": "Berapa pH air jeruk lemon?",
        "value": 2.5,
        "slider": {"lower_bound": 0, "upper_bound": 14, "step": 0.5, "step_label": True},
    },
    {
        "kind": "single_choice",
        "stem": "<p>Pilih kata yang salah eja.</p>",
        "correct": "b",
        "options": [{"id": "a", "text": "sekolah"}, {"id": "b", "text": "<em>peljaran</em>"}],
        "hottext": {"passage": "<p>Di {{a}} kami, {{b}} pertama adalah matematika.</p>"},
    },
    {
        "kind": "ordering",
        "stem": "Urutkan dari yang terkecil",
        "correct": ["a", "b", "c"],
        "options": [
            {"id": "a", "text": "1"},
            {"id": "b", "text": "10"},
            {"id": "c", "text": "100"},
        ],
    },
    {
        "kind": "matching",
        "stem": "Pasangkan ibu kotanya",
        "sources": [{"id": "s1", "text": "Jakarta"}, {"id": "s2", "text": "Tokyo"}],
        "targets": [{"id": "t1", "text": "Indonesia"}, {"id": "t2", "text": "Jepang"}],
        "pairs": [["s1", "t1"], ["s2", "t2"]],
    },
    {
        "kind": "matching",
        "stem": "<p>Lengkapi: Jakarta di pulau {{g1}}, Denpasar di pulau {{g2}}.</p>",
        "sources": [
            {"id": "jawa", "text": "Jawa"},
            {"id": "bali", "text": "Bali"},
            {"id": "papua", "text": "Papua"},
        ],
        "targets": [{"id": "g1", "text": "1"}, {"id": "g2", "text": "2"}],
        "pairs": [["jawa", "g1"], ["bali", "g2"]],
        "gap_match": {},
    },
    {
        "kind": "matching",
        "stem": "<p>Pasangkan setiap tokoh dengan lawannya.</p>",
        "sources": [
            {"id": "a", "text": "Arjuna"},
            {"id": "k", "text": "Karna"},
            {"id": "r", "text": "Rama"},
            {"id": "w", "text": "Rahwana"},
        ],
        "targets": [{"id": "a", "text": "Arjuna"}, {"id": "k", "text": "Karna"}],
        "pairs": [["a", "k"], ["w", "r"]],
        "associate": {"max_associations": 2},
    },
    {
        "kind": "ordering",
        "stem": "<p>Urutkan kota dari barat ke timur.</p>",
        "options": [{"id": "m", "text": "Medan"}, {"id": "j", "text": "Jayapura"}],
        "correct": ["m", "j"],
        "graphic": {
            "image": "https://media.example.org/peta.png",
            "width": 300,
            "height": 100,
            "alt": "Peta Indonesia",
            "hotspots": {
                "m": {"shape": "circle", "coords": [20, 30, 6]},
                "j": {"shape": "rect", "coords": [270, 40, 290, 60]},
            },
        },
    },
    {
        "kind": "multiple_response",
        "stem": "<p>Pilih kota di Sumatra.</p>",
        "options": [{"id": "m", "text": "Medan"}, {"id": "j", "text": "Jayapura"}],
        "correct": ["m"],
        "graphic": {
            "image": "https://media.example.org/peta.png",
            "width": 300,
            "height": 100,
            "alt": "Peta Indonesia",
            "max_choices": 1,
            "hotspots": {
                "m": {"shape": "circle", "coords": [20, 30, 6]},
                "j": {"shape": "rect", "coords": [270, 40, 290, 60]},
            },
        },
    },
    {
        "kind": "cloze",
        "stem": "<p>Bali ada di {{b1}}; 6 × 7 = {{b2}}.</p>",
        "blanks": {
            "b1": {
                "kind": "single_choice",
                "correct": "x",
                "options": [{"id": "x", "text": "Indonesia"}, {"id": "y", "text": "Peru"}],
            },
            "b2": {"kind": "numeric", "value": 42},
        },
    },
    {"kind": "essay", "stem": "Ceritakan sekolahmu dalam beberapa kalimat."},
]


async def scan(page: Page, screen: str) -> None:
    results = await AXE.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], (screen, bad)


def contrast(a: list[float], b: list[float]) -> float:
    def luminance(rgb: list[float]) -> float:
        c = [x / 255 for x in rgb[:3]]
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


RGB = """(css) => { const m = css.match(/[\\d.]+/g).map(Number); return m.slice(0, 3); }"""


async def focus_ring_contrast(page: Page, selector: str) -> float:
    """The ring's colour against the page behind it (the ring sits outside the control)."""
    await page.focus(selector)
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    ring = await page.eval_on_selector(selector, "e => getComputedStyle(e).outlineColor")
    behind = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    width = await page.eval_on_selector(selector, "e => getComputedStyle(e).outlineWidth")
    assert float(width.rstrip("px")) >= 2
    ring_rgb = await page.evaluate(RGB, ring)
    behind_rgb = await page.evaluate(RGB, behind)
    if behind.endswith(", 0)"):  # transparent body: the canvas is white
        behind_rgb = [255, 255, 255]
    return contrast(ring_rgb, behind_rgb)


async def text_at_200_percent(page: Page, screen: str, picture: str) -> None:
    """Text twice as large: nothing sticks out sideways, no control's words are cut."""
    await page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    lost = await page.evaluate(
        """() => {
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                         && !e.closest('.stem, .math-scroll, #grid'))
            .map(e => e.tagName + '#' + e.id + '.' + e.className);
          const cut = [...document.querySelectorAll('button, h1, h2, p, label')]
            .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1
                         && getComputedStyle(e).overflowX !== 'auto')
            .map(e => e.id || e.textContent.slice(0, 30));
          return {wide, cut};
        }"""
    )
    assert lost == {"wide": [], "cut": []}, (screen, lost)
    await shot(page, picture)
    await page.evaluate("() => { document.documentElement.style.fontSize = ''; }")


@pytest.mark.parametrize("size", ["phone", "laptop"])
async def test_every_student_screen_passes_axe_and_keeps_its_focus_ring(
    browser: Browser, web: Seed, database_url: str, size: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(ITEMS, shuffle=False)
    viewport = PHONE if size == "phone" else LAPTOP
    context = await browser.new_context(viewport=viewport, locale="id-ID")
    page = await context.new_page()
    await page.goto(web.base + "/")
    await page.wait_for_selector("#signin")
    await scan(page, "sign-in")
    await shot(page, f"a11y-signin-{size}")
    assert await focus_ring_contrast(page, "#signin") >= 3

    await page.click("#tab-card")
    await scan(page, "sign-in with a card")
    await page.click("#tab-password")
    await page.fill("#username", school.student())
    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.wait_for_selector(f"button[data-exam='{exam_id}']")
    await scan(page, "exam list")
    await shot(page, f"a11y-exams-{size}")
    await page.click(f"button[data-exam='{exam_id}']")
    await page.wait_for_selector("section.item")
    for n in range(len(ITEMS)):
        kind = await page.get_attribute("section.item", "data-kind")
        await scan(page, f"question {n + 1} ({kind})")
        await shot(page, f"a11y-item-{kind}-{size}")
        if n < len(ITEMS) - 1:
            await page.click("#next")
    assert await focus_ring_contrast(page, "#prev") >= 3
    await page.locator("section.item textarea").fill("Sekolah kami kecil dan ramah.")
    await page.locator("section.item textarea").press("Tab")
    await page.click("#flag")
    if await page.locator("#map").get_attribute("open") is None:
        await page.click("#map summary")
    await page.click(".filters button[data-filter=blank]")
    await scan(page, "question map, blank only")
    await text_at_200_percent(page, "question and map", f"a11y-map-200pct-{size}")
    await shot(page, f"a11y-map-{size}")

    await context.set_offline(True)
    await page.click("#flag")
    await page.wait_for_selector("#net.off")
    await scan(page, "offline")
    await context.set_offline(False)
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')", timeout=30_000)

    await page.click("#submit")
    await page.wait_for_selector("#sub-h")
    await scan(page, "submit summary")
    await shot(page, f"a11y-submit-{size}")
    await page.click("#confirm-submit")
    await page.wait_for_selector("#review", timeout=30_000)
    await scan(page, "result and review")
    await shot(page, f"a11y-review-{size}")
    await page.click("#langs button[lang=en]")
    await page.wait_for_selector("#review-h:has-text('Review')")
    await scan(page, "result and review in English")

    # text at 200 %: nothing cut off, no sideways scrolling of the page
    await page.click("#main button:has-text('Back to my exams')")
    await page.wait_for_selector(f"button[data-exam='{exam_id}']")
    await text_at_200_percent(page, "exam list", f"a11y-exams-200pct-{size}")
    await context.close()
