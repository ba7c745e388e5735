"""Every route handler and controller the app serves, in one list.

Each feature adds its controllers here (one line each) so the app factory stays unchanged and
the authorisation matrix test can walk them all.
"""

from __future__ import annotations

from typing import Any

from engine.auth.routes import AuthController
from engine.exams.routes import ExamController, ItemController
from engine.health import live, ready
from engine.metrics import MetricsController
from engine.sittings.routes import SittingController

# what a `ujian worker` process serves besides consuming the streams
WORKER_ROUTE_HANDLERS: list[Any] = [live, ready, MetricsController]

ROUTE_HANDLERS: list[Any] = [
    live,
    ready,
    MetricsController,
    AuthController,
    ItemController,
    ExamController,
    SittingController,
]
