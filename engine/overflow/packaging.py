"""The Lambda's deployment zip: our packages plus their dependencies, built for the Lambda.

The zip holds ``overflow_lambda``, the ``engine`` code its jobs run (grading writes the same
rows as the cluster, so the handler calls the engine's grader rather than a copy), ``grading``,
``question_bank`` and ``proctoring``, and the dependencies installed by pip for Linux x86_64 /
CPython 3.12 (the SAM template's runtime), wheels only, so nothing is compiled here.
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
# what the handler imports at run time (boto3 is in the Lambda runtime; litestar comes with
# engine.problems, which the exam loaders raise)
REQUIREMENTS = (
    "aws-lambda-powertools[redis,tracer]>=3.0",
    "msgspec>=0.19",
    "asyncpg>=0.30",
    "redis>=5.2",
    "numpy>=2.0",
    "litestar>=2.25",
    "google-re2>=1.1",
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
