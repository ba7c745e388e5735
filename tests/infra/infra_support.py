"""Paths, loaders and tool lookup shared by the infra tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.infra.kustomize_lite import Doc, load_documents

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
K8S = INFRA / "k8s"
OVERLAYS = K8S / "overlays"
RENDERED = K8S / "rendered"
SAM_TEMPLATE = INFRA / "aws" / "template.yaml"
CHECKOV_DIR = INFRA / "checkov"

# The oldest Kubernetes the manifests target: `preStop.sleep` needs 1.30 and CronJob timeZone
# 1.27; EKS's standard support covers 1.33. kubernetes-validate ships the schemas offline.
KUBERNETES_VERSION = "1.33.0"


def overlay_names() -> list[str]:
    return sorted(path.name for path in OVERLAYS.iterdir() if path.is_dir())


@cache
def _rendered(name: str) -> tuple[Doc, ...]:
    return tuple(load_documents(RENDERED / f"{name}.yaml"))


def rendered(name: str) -> list[Doc]:
    """The committed output of the real kustomize for one overlay."""
    return list(_rendered(name))


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def find_tool(name: str) -> str:
    """A validator's executable: $INFRA_<NAME>, else beside this interpreter, else on PATH.

    The override exists for tools kept in their own virtualenv (checkov pins old versions of
    boto3 and packaging, so CI may install it apart from the project's environment).
    """
    override = os.environ.get("INFRA_" + name.upper().replace("-", "_"))
    if override:
        return override
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise AssertionError(
            f"{name} is not installed: add it to the test extras (see infra/README.md, CI)"
        )
    return found


def run_tool(
    args: list[str], cwd: Path = REPO, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


# ------------------------------------------------------------------ CloudFormation YAML


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns the short intrinsic tags (!Ref, !Sub, ...) into their long form."""


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_cfn(path: Path = SAM_TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=_CfnLoader)  # a SafeLoader subclass
    assert isinstance(template, dict)
    return template


def resolve_number(template: dict[str, Any], value: Any) -> float:
    """A number, or a {"Ref": parameter} resolved to the parameter's default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = template["Parameters"][value["Ref"]]
        return float(parameter["Default"])
    return float(value)
