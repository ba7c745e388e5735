"""Annotations for what handlers receive by injection (named in ``create_app``)."""

from __future__ import annotations

from typing import Any

from litestar.di import NamedDependency

from engine.services import Services

Svc = NamedDependency[Services]
JwtAuthDep = NamedDependency[Any]
