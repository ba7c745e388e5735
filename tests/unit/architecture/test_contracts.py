"""The import contracts in pyproject.toml hold, and break when a forbidden import is added.

The checks run on a copy of the source tree, by an interpreter started without site
processing: the editable install's import hook would otherwise find the real tree instead of
the copy."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# the page's generator is a script beside the page, not part of a package
_spec = importlib.util.spec_from_file_location("layer_table", REPO / "docs" / "layer_table.py")
assert _spec is not None and _spec.loader is not None
layer_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layer_table)
PACKAGES = ("engine", "grading", "proctoring", "question_bank", "overflow_lambda")
RUN = """
import sys
sys.path[:0] = [sys.argv[1]]
sys.path.append(sys.argv[2])  # site-packages, without its .pth files
from importlinter.cli import lint_imports
only = tuple(sys.argv[4:])
sys.exit(lint_imports(sys.argv[3], limit_to_contracts=only, no_cache=True, no_logo=True))
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "static")
        )
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    yield root


def lint(root: Path, *only: str) -> subprocess.CompletedProcess[str]:
    site = sysconfig.get_paths()["purelib"]
    config = str(root / "pyproject.toml")
    return subprocess.run(
        [sys.executable, "-S", "-c", RUN, str(root), site, config, *only],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )


def contract_names() -> dict[str, str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def test_the_contracts_hold_on_the_tree(tree: Path) -> None:
    done = lint(tree)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{len(contract_names())} kept, 0 broken" in done.stdout


BREAKS = [
    ("engine/kernel/clock.py", "import litestar", "kernel"),
    ("engine/kernel/errors.py", "import engine.problems", "kernel"),
    ("grading/types.py", "import question_bank.items", "grading"),
    ("proctoring/stats.py", "import redis", "proctoring"),
    ("question_bank/service.py", "import engine.problems", "question-bank-kernel"),
    ("question_bank/paper.py", "import asyncpg", "question-bank-rules"),
    ("engine/scheduling/rules.py", "import engine.db", "scheduling-rules"),
    ("proctoring/flags.py", "import question_bank.models", "domain-independence"),
    ("engine/sittings/service.py", "import engine.problems", "services"),
    ("engine/workers/backlog.py", "import litestar", "services"),
    ("engine/analytics/scope.py", "import engine.problems", "services"),
    ("engine/integrity/review.py", "import litestar", "services"),
    ("engine/sittings/service.py", "import engine.services", "services"),
    ("engine/web/student_review.py", "import engine.problems", "web-services"),
    ("engine/web/charts.py", "import engine.web.routes", "web-services"),
    ("engine/web/review.py", "import engine.services", "web-services"),
    ("engine/overflow/jobs.py", "import nh3", "lambda"),
    ("engine/accounts/people.py", "import engine.sittings.store", "engine-layers"),
    ("engine/overflow/dispatcher.py", "import engine.integrity.forensics", "engine-layers"),
    ("engine/cli.py", "import bench", "development-only"),
    ("engine/sittings/service.py", "import redis", "redis-adapter"),
    ("engine/redis_adapter/keys.py", "import engine.sittings.service", "engine-layers"),
]


def test_every_contract_is_shown_to_break() -> None:
    assert {broken for _, _, broken in BREAKS} == set(contract_names())


@pytest.mark.parametrize(("module", "added", "broken"), BREAKS)
def test_a_forbidden_import_breaks_its_contract(
    tree: Path, module: str, added: str, broken: str
) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(original + f"\n{added}  # noqa\n")
    try:
        done = lint(tree, broken)
    finally:
        path.write_text(original)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "0 kept, 1 broken" in done.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    imported = added.removeprefix("import ")
    assert f"{importer} -> {imported}" in done.stdout, done.stdout[-4000:]


def test_the_engine_list_names_every_engine_module_but_the_kernel() -> None:
    """A new engine package or module must be added to ENGINE_OUTSIDE_KERNEL, or the kernel
    and question_bank could import it unchecked."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["id"] in {"kernel", "question-bank-kernel"}:
            listed = {m for m in contract["forbidden_modules"] if m.startswith("engine.")}
            assert listed == layer_table.engine_outside_kernel(), contract["id"]


def test_the_layer_table_is_the_contracts() -> None:
    page = (REPO / "docs" / "architecture.md").read_text()
    assert layer_table.render(page) == page, "run python docs/layer_table.py"
    for contract_id, name in contract_names().items():
        assert f"| {contract_id} | {name} |" in page


def test_a_stale_layer_table_is_found() -> None:
    page = (REPO / "docs" / "architecture.md").read_text()
    stale = page.replace("| grading | grading is pure", "| grading | grading was pure")
    assert layer_table.render(stale) != stale
