"""Version rules: what an edit does, what may change, and the diff between two versions.

Pure functions over the item's builtins form (what is stored as JSON), so the repository and
the tests share one notion of "the same item".
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from question_bank.kinds import ItemCreate
from question_bank.models import FieldChange

EditAction = Literal["update_draft", "new_version"]


def edit_action(latest_status: str) -> EditAction:
    """Editing an item changes its draft in place, or starts a new draft after a published one
    (a published version is never changed: exams pin it)."""
    return "update_draft" if latest_status == "draft" else "new_version"


def as_document(item: ItemCreate) -> dict[str, Any]:
    """The stored JSON form of an authored item (defaults omitted, kind first)."""
    doc: dict[str, Any] = msgspec.to_builtins(item)
    return doc


def _diff(path: str, before: Any, after: Any, out: list[FieldChange]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            _diff(sub, before.get(key), after.get(key), out)
        return
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and len(before) == len(after)
        and all(isinstance(x, dict) for x in before + after)
    ):
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            _diff(f"{path}[{index}]", b, a, out)
        return
    out.append(FieldChange(path=path or "$", before=before, after=after))


def diff_items(before: ItemCreate, after: ItemCreate) -> list[FieldChange]:
    """Field-level changes from one version to another (lists of scalars compare whole)."""
    changes: list[FieldChange] = []
    _diff("", as_document(before), as_document(after), changes)
    return changes
