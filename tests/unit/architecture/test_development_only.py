"""The load generator, the benchmarks and their tools stay out of the product: not in the wheel,
imported by no product package, their dependencies not the product's, no CLI command of theirs.

The import rule is also an import contract ("development-only", pyproject.toml); this test
reads the source as well, so a module named in a string (a granian "module:attr") is caught."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from setuptools import find_packages

from engine.cli import build_parser

REPO = Path(__file__).resolve().parents[3]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())
PRODUCT = ("engine", "grading", "proctoring", "question_bank", "overflow_lambda")
DEVELOPMENT = {"bench", "loadgen", "httptools", "locust"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_the_wheel_carries_the_product_packages_only() -> None:
    include = CONFIG["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(REPO), include=include)
    assert "engine" in packages
    assert {p.split(".")[0] for p in packages} == set(PRODUCT)
    assert not [p for p in packages if "loadgen" in p or "loadtest" in p]


def test_no_product_module_imports_the_development_tools() -> None:
    found = []
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            source = path.read_text()
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                found += [f"{path}: {n}" for n in names if n.split(".")[0] in DEVELOPMENT]
            if "bench.loadgen" in source or "engine.loadtest" in source:
                found.append(f"{path}: names the load generator's module")
    assert found == []


def test_the_load_extra_is_not_a_product_dependency() -> None:
    product = {_name(r) for r in CONFIG["project"]["dependencies"]}
    load = {_name(r) for r in CONFIG["project"]["optional-dependencies"]["load"]}
    assert "httptools" in load
    assert not load & product


def test_the_product_cli_has_no_load_command() -> None:
    parser = build_parser()
    commands = next(a.choices for a in parser._actions if a.dest == "command")
    assert commands is not None
    assert "serve" in commands
    assert "loadtest" not in commands
