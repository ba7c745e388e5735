"""Entry point for ASGI servers: the app built from the environment."""

from __future__ import annotations

from litestar import Litestar

from engine.app import create_app
from engine.settings import Settings


def app_from_env() -> Litestar:
    return create_app(Settings.from_env())


def worker_app_from_env() -> Litestar:
    return create_app(Settings.from_env(), worker=True)
