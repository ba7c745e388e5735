"""Per-request HTTP metrics at the cost of a few dict lookups.

The metrics are Litestar's Prometheus plugin's own (names, labels, buckets: engine/metrics.py's
``prometheus_config``), and the values are the same; only how a request is recorded differs.
Litestar's middleware builds a ``Request``, a label dict and four label lookups (each under a
lock) on every request, and matched the exclusion patterns against every path: measured, that
was more than the whole of a bare Litestar request (bench/bench_floor.py). Here the label
children are resolved once per (method, route template, status) and the exclusions once per
route template, and the in-flight count the overflow router reads
(engine/overflow/http_load.py) is kept by the same call, so a request passes through one
middleware instead of two.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig
from litestar.plugins.prometheus.middleware import PrometheusMiddleware

from engine.overflow.http_load import http_in_flight

# (method, route template) -> its children, or None for a template the config excludes
_Children = tuple[Any, dict[int, tuple[Any, Any, Any]]]


class _Recorder:
    """The metric children of each route, resolved on its first request."""

    def __init__(self, config: PrometheusConfig) -> None:
        if config.labels or config.exemplars or config.excluded_http_methods:
            raise ValueError("labels, exemplars and excluded methods are not supported here")
        if not config.group_path:
            raise ValueError("metrics are recorded per route template (group_path=True)")
        self.app_name = config.app_name
        patterns = [config.exclude] if isinstance(config.exclude, str) else config.exclude or []
        self.excluded = re.compile("|".join(patterns)) if patterns else None
        # the metric objects Litestar's middleware defines (one registry entry per name)
        self.metrics = PrometheusMiddleware(app=_no_app, config=config)
        self.routes: dict[tuple[str, str], _Children | None] = {}

    def route(self, method: str, template: str) -> _Children | None:
        if self.excluded is not None and self.excluded.search(template):
            found: _Children | None = None
        else:
            labels: dict[str, str | int | float] = {
                "method": method,
                "path": template,
                "status_code": 200,
                "app_name": self.app_name,
            }
            in_progress = self.metrics.requests_in_progress(labels).labels(*labels.values())
            found = (in_progress, {})
        self.routes[(method, template)] = found
        return found

    def status(self, children: _Children, method: str, template: str, code: int) -> Any:
        labels: dict[str, str | int | float] = {
            "method": method,
            "path": template,
            "status_code": code,
            "app_name": self.app_name,
        }
        values = labels.values()
        error = self.metrics.requests_error_count(labels).labels(*values) if code >= 500 else None
        per_status = (
            self.metrics.request_count(labels).labels(*values),
            self.metrics.request_time(labels).labels(*values),
            error,
        )
        children[1][code] = per_status
        return per_status


async def _no_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise RuntimeError("the recorder only defines the metrics")


def request_metrics(config: PrometheusConfig) -> Callable[[Any], Any]:
    """The Litestar middleware (a plain ASGI factory) recording ``config``'s metrics and the
    process's HTTP requests in flight."""
    recorder = _Recorder(config)
    routes = recorder.routes
    perf_counter = time.perf_counter

    def middleware(app: Any) -> Any:
        async def record(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            method = scope["method"]
            template = scope["path_template"]
            key = (method, template)
            children = routes[key] if key in routes else recorder.route(method, template)
            http_in_flight.current += 1
            if children is None:
                try:
                    await app(scope, receive, send)
                finally:
                    http_in_flight.current -= 1
                return
            status = 200

            async def send_status(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            in_progress = children[0]
            in_progress.inc()
            started = perf_counter()
            try:
                await app(scope, receive, send_status)
            finally:
                took = perf_counter() - started
                http_in_flight.current -= 1
                in_progress.dec()
                per_status = children[1].get(status) or recorder.status(
                    children, method, template, status
                )
                per_status[0].inc()
                per_status[1].observe(took)
                if per_status[2] is not None:
                    per_status[2].inc()

        return record

    return middleware
