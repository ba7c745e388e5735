"""One line of report per item, from the package import and from ``ujian items import``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from rich.console import Console

from engine.cli import main
from engine.items_cli import run_import
from question_bank.import_report import import_entries
from question_bank.packages import read_package
from tests.unit.question_bank_qti.qti3_schema import CORPUS

SAXONY = CORPUS / "1edtech" / "interactionMixSaxonyV3"


def _package(files: dict[str, Path]) -> bytes:
    resources = "".join(
        f'<resource identifier="r{n}" type="imsqti_item_xmlv3p0" href="{name}">'
        f'<file href="{name}"/></resource>'
        for n, name in enumerate(files)
    )
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1">'
        f"<resources>{resources}</resources></manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        for name, path in files.items():
            archive.writestr(name, path.read_bytes())
    return out.getvalue()


def test_a_package_reports_every_item_imported_or_refused_with_its_reason() -> None:
    package = read_package(
        _package(
            {
                "items/choice.xml": SAXONY / "Choicesingle_853928446.xml",
                "items/upload.xml": CORPUS / "1edtech" / "items" / "upload.xml",
            }
        )
    )
    items, outcomes = import_entries(package.items, {})
    assert [href for href, _ in items] == ["items/choice.xml"]
    assert [(o.file, o.status, o.kind, o.code) for o in outcomes] == [
        ("items/choice.xml", "imported", "single_choice", None),
        ("items/upload.xml", "refused", None, "qti_unsupported_interaction"),
    ]
    assert "qti-upload-interaction" in (outcomes[1].reason or "")


def test_the_command_reports_a_folder_item_by_item() -> None:
    outcomes = run_import(SAXONY, Console(file=io.StringIO()))
    assert len(outcomes) == len(list(SAXONY.glob("*.xml")))
    statuses = {o.file: o.status for o in outcomes}
    assert statuses["Order_913967682.xml"] == "imported"
    assert statuses["Hottext_801974120.xml"] == "imported"
    # its processing scores a wrong choice below nothing
    assert statuses["Choicemultiple_871212949.xml"] == "refused"


def test_the_command_fails_when_an_item_is_refused_and_passes_when_none_is() -> None:
    assert main(["items", "import", str(SAXONY / "Choicemultiple_871212949.xml")]) == 1
    assert main(["items", "import", str(SAXONY / "Order_913967682.xml")]) == 0


def test_an_unreadable_package_is_one_refused_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    (outcome,) = run_import(broken, Console(file=io.StringIO()))
    assert outcome.status == "refused" and outcome.code == "bad_package"
