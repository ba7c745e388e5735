"""The Lambda's zip and the CLI commands around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from engine.cli import build_parser
from engine.overflow.packaging import LAMBDA_IMPORTS, PROBED_IMPORTS, build_zip


def test_the_zip_holds_the_handler_and_the_code_it_runs(tmp_path: Path) -> None:
    output = tmp_path / "overflow-lambda.zip"
    names = build_zip(output, with_dependencies=False)
    with zipfile.ZipFile(output) as archive:
        inside = set(archive.namelist())
    assert set(names) == inside
    assert {
        "overflow_lambda/handler.py",
        "engine/job_runner.py",
        "engine/sittings/grader.py",
        "engine/redis_adapter/lua/cluster.lua",
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


PROBE = """
import json, sys
before = set(sys.modules)
import overflow_lambda.handler
loaded = {name.split(".")[0] for name in set(sys.modules) - before}
print(json.dumps(sorted(n for n in loaded if n not in sys.stdlib_module_names and n[0] != "_")))
"""


def test_the_handler_imports_only_what_the_package_lists() -> None:
    # a fresh interpreter, so nothing another test imported hides a module from the count
    env = {
        **os.environ,
        "UJIAN_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "UJIAN_REDIS_URL": "redis://127.0.0.1:1/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert loaded - PROBED_IMPORTS <= LAMBDA_IMPORTS, loaded - PROBED_IMPORTS - LAMBDA_IMPORTS
    # nothing of the web edge or of the authoring rules reaches the Lambda
    assert not loaded & {"litestar", "nh3", "markdown_it", "granian", "openpyxl", "fpdf"}
    # and the list is the import set, not a wish list
    assert loaded >= LAMBDA_IMPORTS, LAMBDA_IMPORTS - loaded
