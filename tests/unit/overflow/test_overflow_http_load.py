"""HTTP requests in flight count towards a process's utilisation."""

from __future__ import annotations

from typing import Any

import pytest

from engine.http_metrics import request_metrics
from engine.metrics_endpoint import prometheus_config
from engine.overflow.http_load import http_in_flight


async def test_requests_are_counted_while_they_run() -> None:
    seen: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(http_in_flight.current)
        if scope.get("fail"):
            raise RuntimeError("handler failed")

    async def send(message: Any) -> None:
        pass

    wrapped = request_metrics(prometheus_config)(app)
    before = http_in_flight.current
    http = {"type": "http", "method": "GET", "path_template": "/v1/things"}
    await wrapped(http, None, send)
    await wrapped({"type": "lifespan"}, None, send)
    with pytest.raises(RuntimeError):
        await wrapped({**http, "fail": True}, None, send)
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
