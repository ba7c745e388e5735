"""A room hosts one session at a time, across events: an organiser allocating a second event
does not seat its students in a lab another event's session holds at that hour."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.integration.conftest import Api
from tests.integration.scheduling.conftest import World, event, forms, ok, rooms, session


async def _register(
    api: Api, w: World, event_id: str, class_id: object, sessions: list[str]
) -> None:
    await ok(
        await api.call(
            "POST",
            f"/v1/scheduling/events/{event_id}/registrations",
            w.a_admin,
            json={"class_id": str(class_id), "session_ids": sessions},
        ),
        201,
    )


async def _allocate(api: Api, w: World, event_id: str) -> dict[str, Any]:
    report: dict[str, Any] = await ok(
        await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin)
    )
    return report


async def test_a_lab_held_by_another_events_session_is_not_given_twice(
    api: Api, world: World
) -> None:
    w = world
    await rooms(api, w)  # school A: Lab 1 (4 seats) and Lab 2 (3)
    (f1,) = await forms(api, w.admin, 1)
    first = await event(api, w.admin)
    morning = await session(api, w.admin, first, [f1], starts_in_s=3600, minutes=90)
    await _register(api, w, first, w.class_a1, [morning["id"]])
    # class a1's five students take both labs for the morning
    assert (await _allocate(api, w, first))["placed"] == 5

    second = await event(api, w.admin)
    overlapping = await session(api, w.admin, second, [f1], starts_in_s=5400, minutes=90)
    await _register(api, w, second, w.class_a2, [overlapping["id"]])
    report = await _allocate(api, w, second)
    # both labs are in use until the morning session ends: nobody is seated, and each of the
    # six students is reported without a seat rather than given one already taken
    assert report["placed"] == 0
    assert Counter(u["reason"] for u in report["unplaced"]) == {"no_seat": len(w.a2)}

    # from the morning session's end the labs are free again (the second event's session holds
    # none, having seated nobody): a later session seats the morning's class once more
    third = await event(api, w.admin)
    later = await session(api, w.admin, third, [f1], starts_in_s=3600 + 90 * 60, minutes=90)
    await _register(api, w, third, w.class_a1, [later["id"]])
    assert (await _allocate(api, w, third))["placed"] == len(w.a1)
