"""The deadline and grace rules, tested where they live: in the sitting scripts, inside Redis.

Each script reads the clock once, with ``redis.call('TIME')``. Here that one call is replaced by
a read of a test key, so the test sets the time to the millisecond; every other line is the
production script, loaded from the package and driven through ``SittingStore``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.redis_adapter import replies
from engine.redis_adapter.connections import PipelinedRedis
from engine.redis_adapter.keys import KeySpace
from engine.redis_adapter.scripts import lua_source
from engine.services import Services
from engine.sittings.models import AnswerEvent
from engine.sittings.store import SittingStore

CLOCK = "ujian-test:{clock}:ms"
TIME_CALL = "redis.call('TIME')"
CONTROLLED = (
    "(function() local ms = tonumber(redis.call('GET', '" + CLOCK + "')) "
    "return {math.floor(ms / 1000), (ms % 1000) * 1000} end)()"
)
SCRIPTS = ("start", "answer", "submit", "view")

LIMIT_MS, GRACE_MS = 60_000, 5_000


def with_controlled_clock(source: str) -> str:
    assert source.count(TIME_CALL) == 1, "each script reads the clock exactly once"
    return source.replace(TIME_CALL, CONTROLLED)


class Clocked:
    """A SittingStore whose scripts read the test's clock."""

    def __init__(self, redis: Any, namespace: str, pipelined: PipelinedRedis) -> None:
        self.redis = redis
        # the process's shared connection, closed with it: a store of its own would open one
        # per test and leave it open
        self.store = SittingStore(redis, KeySpace(namespace, 4), pipelined)
        for name in SCRIPTS:
            script = redis.register_script(with_controlled_clock(lua_source(name)))
            setattr(self.store, f"_{name}", script)

    async def at(self, ms: int) -> None:
        await self.redis.set(CLOCK, ms)

    async def start(
        self, sitting: uuid.UUID, opens: int, closes: int, extra: int = 0
    ) -> replies.StartReply:
        return await self.store.start(
            sitting,
            exam_version_id="v1",
            student_id="s1",
            limit_ms=LIMIT_MS,
            extra_ms=extra,
            window_open_ms=opens,
            window_close_ms=closes,
            grace_ms=GRACE_MS,
        )

    async def answer(self, sitting: uuid.UUID, seq: int) -> replies.AnswerReply:
        event = AnswerEvent(seq=seq, item="i1", response=None)
        return await self.store.record_answers(sitting, "s1", [event])


@pytest.fixture
async def clocked(svc: Services) -> AsyncIterator[Clocked]:
    namespace = f"deadline-test-{uuid.uuid4().hex[:8]}"
    yield Clocked(svc.redis, namespace, svc.pipelined)
    keys = [k async for k in svc.redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await svc.redis.delete(*keys)
    await svc.redis.delete(CLOCK)


async def test_the_window_opens_and_closes_to_the_millisecond(clocked: Clocked) -> None:
    opens, closes = 1_000_000, 2_000_000
    sitting = uuid.uuid4()
    await clocked.at(opens - 1)
    assert (await clocked.start(sitting, opens, closes)).state == "exam_not_open"
    await clocked.at(closes)
    assert (await clocked.start(sitting, opens, closes)).state == "exam_closed"
    await clocked.at(opens)
    reply = await clocked.start(sitting, opens, closes)
    assert (reply.state, reply.started_ms, reply.deadline_ms) == ("active", opens, opens + LIMIT_MS)


async def test_the_window_close_cuts_the_time_limit_and_extra_time(clocked: Clocked) -> None:
    sitting = uuid.uuid4()
    await clocked.at(1_000_000)
    reply = await clocked.start(sitting, 0, 1_030_000, extra=90_000)
    assert reply.deadline_ms == 1_030_000
    # the sweeper's schedule is the deadline plus the grace period
    k = clocked.store.keys.for_sitting(sitting)
    assert await clocked.redis.zscore(k.deadlines, str(sitting)) == 1_030_000 + GRACE_MS


async def test_answers_are_kept_until_deadline_plus_grace_and_not_a_millisecond_after(
    clocked: Clocked,
) -> None:
    sitting = uuid.uuid4()
    await clocked.at(10_000)
    deadline = (await clocked.start(sitting, 0, 10**9)).deadline_ms
    await clocked.at(deadline + GRACE_MS)
    kept = await clocked.answer(sitting, 1)
    assert (kept.status, kept.acked_seq, kept.remaining_ms) == ("ok", 1, -GRACE_MS)
    await clocked.at(deadline + GRACE_MS + 1)
    late = await clocked.answer(sitting, 2)
    assert (late.status, late.acked_seq) == ("time_expired", 1)
    stored = await clocked.redis.hget(clocked.store.keys.for_sitting(sitting).session, "last_seq")
    assert stored == b"1"


async def test_the_sweeper_submits_at_deadline_plus_grace_dated_at_the_deadline(
    clocked: Clocked,
) -> None:
    sitting = uuid.uuid4()
    await clocked.at(50_000)
    deadline = (await clocked.start(sitting, 0, 10**9)).deadline_ms
    await clocked.at(deadline + GRACE_MS - 1)
    assert (await clocked.store.submit(sitting, "", "deadline")).state == "not_due"
    await clocked.at(deadline + GRACE_MS + 700)
    swept = await clocked.store.submit(sitting, "", "deadline")
    assert (swept.state, swept.submitted_ms) == ("submitted", deadline)


async def test_a_student_submits_at_the_moment_they_press(clocked: Clocked) -> None:
    sitting = uuid.uuid4()
    await clocked.at(50_000)
    await clocked.start(sitting, 0, 10**9)
    await clocked.at(61_234)
    assert (await clocked.store.submit(sitting, "s1", "student")).submitted_ms == 61_234


async def test_the_timer_reads_the_script_clock(clocked: Clocked) -> None:
    sitting = uuid.uuid4()
    await clocked.at(7_000)
    deadline = (await clocked.start(sitting, 0, 10**9)).deadline_ms
    await clocked.at(8_500)
    view = await clocked.store.view(sitting, with_answers=False)
    assert view is not None
    assert (view.now_ms, view.deadline_ms - view.now_ms) == (8_500, deadline - 8_500)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    started=st.integers(0, 10**12),
    extra=st.integers(0, 3_600_000),
    close_after=st.integers(1, 10_000_000),
    answer_after=st.integers(0, 20_000_000),
)
async def test_an_answer_is_accepted_exactly_while_now_is_within_deadline_plus_grace(
    clocked: Clocked, started: int, extra: int, close_after: int, answer_after: int
) -> None:
    sitting = uuid.uuid4()
    await clocked.at(started)
    reply = await clocked.start(sitting, started, started + close_after, extra=extra)
    deadline = min(started + LIMIT_MS + extra, started + close_after)
    assert (reply.state, reply.deadline_ms) == ("active", deadline)
    await clocked.at(started + answer_after)
    answered = await clocked.answer(sitting, 1)
    expected = "ok" if started + answer_after <= deadline + GRACE_MS else "time_expired"
    assert answered.status == expected
    assert answered.remaining_ms == deadline - (started + answer_after)
