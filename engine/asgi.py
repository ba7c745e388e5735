"""Entry point for ASGI servers: the app built from the environment."""

from __future__ import annotations

from litestar import Litestar

from engine.app import create_app
from engine.gc_tuning import tune_for_throughput
from engine.settings import Settings


def app_from_env() -> Litestar:
    app = create_app(Settings.from_env())
    tune_for_throughput()  # each request allocates its few hundred objects (engine/gc_tuning.py)
    return app


def worker_app_from_env() -> Litestar:
    app = create_app(Settings.from_env(), worker=True)
    tune_for_throughput()  # the worker's consumers allocate in bulk (engine/gc_tuning.py)
    return app
