"""Indonesian first, English second (problem 2): the page speaks the browser's language (else
Indonesian) with a switch, marks it with `lang`, shows the server's problems in it, and writes
dates in the school's zone and numbers in the reader's locale."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.e2e.browser.conftest import PASSWORD, Seed
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, shot


async def test_indonesian_by_default_english_on_request_and_a_switch(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(2), limit_s=5400)
    student = school.student()

    # a browser that asks for neither language: Indonesian
    context = await phone(browser, locale="fr-FR")
    page = await context.new_page()
    await page.goto(web.base + "/")
    await page.wait_for_selector("#signin")
    assert await page.get_attribute("html", "lang") == "id"
    assert await page.inner_text("label[for=username]") == "Nama pengguna"
    # the server's problem document comes back in the page's language
    await page.fill("#username", student)
    await page.fill("#password", "not the password")
    await page.click("#signin")
    await page.wait_for_selector("p.err:has-text('Nama pengguna atau kata sandi salah')")
    await shot(page, "student-signin-error-phone")

    await page.fill("#password", PASSWORD)
    await page.click("#signin")
    await page.wait_for_selector(f"button[data-exam='{exam_id}']")
    meta = await page.inner_text(f"li:has(button[data-exam='{exam_id}']) p.muted")
    assert "90 menit · 2 soal" in meta and "WIB" in meta  # the school's zone, named
    await shot(page, "student-exams-phone")

    # the switch: English at once, remembered on this device
    await page.click("#langs button[lang=en]")
    await page.wait_for_selector("h1:has-text('Your exams')")
    assert await page.get_attribute("html", "lang") == "en"
    assert "90 minutes · 2 questions" in await page.inner_text(
        f"li:has(button[data-exam='{exam_id}']) p.muted"
    )
    await page.reload()
    await page.wait_for_selector("h1:has-text('Your exams')")
    assert await page.get_attribute("html", "lang") == "en"
    await context.close()

    # an English browser: English from the start
    context = await phone(browser, locale="en-GB")
    page = await context.new_page()
    await page.goto(web.base + "/")
    await page.wait_for_selector("#signin")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.inner_text("label[for=username]") == "Username"
    await context.close()
