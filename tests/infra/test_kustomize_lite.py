"""The offline kustomize renderer on small kustomizations (its full-size check against the real
kustomize is test_k8s_render.py)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from tests.infra.kustomize_lite import (
    UnsupportedKustomization,
    render,
    split_image,
    strategic_merge,
)

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: ujian
          args: ["a", "b"]
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
          resources:
            requests: {cpu: "1", memory: 1Gi}
        - name: sidecar
          image: localhost:5000/tools:1.0
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
    return root


def only(docs: list[dict], kind: str) -> dict:
    [doc] = [doc for doc in docs if doc["kind"] == kind]
    return doc


def test_patch_merges_containers_by_name_and_replaces_plain_lists(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "base/deploy.yaml": DEPLOYMENT,
            "overlay/kustomization.yaml": """
            resources: [../base]
            patches:
              - path: patch.yaml
        """,
            "overlay/patch.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      args: ["c"]
                      env:
                        - {name: B, value: "3"}
                        - {name: C, value: "4"}
                      resources:
                        requests: {cpu: 500m}
        """,
        },
    )
    deployment = only(render(tmp_path / "overlay"), "Deployment")
    app, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert app["args"] == ["c"]  # no merge key: replaced
    # kustomize's order: the patch's items first, then the untouched originals
    assert app["env"] == [
        {"name": "B", "value": "3"},
        {"name": "C", "value": "4"},
        {"name": "A", "value": "1"},
    ]
    assert app["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert sidecar["name"] == "sidecar"


def test_null_in_a_patch_deletes_the_field() -> None:
    merged = strategic_merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None}})
    assert merged == {"a": 1, "b": {"d": 3}}


def test_namespace_renames_namespace_objects_and_fills_service_account_subjects(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": "namespace: exam\nresources: [all.yaml]\n",
            "all.yaml": """
            apiVersion: v1
            kind: Namespace
            metadata: {name: placeholder}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: rb}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
            subjects:
              - {kind: ServiceAccount, name: sa}
              - {kind: User, name: someone}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: cluster-wide}
        """,
        },
    )
    docs = render(tmp_path)
    assert only(docs, "Namespace")["metadata"] == {"name": "exam"}
    binding = only(docs, "RoleBinding")
    assert binding["metadata"]["namespace"] == "exam"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "sa", "namespace": "exam"},
        {"kind": "User", "name": "someone"},
    ]
    assert "namespace" not in only(docs, "ClusterRole")["metadata"]


def test_images_rewrite_only_the_named_image(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": """
            resources: [deploy.yaml]
            images:
              - {name: ujian, newName: registry.example.org/ujian/ujian, newTag: "1.2.3"}
              - {name: localhost:5000/tools, digest: "sha256:abc"}
        """,
            "deploy.yaml": DEPLOYMENT,
        },
    )
    app, sidecar = only(render(tmp_path), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "registry.example.org/ujian/ujian:1.2.3"
    assert sidecar["image"] == "localhost:5000/tools@sha256:abc"


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("ujian", ("ujian", None, None)),
        ("ujian:1.0", ("ujian", "1.0", None)),
        ("localhost:5000/a/b", ("localhost:5000/a/b", None, None)),
        ("localhost:5000/a/b:2@sha256:ff", ("localhost:5000/a/b", "2", "sha256:ff")),
    ],
)
def test_split_image(image: str, parts: tuple[str, str | None, str | None]) -> None:
    assert split_image(image) == parts


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [deploy.yaml]\ncommonLabels: {a: b}\n",
        "resources: [deploy.yaml]\npatches:\n  - path: p.yaml\n    target: {kind: Deployment}\n",
        "resources: [deploy.yaml]\nimages:\n  - {name: ujian, newTag: x, tagSuffix: y}\n",
    ],
)
def test_unsupported_features_are_refused(tmp_path: Path, kustomization: str) -> None:
    write(
        tmp_path, {"kustomization.yaml": kustomization, "deploy.yaml": DEPLOYMENT, "p.yaml": "{}"}
    )
    with pytest.raises(UnsupportedKustomization):
        render(tmp_path)


def test_patching_a_list_with_an_unmodelled_merge_key_is_refused() -> None:
    with pytest.raises(UnsupportedKustomization, match="ports"):
        strategic_merge({"ports": [{"port": 80}]}, {"ports": [{"port": 81}]})


def test_a_patch_must_match_exactly_one_resource(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [deploy.yaml]\npatches:\n  - path: p.yaml\n",
            "deploy.yaml": DEPLOYMENT,
            "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\n",
        },
    )
    with pytest.raises(ValueError, match="matches 0 resources"):
        render(tmp_path)


def test_duplicate_resources_are_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
            "a.yaml": DEPLOYMENT,
            "b.yaml": DEPLOYMENT,
        },
    )
    with pytest.raises(ValueError, match="defined twice"):
        render(tmp_path)


def test_missing_resource_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"kustomization.yaml": "resources: [nope.yaml]\n"})
    with pytest.raises(FileNotFoundError):
        render(tmp_path)


def test_merged_list_order_matches_kustomize() -> None:
    # checked against `kubectl kustomize` (v5.5): patch items first, then the untouched rest
    original = {"containers": [{"name": "app"}, {"name": "sidecar"}]}
    patch = {"containers": [{"name": "sidecar", "args": ["x"]}, {"name": "new", "image": "i"}]}
    assert strategic_merge(original, patch) == {
        "containers": [
            {"name": "sidecar", "args": ["x"]},
            {"name": "new", "image": "i"},
            {"name": "app"},
        ]
    }
