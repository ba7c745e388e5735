"""A small offline renderer for the subset of kustomize that ``infra/k8s`` uses.

Why not the real tool: CI has no network and no guarantee of a ``kustomize`` or ``kubectl``
binary, and PyPI has no maintained kustomize port (the ``kustomize`` package there is an
unrelated Python DSL). So the tests render the overlays with this module, and keep it honest
twice over: every field it does not understand is an error (never a silent pass-through), and
its output must equal ``infra/k8s/rendered/*.yaml``, which ``infra/k8s/render.sh`` writes with the
real ``kubectl kustomize`` (tests/infra/test_k8s_render.py).

Supported kustomization fields: ``resources`` (files and directories), ``namespace``,
``images`` (``name``, ``newName``, ``newTag``, ``digest``) and ``patches`` given by ``path``
(strategic merge patches matched by kind and name).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
SUPPORTED_IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}

# Kinds without a namespace (the ones a kustomization here could plausibly contain).
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
}

# Strategic-merge keys of the lists a patch may touch. Any other list in a patch replaces the
# original list (the strategic-merge default for lists without a patch strategy) -- except the
# ones below whose strategy is "merge" on a key this module does not model, which are refused.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}
REFUSED_LISTS = {"ports", "envFrom", "hostAliases", "topologySpreadConstraints"}


class UnsupportedKustomization(ValueError):
    """The kustomization uses a feature this renderer does not implement."""


def render(directory: Path) -> list[Doc]:
    """Build the kustomization in ``directory`` like ``kubectl kustomize`` does."""
    directory = Path(directory)
    kustomization = _load_kustomization(directory)
    unknown = set(kustomization) - SUPPORTED_FIELDS
    if unknown:
        raise UnsupportedKustomization(f"{directory}: unsupported fields {sorted(unknown)}")

    docs: list[Doc] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            docs.extend(render(path))
        elif path.is_file():
            docs.extend(load_documents(path))
        else:
            raise FileNotFoundError(f"{directory}: resource {entry!r} does not exist")
    _check_unique(docs, directory)

    for patch_entry in kustomization.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise UnsupportedKustomization(
                f"{directory}: only `patches: - path: ...` is supported, got {patch_entry}"
            )
        for patch in load_documents(directory / patch_entry["path"]):
            target = _find_target(docs, patch, directory)
            merged = strategic_merge(target, patch)
            docs[docs.index(target)] = merged

    namespace = kustomization.get("namespace")
    if namespace is not None:
        docs = [_set_namespace(doc, namespace) for doc in docs]

    for image in kustomization.get("images", []):
        unknown_image = set(image) - SUPPORTED_IMAGE_FIELDS
        if unknown_image:
            raise UnsupportedKustomization(f"{directory}: image fields {sorted(unknown_image)}")
        for doc in docs:
            _set_image(doc, image)
    return docs


def load_documents(path: Path) -> list[Doc]:
    with Path(path).open(encoding="utf-8") as handle:
        docs = [doc for doc in yaml.safe_load_all(handle) if doc is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise ValueError(f"{path}: not a Kubernetes object: {doc!r:.80}")
    return docs


def resource_id(doc: Doc) -> tuple[str, str, str, str]:
    meta = doc["metadata"]
    return (doc.get("apiVersion", ""), doc["kind"], meta.get("namespace", ""), meta["name"])


def strategic_merge(original: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch of ``patch`` onto ``original`` (returns a new object)."""
    if isinstance(original, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(original)
        for key, value in patch.items():
            if key.startswith("$"):
                raise UnsupportedKustomization(f"patch directive {key!r} is not supported")
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(original, list) and isinstance(patch, list):
        if field in REFUSED_LISTS:
            raise UnsupportedKustomization(f"patching the list {field!r} is not supported")
        merge_key = MERGE_KEYS.get(field)
        if merge_key is None:
            return copy.deepcopy(patch)
        # kustomize's order: the patch's items (merged into their originals) in the patch's
        # order, then the original items the patch does not name, in their original order
        by_key = {existing.get(merge_key): existing for existing in original}
        merged_list = []
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise UnsupportedKustomization(f"{field}: item without {merge_key!r}: {item!r}")
            existing = by_key.get(item[merge_key])
            merged_list.append(
                copy.deepcopy(item) if existing is None else strategic_merge(existing, item, field)
            )
        patched = {item[merge_key] for item in patch}
        merged_list.extend(
            copy.deepcopy(existing)
            for existing in original
            if existing.get(merge_key) not in patched
        )
        return merged_list
    return copy.deepcopy(patch)


def pod_specs(doc: Doc) -> Iterator[Doc]:
    """The pod specs inside a workload (Pod, Deployment-likes, Job, CronJob)."""
    spec = doc.get("spec", {})
    match doc["kind"]:
        case "Pod":
            yield spec
        case "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job":
            yield spec["template"]["spec"]
        case "CronJob":
            yield spec["jobTemplate"]["spec"]["template"]["spec"]
        case _:
            return


def containers(doc: Doc) -> Iterator[Doc]:
    for pod_spec in pod_specs(doc):
        yield from pod_spec.get("initContainers", [])
        yield from pod_spec.get("containers", [])


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """``name[:tag][@digest]`` -> (name, tag, digest); a registry port is not a tag."""
    name, _, digest = image.partition("@")
    tag = None
    last_segment = name.rsplit("/", 1)[-1]
    if ":" in last_segment:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def _load_kustomization(directory: Path) -> Doc:
    for filename in KUSTOMIZATION_FILES:
        path = directory / filename
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                loaded = yaml.safe_load(handle)
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: not a mapping")
            return loaded
    raise FileNotFoundError(f"no kustomization file in {directory}")


def _check_unique(docs: list[Doc], directory: Path) -> None:
    seen: set[tuple[str, str, str, str]] = set()
    for doc in docs:
        key = resource_id(doc)
        if key in seen:
            raise ValueError(f"{directory}: resource {key} is defined twice")
        seen.add(key)


def _find_target(docs: list[Doc], patch: Doc, directory: Path) -> Doc:
    name = patch["metadata"]["name"]
    namespace = patch["metadata"].get("namespace")
    matches = [
        doc
        for doc in docs
        if doc["kind"] == patch["kind"]
        and doc.get("apiVersion") == patch.get("apiVersion")
        and doc["metadata"]["name"] == name
        and (namespace is None or doc["metadata"].get("namespace") == namespace)
    ]
    if len(matches) != 1:
        raise ValueError(
            f"{directory}: patch for {patch['kind']}/{name} matches {len(matches)} resources"
        )
    return matches[0]


def _set_namespace(doc: Doc, namespace: str) -> Doc:
    doc = copy.deepcopy(doc)
    if doc["kind"] == "Namespace":
        # kustomize renames a Namespace object to the kustomization's namespace
        doc["metadata"]["name"] = namespace
    elif doc["kind"] not in CLUSTER_SCOPED:
        doc["metadata"]["namespace"] = namespace
    if doc["kind"] in {"RoleBinding", "ClusterRoleBinding"}:
        for subject in doc.get("subjects", []):
            if subject.get("kind") == "ServiceAccount" and "namespace" not in subject:
                subject["namespace"] = namespace
    return doc


def _set_image(doc: Doc, image: Doc) -> None:
    for container in containers(doc):
        name, tag, digest = split_image(container["image"])
        if name != image["name"]:
            continue
        new_name = image.get("newName", name)
        if "digest" in image:
            container["image"] = f"{new_name}@{image['digest']}"
        elif "newTag" in image:
            container["image"] = f"{new_name}:{image['newTag']}"
        else:
            suffix = f":{tag}" if tag else ""
            suffix += f"@{digest}" if digest else ""
            container["image"] = new_name + suffix
