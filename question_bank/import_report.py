"""Importing the items of a QTI package one by one, with a line of report for each.

Pure: the package is already unpacked and its media already have their URLs. A refused item
never stops the others; its line says which problem code and why. A composite item that comes
in as several parts has a line for each part. A stimulus is read once
however many items show it, and a stimulus that cannot be read refuses each of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from question_bank.items import ItemCreate, item_kind
from question_bank.kinds import StimulusSpec
from question_bank.models import ImportOutcome
from question_bank.packages import PackageItem, PackedStimulus, relink
from question_bank.qti_composite import ItemPart
from question_bank.qti_import import QtiError, import_items
from question_bank.qti_stimulus import read_stimulus

# what each stimulus file of the package reads as, or why it cannot be read
_Read = dict[str, StimulusSpec | QtiError]


def refused(file: str, err: QtiError) -> ImportOutcome:
    code = "unsafe_xml" if err.unsafe else (err.code or "qti_invalid")
    return ImportOutcome(file, "refused", code=code, reason=err.message)


def imported(file: str, part: ItemPart) -> ImportOutcome:
    """The line of an imported item; a composite's part is named with its place."""
    if part.note is not None:
        # one item, not parts: the line says why, and names no part
        return ImportOutcome(file, "imported", kind=item_kind(part.item), note=part.note)
    return ImportOutcome(
        file, "imported", kind=item_kind(part.item), part=part.identifier, title=part.title
    )


def import_entries(
    entries: Iterable[PackageItem],
    urls: dict[str, str],
    progress: Callable[[ImportOutcome], None] | None = None,
) -> tuple[list[tuple[str, ItemCreate]], list[ImportOutcome]]:
    """The items that import (media relinked) and one outcome per entry."""
    items: list[tuple[str, ItemCreate]] = []
    outcomes: list[ImportOutcome] = []
    read: _Read = {}
    for entry in entries:
        try:
            stimuli = {href: _stimulus(s, urls, read) for href, s in entry.stimuli.items()}
            parts = import_items(relink(entry.xml, urls, entry.href), stimuli)
        except QtiError as err:
            lines = [refused(entry.href, err)]
        else:
            lines = []
            for part in parts:
                item = part.item
                if entry.metadata is not None:
                    item = msgspec.structs.replace(item, metadata=entry.metadata)
                items.append((entry.href, item))
                lines.append(imported(entry.href, msgspec.structs.replace(part, item=item)))
        for outcome in lines:
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return items, outcomes


def _stimulus(packed: PackedStimulus, urls: dict[str, str], read: _Read) -> StimulusSpec:
    """The stimulus of a package file, its media relinked relative to its own folder."""
    if packed.path not in read:
        try:
            read[packed.path] = read_stimulus(relink(packed.xml, urls, packed.path))
        except QtiError as err:
            read[packed.path] = err
    found = read[packed.path]
    if isinstance(found, QtiError):
        raise QtiError(
            f"the stimulus {packed.path}: {found.message}",
            unsafe=found.unsafe,
            code=found.code or "qti_stimulus_invalid",
        )
    return found
