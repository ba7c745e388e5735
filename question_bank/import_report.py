"""Importing the items of a QTI package one by one, with a line of report for each.

Pure: the package is already unpacked and its media already have their URLs. A refused item
never stops the others; its line says which problem code and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from question_bank.items import ItemCreate, item_kind
from question_bank.models import ImportOutcome
from question_bank.packages import PackageItem, relink
from question_bank.qti_import import QtiError, import_item


def refused(file: str, err: QtiError) -> ImportOutcome:
    code = "unsafe_xml" if err.unsafe else (err.code or "qti_invalid")
    return ImportOutcome(file, "refused", code=code, reason=err.message)


def import_entries(
    entries: Iterable[PackageItem],
    urls: dict[str, str],
    progress: Callable[[ImportOutcome], None] | None = None,
) -> tuple[list[tuple[str, ItemCreate]], list[ImportOutcome]]:
    """The items that import (media relinked) and one outcome per entry."""
    items: list[tuple[str, ItemCreate]] = []
    outcomes: list[ImportOutcome] = []
    for entry in entries:
        try:
            item = import_item(relink(entry.xml, urls, entry.href))
        except QtiError as err:
            outcome = refused(entry.href, err)
        else:
            if entry.metadata is not None:
                item = msgspec.structs.replace(item, metadata=entry.metadata)
            items.append((entry.href, item))
            outcome = ImportOutcome(entry.href, "imported", kind=item_kind(item))
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return items, outcomes
