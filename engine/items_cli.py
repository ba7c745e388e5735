"""``ujian items import PATH``: what a QTI item, a folder of items or a package would import.

Each item is read, checked against its own response processing and reported: imported (as
which kind) or refused (with the problem code and the reason), a progress bar while it works.
Nothing is stored: the report is what ``POST /v1/items/import`` would keep and refuse, so a
bank can be checked before it is sent.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from question_bank.import_report import import_entries, refused
from question_bank.models import ImportOutcome
from question_bank.packages import (
    PackageItem,
    PackedStimulus,
    is_stimulus,
    item_reference,
    read_package,
    stimulus_hrefs,
)
from question_bank.qti_import import QtiError


def _folder(path: Path) -> list[PackageItem]:
    """The items of a folder, each with the stimuli it names that the folder holds (a stimulus
    is no item of its own: it is read through the items that show it)."""
    entries = []
    for file in sorted(path.rglob("*.xml")):
        xml = file.read_bytes()
        if file.name == "imsmanifest.xml" or is_stimulus(xml):
            continue
        href = file.relative_to(path).as_posix()
        stimuli = {}
        for value in stimulus_hrefs(xml):
            within = item_reference(href, value)
            # only a file inside the folder, as in a package
            if within.startswith(("../", "/")) or within == "..":
                continue
            if (path / within).is_file():
                stimuli[value] = PackedStimulus(within, (path / within).read_bytes())
        entries.append(PackageItem(href, xml, None, stimuli))
    return entries


def _entries(path: Path) -> list[PackageItem]:
    if path.is_dir():
        return _folder(path)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        return read_package(data).items
    return [PackageItem(path.name, data, None)]


def run_import(path: Path, console: Console) -> list[ImportOutcome]:
    """The report for ``path``; a package that cannot be read is one refused line."""
    try:
        entries = _entries(path)
    except QtiError as err:
        return [refused(path.name, err)]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("importing", total=len(entries))
        _, outcomes = import_entries(entries, {}, lambda _: progress.advance(task))
    return outcomes


def cmd_items_import(args: argparse.Namespace) -> int:
    console = Console()
    outcomes = run_import(Path(args.path), console)
    table = Table("file", "status", "kind / code", "reason")
    for o in outcomes:
        # a composite item's parts are a line each, named after the item and response
        file = o.file if o.part is None else f"{o.file} ({o.part})"
        table.add_row(file, o.status, o.kind or o.code or "", o.reason or "")
    console.print(table)
    imported = sum(o.status == "imported" for o in outcomes)
    console.print(f"{imported} of {len(outcomes)} items would be imported")
    return 0 if imported == len(outcomes) else 1


def add_parser(sub: Any) -> None:
    items = sub.add_parser("items", help="item bank tools")
    verbs = items.add_subparsers(dest="items_command", required=True)
    parser = verbs.add_parser(
        "import",
        help="report what a QTI 3.0 item, folder or package would import, item by item",
    )
    parser.add_argument("path", help="an item XML, a folder of item XMLs or a package (.zip)")
    parser.set_defaults(func=cmd_items_import)
