"""The Lambda's deployment zip: our packages plus their dependencies, built for the Lambda.

The zip holds ``overflow_lambda``, the ``engine`` code its jobs run (grading writes the same
rows as the cluster, so the handler calls the engine's grader rather than a copy), ``grading``,
``question_bank`` and ``proctoring``, and the dependencies installed by pip for Linux x86_64 /
CPython 3.12 (the SAM template's runtime), wheels only, so nothing is compiled here.
``LAMBDA_IMPORTS`` is the handler's import set; nothing outside it may be needed on a cold start.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("overflow_lambda", "engine", "grading", "question_bank", "proctoring")
DATA_SUFFIXES = {".py", ".sql", ".lua", ".json"}
# What ``import overflow_lambda.handler`` loads beyond the standard library, by top-level
# module (tests/unit/overflow/test_overflow_packaging.py checks the list against a real import;
# tests/integration/overflow/test_overflow_lambda_zip.py cold-imports the built zip). No web
# framework, no HTML sanitiser: the handler reaches the engine through engine/job_runner.py,
# and the modules on that path import the kernel (engine/kernel/) rather than the HTTP edge.
LAMBDA_IMPORTS = frozenset(
    {
        # ours
        "overflow_lambda",
        "engine",
        "grading",
        "proctoring",
        "question_bank",
        # installed into the zip (REQUIREMENTS) and what they pull in
        "aws_lambda_powertools",
        "aws_xray_sdk",
        "jmespath",
        "wrapt",
        "typing_extensions",
        "msgspec",
        "asyncpg",
        "redis",
        "hiredis",
        "numpy",
        "re2",
        "prometheus_client",
        # the Lambda runtime's own (boto3 and what it needs)
        "boto3",
        "botocore",
        "s3transfer",
        "dateutil",
        "six",
        "urllib3",
    }
)
# imported when present, not needed: redis-py probes for cryptography, botocore for certifi;
# cython_runtime is the interpreter's record of loaded Cython extensions, not a package
PROBED_IMPORTS = frozenset({"cryptography", "certifi", "cython_runtime"})
# what the handler imports at run time; boto3 is in the Lambda runtime
REQUIREMENTS = (
    "aws-lambda-powertools[redis,tracer]>=3.0",
    "msgspec>=0.19",
    "asyncpg>=0.30",
    "redis>=5.2",
    # engine/redis_adapter/connections.py parses replies with it
    "hiredis>=3.0",
    "numpy>=2.0",
    "google-re2>=1.1",
    # engine/cpu_jobs.py counts the jobs of its lanes
    "prometheus-client>=0.20",
)


def _install(target: Path, python_version: str, platform: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--platform",
            platform,
            "--implementation",
            "cp",
            "--python-version",
            python_version,
            "--only-binary=:all:",
            *REQUIREMENTS,
        ],
        check=True,
    )


def _source_files(root: Path) -> list[tuple[Path, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if (
                path.is_file()
                and path.suffix in DATA_SUFFIXES
                and "__pycache__" not in path.parts
                and "local" not in path.parts
            ):
                found.append((path, path.relative_to(root).as_posix()))
    return found


def build_zip(
    output: Path,
    *,
    with_dependencies: bool = True,
    python_version: str = "3.12",
    platform: str = "manylinux2014_x86_64",
    root: Path = REPO,
) -> list[str]:
    """Write the zip; returns the names it holds."""
    output.parent.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ujian-lambda-") as tmp:
        deps = Path(tmp)
        if with_dependencies:
            _install(deps, python_version, platform)
        partial = output.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, name in _source_files(root):
                archive.write(path, name)
                names.append(name)
            for path in sorted(deps.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    name = path.relative_to(deps).as_posix()
                    archive.write(path, name)
                    names.append(name)
        shutil.move(partial, output)
    return names
