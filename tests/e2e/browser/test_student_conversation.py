"""The page's conversation with the server (engine/integrity/conversation.py), counted in a real
browser: in a steady period the page sends an answer batch when the student answers, else one
heartbeat 30 s after its last request, and nothing else (no timer sync, no telemetry request);
its pending telemetry rides on whichever goes and reaches the integrity store; the clock it
shows follows the server's, and a teacher's extra time and pause reach it through the
heartbeat. The page's timers run on Playwright's clock, so minutes pass in moments."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Browser, Page, Request

from tests.e2e.browser.conftest import Seed, token
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, pick, start


def _sitting_path(request: Request) -> str:
    """``answers``, ``heartbeat``, ``paper``...: what the page asked of the sitting."""
    tail = request.url.split("/v1/sittings/", 1)[1].split("/", 1)
    return tail[1].split("?")[0] if len(tail) > 1 else ""


async def _shown(page: Page) -> int:
    return int(str(await page.get_attribute("#timer", "data-remaining-ms")))


async def _after(page: Page, path: str, run: Any) -> Any:
    """Run ``run()`` and wait for the page's next request to ``path`` to be answered."""
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/" + path)) as info:
        await run()
    return await info.value


async def _telemetry_types(database_url: str, sitting: str, want: set[str]) -> list[str]:
    """The sitting's telemetry as stored in PostgreSQL (the API runs the consumers), once every
    type in ``want`` is there."""
    conn = await asyncpg.connect(database_url)
    try:
        for _ in range(300):
            rows = await conn.fetch(
                "SELECT type FROM telemetry_log WHERE sitting_id = $1 "
                "ORDER BY session, batch_seq, idx",
                uuid.UUID(sitting),
            )
            found = [r["type"] for r in rows]
            if want <= set(found):
                return found
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise AssertionError(f"telemetry {sorted(want)} not stored; found {found}")


async def test_a_steady_period_is_answer_batches_and_heartbeats_only(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(6), limit_s=3600)
    context = await phone(browser)
    await context.clock.install()
    page = await context.new_page()
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r) if "/v1/sittings/" in r.url else None)
    await start(page, web.base, school.student(), exam_id)
    sitting = await page.evaluate("JSON.parse(localStorage.getItem('uj.sitting'))")
    # the student answers: the batch carries what the page saw since it opened the paper
    await page.dispatch_event("section.item", "contextmenu")
    reply = await _after(page, "answers", lambda: pick(page))
    body = json.loads(reply.request.post_data or "{}")
    assert [e["seq"] for e in body["events"]] == [1]
    carried = [e["type"] for e in body["telemetry"]["events"]]
    assert {"device", "focus", "context_menu"} <= set(carried), carried
    assert (await reply.json())["telemetry"]["accepted"] == len(carried)

    # four idle minutes of the page's time: one heartbeat every 30 s, nothing else
    requests.clear()
    beats = []
    for _ in range(8):
        beats.append(await _after(page, "heartbeat", lambda: page.clock.run_for(30_000)))
    assert [_sitting_path(r) for r in requests] == ["heartbeat"] * 8
    clock = await beats[-1].json()
    assert clock["state"] == "active" and clock["grace_ms"] == 30_000
    # each carried the page's 30 s heartbeat event (its telemetry, as the page always sent)
    for beat in beats:
        sent = json.loads(beat.request.post_data or "{}")
        assert [e["type"] for e in sent["telemetry"]["events"]] == ["heartbeat"]
    batches = {json.loads(b.request.post_data or "{}")["telemetry"]["batch_seq"] for b in beats}
    assert len(batches) == 8
    for beat in beats:  # each batch taken once (on this clock, see below)
        taken = (await beat.json())["telemetry"]
        assert not taken["duplicate"] and taken["accepted"] + taken["dropped_clock"] == 1

    # answering resets the heartbeat: none goes while answers do, one 30 s after the last
    requests.clear()
    await page.clock.run_for(20_000)
    await page.click("#next")
    await _after(page, "answers", lambda: pick(page, 1))
    await page.clock.run_for(20_000)
    await asyncio.sleep(0.3)
    assert [_sitting_path(r) for r in requests] == ["answers"]
    await _after(page, "heartbeat", lambda: page.clock.run_for(10_500))
    assert [_sitting_path(r) for r in requests] == ["answers", "heartbeat"]

    # what went through the answer batch and the heartbeats is in the integrity store: every
    # batch (each stored with the address the server saw, one "ip" row), and its events. Here
    # the page's clock runs a hundred times faster than the server's, so admission drops, as
    # designed, a heartbeat event that would land before the page's previous one on the
    # server's clock (dropped_clock above); on a real clock each is kept
    stored = await _telemetry_types(
        database_url, sitting, {"device", "focus", "context_menu", "heartbeat"}
    )
    assert stored.count("ip") >= 1 + 8 + 1, stored
    await context.close()


async def test_extra_time_and_a_pause_reach_the_page_through_the_heartbeat(
    browser: Browser, web: Seed, database_url: str
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(3), limit_s=1800)
    context = await phone(browser)
    await context.clock.install()
    page = await context.new_page()
    await start(page, web.base, school.student(), exam_id)
    sitting = await page.evaluate("JSON.parse(localStorage.getItem('uj.sitting'))")
    auth = await page.evaluate("JSON.parse(localStorage.getItem('uj.auth'))")
    student = {"Authorization": f"Bearer {auth['access_token']}"}
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as http:
        teacher = await token(http, school.teacher)

        async def server_left() -> int:
            r = await http.get(f"/v1/sittings/{sitting}/timer", headers=student)
            return int(r.json()["remaining_ms"])

        assert 1_790_000 < await _shown(page) <= 1_800_000
        r = await http.post(
            f"/v1/sittings/{sitting}/extra-time", headers=teacher, json={"seconds": 600}
        )
        assert r.status_code == 200, r.text
        # the page knows nothing of it until its next request: the heartbeat, 30 s on
        await _after(page, "heartbeat", lambda: page.clock.run_for(30_000))
        await page.wait_for_function(
            "() => Number(document.querySelector('#timer').dataset.remainingMs) > 2300000"
        )
        assert abs(await _shown(page) - await server_left()) < 3000

        r = await http.post(f"/v1/sittings/{sitting}/pause", headers=teacher)
        assert r.status_code == 200, r.text
        await _after(page, "heartbeat", lambda: page.clock.run_for(30_000))
        await page.wait_for_selector("#alert:has-text('Pengawas menghentikan ujian sementara')")
        still = await _shown(page)
        # paused: the clock stands still, and the page asks every 5 s whether it runs again
        await _after(page, "heartbeat", lambda: page.clock.run_for(5_000))
        assert await _shown(page) == still
        r = await http.post(f"/v1/sittings/{sitting}/resume", headers=teacher)
        assert r.status_code == 200, r.text
        await _after(page, "heartbeat", lambda: page.clock.run_for(5_000))
        await page.wait_for_selector("#alert", state="hidden")
        await page.clock.run_for(2_000)
        assert await _shown(page) < still
        assert abs(await _shown(page) - await server_left()) < 5000
    await context.close()
