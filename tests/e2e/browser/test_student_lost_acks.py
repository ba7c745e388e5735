"""The page against a server that lost acknowledged answers (a Redis failover with durability
``none``, an AOF ``everysec`` crash: docs/adr/0019-acknowledged-means-replicated.md): the loss
is made for real in Redis (the sitting's last seq, latest answers and answer-stream entries as
they were before the lost batch), so the answer script's acked_seq goes back. The page puts
the lost answers back in its queue and sends them again, says "saved" only once the server
holds them, and sends a handful of requests, not a spin. A 429 with Retry-After is waited out.
The page's timers run on Playwright's clock."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis
from playwright.async_api import Browser, Page, Request

from tests.conftest import ServerUrls
from tests.e2e.browser.conftest import Seed
from tests.e2e.browser.student_helpers import choice_items, new_school, phone, pick, start

ALL_SAVED = "Semua jawaban tersimpan"


async def _keys(r: aioredis.Redis, sitting: str) -> tuple[str, str, str]:
    """The sitting's session and latest-answers hashes and its shard's answer stream
    (engine/redis_adapter/keys.py), whatever namespace the server runs under."""
    [session] = [k.decode() async for k in r.scan_iter(match=f"*:s:{sitting}")]
    prefix = session.rsplit(":s:", 1)[0]
    return session, f"{prefix}:a:{sitting}", f"{prefix}:answers"


async def _lose_after(r: aioredis.Redis, sitting: str, kept: int, gone: list[str]) -> None:
    """The server forgets every event of the sitting past seq ``kept``, as a lost write looks:
    its last seq, the latest answers of ``gone`` (the items answered only past it) and the
    answer-stream entries still there that carried those events."""
    session, answers, stream = await _keys(r, sitting)
    for entry_id, fields in await r.xrange(stream):
        if fields[b"s"].decode() == sitting and any(
            e["seq"] > kept for e in json.loads(fields[b"e"])
        ):
            await r.xdel(stream, entry_id)
    await r.hdel(answers, *gone)
    await r.hset(session, "last_seq", kept)


async def _held(r: aioredis.Redis, sitting: str) -> set[str]:
    _, answers, _ = await _keys(r, sitting)
    return {k.decode() for k in await r.hkeys(answers)}


async def _net(page: Page) -> str:
    return str(await page.text_content("#net"))


async def _all_saved(page: Page) -> None:
    await page.wait_for_function(
        "(s) => document.querySelector('#net').textContent === s", arg=ALL_SAVED
    )
    queued = "JSON.parse(localStorage.getItem('uj.q.' + arg)).queue.length"
    assert await page.evaluate(f"(arg) => {queued}", await _sitting(page)) == 0


async def _order(page: Page) -> list[str]:
    """The item ids in the order the page shows them (a paper may be shuffled)."""
    paper = "JSON.parse(localStorage.getItem('uj.p.' + arg))"
    ids = f"{paper}.sections.flatMap(s => s.items.map(i => i.id))"
    return list(await page.evaluate(f"(arg) => {ids}", await _sitting(page)))


async def _sitting(page: Page) -> str:
    return str(await page.evaluate("JSON.parse(localStorage.getItem('uj.sitting'))"))


async def _answer(page: Page, n: int) -> None:
    """Answer the item shown, then go to the next."""
    async with page.expect_response(lambda x: x.url.endswith("/answers")):
        await pick(page, n % 3)
    if await page.locator("#next").count():
        await page.click("#next")


async def test_lost_answers_are_sent_again_and_saved_without_a_spin(
    browser: Browser, web: Seed, database_url: str, server_urls: ServerUrls
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(6), limit_s=3600)
    context = await phone(browser)
    await context.clock.install()
    page = await context.new_page()
    sent: list[Request] = []
    page.on("request", lambda q: sent.append(q) if q.url.endswith("/answers") else None)
    await start(page, web.base, school.student(), exam_id)
    sitting = await _sitting(page)
    items = await _order(page)
    r = aioredis.from_url(server_urls.redis)
    try:
        for n in range(4):  # seqs 1-4, each acknowledged
            await _answer(page, n)
        await _all_saved(page)
        assert await _held(r, sitting) == set(items[:4])

        # a loss with nothing queued: the heartbeat's acked_seq tells the page
        await _lose_after(r, sitting, 2, items[2:4])
        sent.clear()
        # the heartbeat goes, finds the loss, and the page sends the lost answers again (the
        # status may still read saved until that heartbeat's reply is in: wait for the resend)
        async with page.expect_response(lambda x: x.url.endswith("/answers"), timeout=30_000):
            await page.clock.run_for(30_000)
        await _all_saved(page)
        assert await _held(r, sitting) == set(items[:4])
        assert len(sent) == 1, [q.post_data for q in sent]
        assert [e["item"] for e in json.loads(sent[0].post_data or "{}")["events"]] == items[2:4]

        # a loss found by the next batch: its 200 acknowledges less than the page had heard
        await _lose_after(r, sitting, 2, items[2:4])
        sent.clear()
        await _answer(page, 4)
        await _all_saved(page)
        assert await _held(r, sitting) == set(items[:5])
        # the batch that found the gap, then the lost answers with the new one
        bodies = [json.loads(q.post_data or "{}")["events"] for q in sent]
        assert len(bodies) == 2, bodies
        assert [e["seq"] for e in bodies[1]] == [3, 4, 5]
        # and no more: a minute of the page's time sends no answers
        await page.clock.run_for(60_000)
        await asyncio.sleep(0.3)
        assert len(sent) == 2
        assert await page.get_attribute("#item-status", "data-status") == "saved"
    finally:
        await r.aclose()
        await context.close()


async def test_a_429_waits_its_retry_after(
    browser: Browser, web: Seed, database_url: str, server_urls: ServerUrls
) -> None:
    school = await new_school(web, database_url, 1)
    exam_id, _ = await school.exam(choice_items(3), limit_s=3600)
    context = await phone(browser)
    await context.clock.install()
    page = await context.new_page()
    replies: list[tuple[float, int, Any]] = []

    async def note(resp: Any) -> None:
        if resp.url.endswith("/answers"):
            now = await page.evaluate("performance.now()")
            replies.append((now, resp.status, resp.headers.get("retry-after")))

    page.on("response", note)
    await start(page, web.base, school.student(), exam_id)
    sitting = await _sitting(page)
    items = await _order(page)
    r = aioredis.from_url(server_urls.redis)
    try:
        await _answer(page, 0)
        # the sitting's write budget spent well past empty (answer.lua's token bucket): the
        # script refuses the next batch for ~20 s, 429 answer_rate_limited with Retry-After
        session, _, _ = await _keys(r, sitting)
        now_ms = int((await r.time())[0]) * 1000
        await r.hset(session, mapping={"budget_at": now_ms, "budget_events": -400})
        replies.clear()
        await pick(page, 1)
        for _ in range(100):
            if replies:
                break
            await asyncio.sleep(0.05)
        at, status, wait = replies[0]
        assert status == 429 and wait is not None and int(wait) >= 15, replies
        assert await _net(page) != ALL_SAVED
        # the page's own timers (its 5 s sweep, a new answer) send nothing before that
        await page.click("#next")
        await pick(page, 2)
        await page.clock.run_for(int(wait) * 1000 - 1_000)
        await asyncio.sleep(0.3)
        assert len(replies) == 1, replies
        await r.hdel(session, "budget_at", "budget_events", "budget_bytes")  # refilled
        await page.clock.run_for(int(wait) * 200 + 2_000)  # the wait's jitter (<= 20 %)
        await _all_saved(page)
        assert replies[1][1] == 200 and replies[1][0] - at >= int(wait) * 1000 - 50, replies
        assert len(replies) == 2
        assert await _held(r, sitting) == set(items)
    finally:
        await r.aclose()
        await context.close()
