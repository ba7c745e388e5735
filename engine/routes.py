"""Every route handler and controller the app serves, in one list.

Each feature adds its controllers here (one line each) so the app factory stays unchanged and
the authorisation matrix test can walk them all.
"""

from __future__ import annotations

from typing import Any

from engine.accounts.access_routes import (
    ExamAccessController,
    MyExamsController,
    ProctorController,
)
from engine.accounts.routes import AuditController, OrgController, UserController
from engine.analytics.routes import AnalyticsController, EquatingController, MarkingController
from engine.auth.routes import AuthController
from engine.exams.routes import ExamController
from engine.health import live, ready
from engine.integrity.routes import ExamIntegrityController, FlagController, TelemetryController
from engine.metrics_endpoint import MetricsController
from engine.overflow.routes import OverflowController
from engine.scheduling.routes import (
    EventController,
    ScheduleController,
    SchoolScheduleController,
    SessionController,
)
from engine.sittings.routes import SittingController
from engine.web.dashboard_routes import DashboardController, TableExportController
from engine.web.routes import WEB_ROUTER
from engine.web.student_routes import StudentReviewController
from question_bank.routes import (
    BankController,
    BlueprintController,
    ContentTransferController,
    ItemController,
    MediaController,
    cache_stats,
)

# what a `ujian worker` process serves besides consuming the streams
WORKER_ROUTE_HANDLERS: list[Any] = [live, ready, MetricsController]

ROUTE_HANDLERS: list[Any] = [
    live,
    ready,
    MetricsController,
    AuthController,
    OrgController,
    UserController,
    AuditController,
    MyExamsController,
    ExamAccessController,
    ProctorController,
    ContentTransferController,
    ItemController,
    BankController,
    MediaController,
    BlueprintController,
    cache_stats,
    ExamController,
    SittingController,
    StudentReviewController,
    EventController,
    SessionController,
    SchoolScheduleController,
    ScheduleController,
    AnalyticsController,
    EquatingController,
    MarkingController,
    OverflowController,
    TelemetryController,
    FlagController,
    ExamIntegrityController,
    WEB_ROUTER,
    DashboardController,
    TableExportController,
]
