"""Live progress of an exam for its teachers: per school and class, who has signed in, started,
submitted, and who is online now.

The roster is every student the exam is meant for: the exam's own school and the assigned
schools, narrowed to the assigned classes where a school has class assignments (the same rule
``engine.sittings.access`` applies at start). Students who sat it without being on the
roster (e.g. a class changed afterwards) are counted too, so the numbers add up to the sittings.

*Signed in* is a student with a sitting or a refresh token issued since the window was about
to open (password sign-in issues one; an exam card sign-in does not, but a card is only used
to start). *Online now* is an active sitting whose session hash in Redis was touched (start,
answers, device claim, the page's heartbeat) within
``settings.online_window_s``, by the Redis clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

import msgspec

from engine.analytics import repository
from engine.analytics.scope import exam_scope
from engine.kernel.principal import Principal
from engine.ports import WithKeySpace, WithPool, WithRedis, WithSettings
from engine.redis_adapter.clock import server_now_ms
from engine.sittings.proctor_store import proctor_store


class Needs(WithKeySpace, WithPool, WithRedis, WithSettings, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


class Counts(msgspec.Struct, frozen=True):
    assigned: int = 0
    signed_in: int = 0
    started: int = 0
    submitted: int = 0
    online_now: int = 0
    graded: int = 0


class GroupProgress(msgspec.Struct, frozen=True):
    org_id: uuid.UUID
    org_name: str
    class_id: uuid.UUID | None
    class_name: str | None
    counts: Counts
    # mean percent score of the graded sittings of this group (None before any is graded)
    mean_percent: float | None


class ExamProgress(msgspec.Struct, frozen=True):
    exam_id: uuid.UUID
    window_open: datetime
    window_close: datetime
    server_time_ms: int
    online_window_s: int
    totals: Counts
    groups: list[GroupProgress]


def online_count(now_ms: int, last_seen_ms: list[int], window_s: int) -> int:
    """Sittings seen within the window (a clock step backwards still counts as seen)."""
    return sum(1 for seen in last_seen_ms if seen and now_ms - seen <= window_s * 1000)


def add_up(groups: list[GroupProgress]) -> Counts:
    fields = Counts.__struct_fields__
    return Counts(**{f: sum(getattr(g.counts, f) for g in groups) for f in fields})


async def exam_progress(svc: Needs, principal: Principal, exam_id: uuid.UUID) -> ExamProgress:
    scope = await exam_scope(svc.pool, principal, exam_id)
    early = float(svc.settings.card_early_s)
    async with svc.pool.acquire() as conn:
        rows = await repository.progress_by_group(conn, exam_id, scope.org_filter, early)
        window = await repository.exam_window(conn, exam_id)
    # exam_scope found the published version, whose window this is
    assert window is not None
    store = proctor_store(svc.redis, svc.keyspace)
    everyone: list[uuid.UUID] = [sid for r in rows for sid in r.active]
    now_ms, seats = await store.seats(everyone) if everyone else (0, [])
    seen = {
        sid: seat.last_seen_ms
        for sid, seat in zip(everyone, seats, strict=True)
        if seat.state == "active"
    }
    if not everyone:
        now_ms = await server_now_ms(svc.redis)
    groups = [
        GroupProgress(
            org_id=r.org_id,
            org_name=r.org_name,
            class_id=r.class_id,
            class_name=r.class_name,
            mean_percent=r.mean_percent,
            counts=Counts(
                assigned=r.assigned,
                signed_in=r.signed_in,
                started=r.started,
                submitted=r.submitted,
                graded=r.graded,
                online_now=online_count(
                    now_ms, [seen.get(s, 0) for s in r.active], svc.settings.online_window_s
                ),
            ),
        )
        for r in rows
    ]
    return ExamProgress(
        exam_id=exam_id,
        window_open=window.window_open,
        window_close=window.window_close,
        server_time_ms=now_ms,
        online_window_s=svc.settings.online_window_s,
        totals=add_up(groups),
        groups=groups,
    )
