"""Lighter on the wire (problem 9): the paper comes gzipped, a reload fetches only the answers
and the clock (the questions are kept on the device: 304), an answer's reply stays small and
uncompressed, and once the exam is submitted the page stops calling the sitting's endpoints."""

from __future__ import annotations

from playwright.async_api import Browser, Response

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, pick, start


async def test_paper_compressed_kept_across_reloads_and_quiet_after_submit(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(40, "Soal nomor {i}: pilih jawaban yang tepat"))
    context = await phone(browser)
    page = await context.new_page()
    seen: list[Response] = []
    page.on("response", lambda r: seen.append(r))
    await start(page, web.base, school.student(), exam_id)
    await pick(page)
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')")

    def sitting_calls(suffix: str) -> list[Response]:
        return [
            r
            for r in seen
            if "/v1/sittings/" in r.url
            and r.url.split("/v1/sittings/")[1].split("/", 1)[-1].startswith(suffix)
        ]

    (paper,) = sitting_calls("paper")
    assert (await paper.all_headers()).get("content-encoding") == "gzip"
    answers = sitting_calls("answers")
    assert answers
    for reply in answers:  # the hot path: tiny replies, no compression work
        assert "content-encoding" not in await reply.all_headers()

    seen.clear()
    await page.reload()
    await page.wait_for_selector("section.item")
    calls = {r.url.split("/paper", 1)[1]: r.status for r in sitting_calls("paper")}
    assert calls == {"?content=omit": 200, "/content": 304}, calls
    (state,) = [r for r in sitting_calls("paper?content=omit")]
    assert len(await state.body()) < 1000  # the answers and the clock, not the questions
    assert await page.locator("#grid button.answered").count() == 1  # all still there

    await page.click("#submit")
    await page.click("#confirm-submit")
    await page.wait_for_selector("#review li[data-number='40']", timeout=30_000)
    seen.clear()
    # what used to make the page check in: focus changes, a hidden tab, the network returning
    await page.evaluate(
        """() => { window.dispatchEvent(new Event('blur'));
                   document.dispatchEvent(new Event('visibilitychange'));
                   window.dispatchEvent(new Event('online')); }"""
    )
    async with page.expect_response(lambda r: r.url.endswith("/v1/exams")):
        await page.click("#main button:has-text('Kembali ke daftar ujian')")
    assert [r.url for r in seen if "/v1/sittings/" in r.url] == []
    await context.close()
