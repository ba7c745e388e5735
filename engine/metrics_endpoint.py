"""``/metrics``: Litestar's request latency histograms plus the engine's own (engine/metrics.py).

Paths are grouped by route template, so a sitting id never becomes a label value.
"""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from engine.auth.policy import PUBLIC
from engine.metrics import PREFIX

prometheus_config = PrometheusConfig(
    app_name="ujian",
    prefix=PREFIX,
    group_path=True,
    exclude=["^/metrics", "^/health"],
)


class MetricsController(PrometheusController):
    path = "/metrics"
    tags = ["operations"]
    opt = PUBLIC  # who may call: engine/auth/policy.py
