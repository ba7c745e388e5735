"""checkov over the rendered manifests and the SAM template, against a reviewed baseline.

The baseline (infra/checkov/baseline.json) lists the accepted findings; infra/checkov/reasons.yaml
says why each accepted check is accepted. A new finding fails, and so does a baseline entry that
no longer matches anything (a stale entry would hide the next real finding on that resource).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.infra.infra_support import CHECKOV_DIR, INFRA, find_tool, run_tool

BASELINE = CHECKOV_DIR / "baseline.json"
REASONS = CHECKOV_DIR / "reasons.yaml"
# run from infra/ so file paths read /aws/template.yaml and /k8s/rendered/<overlay>.yaml; the
# kustomize sources are skipped (their patches are fragments, not objects): the rendered output
# is what gets applied
COMMAND = [
    "-d",
    ".",
    "--framework",
    "kubernetes",
    "cloudformation",
    "--skip-path",
    "k8s/base",
    "--skip-path",
    "k8s/overlays",
    "--skip-download",
    "--compact",
    "--quiet",
]

Finding = tuple[str, str, str]


def baseline_findings() -> set[Finding]:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    return {
        (entry["file"], finding["resource"], check)
        for entry in baseline["failed_checks"]
        for finding in entry["findings"]
        for check in finding["check_ids"]
    }


@pytest.fixture(scope="module")
def checkov_report() -> list[dict[str, Any]]:
    result = run_tool([find_tool("checkov"), *COMMAND, "--output", "json"], cwd=INFRA)
    assert result.returncode in {0, 1}, result.stderr
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def test_checkov_scans_both_frameworks(checkov_report: list[dict[str, Any]]) -> None:
    scanned = {r["check_type"]: r["summary"] for r in checkov_report}
    assert set(scanned) == {"kubernetes", "cloudformation"}
    assert scanned["kubernetes"]["passed"] > 300
    assert scanned["cloudformation"]["passed"] > 20
    assert all(summary["parsing_errors"] == 0 for summary in scanned.values())


def test_findings_are_exactly_the_reviewed_baseline(
    checkov_report: list[dict[str, Any]],
) -> None:
    found = {
        (check["file_path"], check["resource"], check["check_id"])
        for report in checkov_report
        for check in report["results"]["failed_checks"]
    }
    new = sorted(found - baseline_findings())
    stale = sorted(baseline_findings() - found)
    assert not new, f"new checkov findings (fix them, or review and add to the baseline): {new}"
    assert not stale, f"baseline entries that no longer occur (remove them): {stale}"


def test_checkov_passes_with_the_baseline() -> None:
    result = run_tool([find_tool("checkov"), *COMMAND, "--baseline", str(BASELINE)], cwd=INFRA)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_accepted_check_has_a_reason() -> None:
    reasons = yaml.safe_load(REASONS.read_text(encoding="utf-8"))
    accepted = {check for _, _, check in baseline_findings()}
    assert set(reasons) == accepted
    for check, reason in reasons.items():
        assert len(reason.split()) >= 15, f"{check}: say why it is accepted"
