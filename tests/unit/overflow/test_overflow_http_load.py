"""HTTP requests in flight count towards a process's utilisation."""

from __future__ import annotations

from typing import Any

import pytest

from engine.overflow.http_load import count_in_flight, http_in_flight


async def test_requests_are_counted_while_they_run() -> None:
    seen: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(http_in_flight.current)
        if scope.get("fail"):
            raise RuntimeError("handler failed")

    wrapped = count_in_flight(app)
    before = http_in_flight.current
    await wrapped({"type": "http"}, None, None)
    await wrapped({"type": "lifespan"}, None, None)
    with pytest.raises(RuntimeError):
        await wrapped({"type": "http", "fail": True}, None, None)
    assert seen == [before + 1, before, before + 1]
    assert http_in_flight.current == before  # a failed request is no longer in flight


def test_ratio_is_bounded_by_the_limit() -> None:
    saved = (http_in_flight.limit, http_in_flight.current)
    try:
        http_in_flight.limit, http_in_flight.current = 4, 2
        assert http_in_flight.ratio() == 0.5
        http_in_flight.current = 9
        assert http_in_flight.ratio() == 1.0
    finally:
        http_in_flight.limit, http_in_flight.current = saved
