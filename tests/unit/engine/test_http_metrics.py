"""The lean request metrics record what Litestar's Prometheus middleware recorded: the same
metric names and labels (route templates, status codes), errors, and nothing for excluded
routes."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from engine.http_metrics import request_metrics
from engine.metrics import PREFIX
from engine.metrics_endpoint import prometheus_config


@get("/things/{thing_id:int}", sync_to_thread=False)
def thing(thing_id: FromPath[int]) -> dict[str, Any]:
    if thing_id == 0:
        raise HTTPException(status_code=503, detail="down")
    return {"id": thing_id}


@get("/health/metrics-probe", sync_to_thread=False)
def probe() -> dict[str, bool]:
    return {"ok": True}


def _value(name: str, path: str, status: int) -> float:
    labels = {"method": "GET", "path": path, "status_code": str(status), "app_name": "ujian"}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_per_route_template_and_status() -> None:
    app = Litestar([thing, probe], middleware=[request_metrics(prometheus_config)])
    template = "/things/{thing_id}"
    total, seconds = f"{PREFIX}_requests_total", f"{PREFIX}_request_duration_seconds_count"
    errors = f"{PREFIX}_requests_error_total"
    before = (
        _value(total, template, 200),
        _value(seconds, template, 200),
        _value(total, template, 503),
        _value(errors, template, 503),
    )
    with TestClient(app) as client:
        for thing_id in (1, 2, 3):
            assert client.get(f"/things/{thing_id}").status_code == 200
        assert client.get("/things/0").status_code == 503
        assert client.get("/health/metrics-probe").status_code == 200
    after = (
        _value(total, template, 200),
        _value(seconds, template, 200),
        _value(total, template, 503),
        _value(errors, template, 503),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 3, 1, 1]
    # excluded by the config (^/health): never a label value
    assert _value(total, "/health/metrics-probe", 200) == 0
    # every request has finished: none left in progress
    in_progress = REGISTRY.get_sample_value(
        f"{PREFIX}_requests_in_progress",
        {"method": "GET", "path": template, "status_code": "200", "app_name": "ujian"},
    )
    assert in_progress == 0
