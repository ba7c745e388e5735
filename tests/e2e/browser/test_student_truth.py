"""The page tells the truth about every answer (problem 1 of the pages' second pass): a student
answers two questions offline with 38 s left and comes back after the grace period. The page
warns while offline, takes nothing once time is up, and names both answers as not counted, on
the page and in the result; the header never says they are saved."""

from __future__ import annotations

import asyncio
import json

import httpx
from playwright.async_api import Browser

from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, pick, shot, start


async def test_answers_sent_too_late_are_named_and_never_called_saved(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(4), limit_s=60, grace_s=3)
    context = await phone(browser)
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)
    assert await page.get_attribute("html", "lang") == "id"
    await pick(page)
    await page.wait_for_selector("#net:has-text('Semua jawaban tersimpan')")
    assert "tersimpan" in await page.inner_text("#item-status")

    await page.wait_for_function(
        "() => Number(document.querySelector('#timer').dataset.remainingMs) <= 38000",
        timeout=60_000,
    )
    await context.set_offline(True)
    for n in (2, 3):
        await page.click("#next")
        await page.wait_for_selector(f"#q-label:has-text('Soal {n} dari 4')")
        await pick(page, 1)
    # offline in the last minutes: a warning with the time left and the items waiting
    await page.wait_for_selector("#warn:not([hidden])")
    warning = await page.inner_text("#warn")
    assert "waktu tersisa 0:" in warning and "Soal 2" in warning and "Soal 3" in warning
    assert await page.get_attribute("#item-status", "data-status") == "pending"
    assert "tersimpan" not in (await page.inner_text("#net")).lower()
    await shot(page, "student-offline-last-minute-phone")

    # time is up: nothing more is taken, the two answers are named while they may still arrive
    await page.wait_for_selector("#timeup-h", timeout=60_000)
    assert await page.locator("main input, main select, main textarea").count() == 0
    await page.wait_for_selector("#late-items", timeout=30_000)  # then grace passes
    late = await page.inner_text("#late-items")
    assert "Soal 2" in late and "Soal 3" in late and "Soal 1" not in late
    await shot(page, "student-time-up-late-phone")

    auth = json.loads(await page.evaluate("localStorage.getItem('uj.auth')"))
    sitting = json.loads(await page.evaluate("localStorage.getItem('uj.sitting')"))
    async with httpx.AsyncClient(base_url=web.base) as http:
        headers = {"Authorization": f"Bearer {auth['access_token']}"}
        for _ in range(100):  # the server's own clock past deadline + grace
            timer = (await http.get(f"/v1/sittings/{sitting}/timer", headers=headers)).json()
            if timer["server_time_ms"] > timer["deadline_ms"] + timer["grace_ms"]:
                break
            await asyncio.sleep(0.1)
        assert timer["grace_ms"] == 3000

    await context.set_offline(False)
    await page.wait_for_selector("#result-h", timeout=30_000)
    late = await page.inner_text("#late-items")
    assert "Soal 2" in late and "Soal 3" in late and "Soal 1" not in late
    assert "tersimpan" not in (await page.inner_text("#net")).lower()
    assert "2 jawaban tidak terkirim" in await page.inner_text("#net")
    await shot(page, "student-result-late-phone")
    async with httpx.AsyncClient(base_url=web.base) as http:
        for _ in range(100):  # the sweeper submits, the grader grades
            r = await http.get(f"/v1/sittings/{sitting}/result", headers=headers)
            if r.json()["result"] is not None:
                break
            await asyncio.sleep(0.2)
        statuses = [s["status"] for s in r.json()["result"]["items"].values()]
    # as the page said: only the first answer counted (two too late, one never answered)
    assert statuses.count("blank") == 3 and len(statuses) == 4
    await context.close()
