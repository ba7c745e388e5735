"""Bulk import from a spreadsheet saved as CSV: one item per row, every bad row reported.

Excel-friendly: a UTF-8 byte-order mark is skipped, the delimiter may be ``,`` ``;`` or a tab
(Excel in Indonesian locales writes ``;``), headers are case-insensitive. Columns:

    kind, stem, options, correct, points, explanation, subject, topic, tags, difficulty,
    language, author, licence, tolerance, unit, case_sensitive, max_length

``options`` is ``|``-separated; each is ``id=text`` or just text (ids become A, B, C, ...).
``correct`` is an option id (``A;C`` for several), a number, ``true``/``false``, or accepted
answers separated by ``|``. The types a table can hold: single_choice, multiple_response,
true_false, numeric, short_text, essay (the others come in as QTI).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import msgspec

from question_bank.items import ItemCreate, ItemError, split_item
from question_bank.models import RowError
from question_bank.normalise import normalise_item

MAX_ROWS = 10_000
TABLE_KINDS = ("single_choice", "multiple_response", "true_false", "numeric", "short_text", "essay")
_PATH = re.compile(r"at `\$\.?([^`]*)`")


class CsvError(ValueError):
    pass


def _options(raw: str) -> list[dict[str, str]]:
    out = []
    for n, part in enumerate(p.strip() for p in raw.split("|") if p.strip()):
        ident, sep, text = part.partition("=")
        if sep and re.fullmatch(r"[A-Za-z0-9_-]{1,32}", ident.strip()):
            out.append({"id": ident.strip(), "text": text.strip()})
        else:
            out.append({"id": chr(ord("A") + n) if n < 26 else f"O{n}", "text": part})
    return out


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "y", "ya", "benar")


def row_to_fields(row: dict[str, str]) -> dict[str, Any]:
    """The authored-item fields one CSV row describes (validated later by msgspec)."""
    get = {k: (v or "").strip() for k, v in row.items()}
    kind = get.get("kind", "").lower()
    if kind not in TABLE_KINDS:
        raise ItemError("kind", f"must be one of {', '.join(TABLE_KINDS)}")
    fields: dict[str, Any] = {"kind": kind, "stem": get.get("stem", "")}
    correct = get.get("correct", "")
    if get.get("points"):
        fields["points"] = get["points"]
    if get.get("explanation"):
        fields["explanation"] = get["explanation"]
    if kind in ("single_choice", "multiple_response"):
        fields["options"] = _options(get.get("options", ""))
        picked = [c.strip() for c in re.split(r"[;,]", correct) if c.strip()]
        fields["correct"] = picked[0] if kind == "single_choice" and picked else picked
        if kind == "single_choice" and not picked:
            fields["correct"] = ""
    elif kind == "true_false":
        fields["correct"] = _flag(correct)
    elif kind == "numeric":
        fields["value"] = correct
        if get.get("tolerance"):
            fields["absolute_tolerance"] = get["tolerance"]
        if get.get("unit"):
            fields["unit"] = get["unit"]
    elif kind == "short_text":
        fields["accepted"] = [a.strip() for a in correct.split("|") if a.strip()]
        if get.get("case_sensitive"):
            fields["case_sensitive"] = _flag(get["case_sensitive"])
    if get.get("max_length") and kind in ("short_text", "essay"):
        fields["max_length"] = get["max_length"]
    meta: dict[str, Any] = {
        k: get[k] for k in ("subject", "topic", "language", "author", "licence") if get.get(k)
    }
    if get.get("tags"):
        meta["tags"] = [t.strip() for t in re.split(r"[;,]", get["tags"]) if t.strip()]
    if get.get("difficulty"):
        meta["difficulty"] = get["difficulty"]
    if meta:
        fields["metadata"] = meta
    return fields


def parse_csv(data: bytes) -> tuple[list[tuple[int, ItemCreate]], list[RowError]]:
    """(row number, item) for every good row and a RowError for every bad one (row 1 is the
    header, so numbers match what a spreadsheet shows)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvError("the file is not UTF-8 text (save it as CSV UTF-8)") from err
    # the header decides the delimiter (csv.Sniffer guesses wrong on short, ragged files)
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "kind" not in [f.strip().lower() for f in reader.fieldnames]:
        raise CsvError("the first row must be the header and name a 'kind' column")
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
    try:
        return _parse_rows(reader)
    except csv.Error as err:
        # a field past csv's size limit, a stray quote in strict places: the file, not a 500
        raise CsvError(f"the file cannot be read as CSV: {err}") from err


def _parse_rows(reader: csv.DictReader[str]) -> tuple[list[tuple[int, ItemCreate]], list[RowError]]:
    good: list[tuple[int, ItemCreate]] = []
    errors: list[RowError] = []
    for index, row in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:
            raise CsvError(f"at most {MAX_ROWS} rows per file")
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # spreadsheets leave blank lines at the end
        try:
            item = msgspec.convert(row_to_fields(row), ItemCreate, strict=False)
            item = normalise_item(item)
            split_item("", item)
        except ItemError as err:
            errors.append(RowError(row=index, field=err.field, message=err.message))
        except msgspec.ValidationError as err:
            found = _PATH.search(str(err))
            errors.append(
                RowError(row=index, field=found.group(1) if found else "row", message=str(err))
            )
        else:
            good.append((index, item))
    return good, errors
