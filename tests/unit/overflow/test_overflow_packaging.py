"""The Lambda's zip and the CLI commands around it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.cli import build_parser
from engine.overflow.packaging import build_zip


def test_the_zip_holds_the_handler_and_the_code_it_runs(tmp_path: Path) -> None:
    output = tmp_path / "overflow-lambda.zip"
    names = build_zip(output, with_dependencies=False)
    with zipfile.ZipFile(output) as archive:
        inside = set(archive.namelist())
    assert set(names) == inside
    assert {
        "overflow_lambda/handler.py",
        "engine/overflow/execute.py",
        "engine/sittings/grader.py",
        "engine/overflow/lua/cluster.lua",
        "grading/scoring.py",
    } <= inside
    # the local stand-ins are for development, not for AWS
    assert not any(name.startswith("overflow_lambda/local/") for name in inside)
    assert not any("__pycache__" in name for name in inside)


def test_the_cli_has_the_overflow_commands() -> None:
    args = build_parser().parse_args(["overflow-local", "--instances", "3"])
    assert args.instances == 3 and args.port == 4566
    args = build_parser().parse_args(["package-lambda", "--no-deps"])
    assert args.no_deps and args.output == "build/overflow-lambda.zip"
