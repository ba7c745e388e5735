"""The rendered manifests: reproducible offline, and valid against the Kubernetes schemas."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.infra.infra_support import (
    KUBERNETES_VERSION,
    OVERLAYS,
    RENDERED,
    overlay_names,
    rendered,
    run_tool,
)
from tests.infra.kustomize_lite import render, resource_id


def test_every_overlay_has_a_rendered_file() -> None:
    assert overlay_names() == ["dev", "prod"]
    assert sorted(path.stem for path in RENDERED.glob("*.yaml")) == overlay_names()


@pytest.mark.parametrize("overlay", overlay_names())
def test_offline_render_equals_the_committed_kustomize_output(overlay: str) -> None:
    """rendered/<overlay>.yaml is written by the real kustomize (infra/k8s/render.sh); the
    offline renderer must produce the same objects, so a change under base/ or overlays/ without
    re-running render.sh fails here."""
    ours = {resource_id(doc): doc for doc in render(OVERLAYS / overlay)}
    theirs = {resource_id(doc): doc for doc in rendered(overlay)}
    assert sorted(ours) == sorted(theirs), "run infra/k8s/render.sh"
    for key, doc in ours.items():
        assert doc == theirs[key], f"{key} differs from rendered/{overlay}.yaml: run render.sh"


def _validate(*files: Path) -> tuple[int, str]:
    result = run_tool(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            "--kubernetes-version",
            KUBERNETES_VERSION,
            *map(str, files),
        ]
    )
    return result.returncode, result.stdout + result.stderr


def test_rendered_manifests_pass_strict_schema_validation() -> None:
    files = [RENDERED / f"{name}.yaml" for name in overlay_names()]
    code, output = _validate(*files)
    assert code == 0, output


def test_strict_validation_rejects_an_unknown_field(tmp_path: Path) -> None:
    # proves the validator runs in strict mode with real schemas (not a silent pass)
    deployment = next(doc for doc in rendered("prod") if doc["kind"] == "Deployment")
    deployment = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(deployment), encoding="utf-8")
    code, output = _validate(broken)
    assert code != 0
    assert "replica" in output
