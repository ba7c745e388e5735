"""Parsing an enrolment CSV (pure: bytes in, rows and row errors out).

Columns (header required, any order, case-insensitive): ``national_id``, ``display_name``,
``class`` and optionally ``username`` (defaults to the national id) and ``password`` (else the
student signs in with exam cards; a common or easily guessed one is refused:
engine/auth/password_policy.py). Every problem is reported with its line and column; the
reader keeps going so one pass reports every bad row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata

import msgspec

from engine.accounts.models import RowError
from engine.auth.password_policy import weakness
from engine.spreadsheet_cells import escape_row, unescape_text

REQUIRED = ("national_id", "display_name", "class")
OPTIONAL = ("username", "password")
COLUMNS = (*REQUIRED, *OPTIONAL)
EXPORT_COLUMNS = ("national_id", "username", "display_name", "class")
_NATIONAL_ID = re.compile(r"[0-9]{10}")
_USERNAME = re.compile(r"[A-Za-z0-9._@-]{3,64}")


class EnrolmentRow(msgspec.Struct, frozen=True):
    line: int
    national_id: str
    display_name: str
    class_name: str
    username: str
    password: str | None


class Parsed(msgspec.Struct, frozen=True):
    rows: list[EnrolmentRow]
    errors: list[RowError]
    # data rows seen, good or bad
    count: int


def _bad_bytes(value: str) -> str | None:
    """Undecodable bytes survive decoding as lone surrogates: name the first one."""
    for ch in value:
        if "\udc80" <= ch <= "\udcff":
            return f"not UTF-8 text (byte 0x{ord(ch) - 0xDC00:02x})"
    return None


def _text_problem(value: str, max_len: int) -> str | None:
    if not value:
        return "is empty"
    if len(value) > max_len:
        return f"is longer than {max_len} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value):
        return "contains control characters"
    return None


def _check(field: str, value: str) -> str | None:
    match field:
        case "national_id":
            ok = _NATIONAL_ID.fullmatch(value) is not None
            return None if ok else "must be the 10-digit national student number (NISN)"
        case "display_name":
            return _text_problem(value, 200)
        case "class":
            return _text_problem(value, 50)
        case "username":
            ok = not value or _USERNAME.fullmatch(value) is not None
            return None if ok else "3-64 letters, digits or . _ @ -"
        case _:  # password
            return None if not value or 8 <= len(value) <= 1000 else "needs 8 to 1000 characters"


def _header(names: list[str]) -> tuple[list[str], list[RowError]]:
    fields = [n.strip().lower() for n in names]
    errors = []
    for i, name in enumerate(fields):
        if name not in COLUMNS:
            errors.append(RowError(1, names[i], f"unknown column (expected {', '.join(COLUMNS)})"))
        elif name in fields[:i]:
            errors.append(RowError(1, name, "column appears twice"))
    errors += [RowError(1, m, "missing column") for m in REQUIRED if m not in fields]
    return fields, errors


def _password_problem(values: dict[str, str], min_score: int) -> str | None:
    password = values.get("password")
    if not password:
        return None
    names = (values["username"], values["display_name"], values["national_id"])
    reason = weakness(password, min_score, names)
    return None if reason is None else f"too easy to guess (weak_password): {reason}"


def parse_enrolment(data: bytes, max_rows: int = 200_000, password_min_score: int = 2) -> Parsed:
    text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[EnrolmentRow] = []
    try:
        names = next(reader, None)
    except csv.Error as err:
        return Parsed([], [RowError(1, None, f"not CSV: {err}")], 0)
    if names is None or not any(n.strip() for n in names):
        return Parsed([], [RowError(1, None, "the file is empty: it needs a header line")], 0)
    fields, errors = _header(names)
    if errors:
        return Parsed([], errors, 0)
    first_seen: dict[tuple[str, str], int] = {}
    count, line = 0, reader.line_num + 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as err:
            errors.append(RowError(line, None, f"not CSV: {err}"))
            break
        if record is None:
            break
        start, line = line, reader.line_num + 1
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        count += 1
        if count > max_rows:
            errors.append(RowError(start, None, f"more than {max_rows} rows: split the file"))
            break
        if len(record) != len(fields):
            errors.append(
                RowError(start, None, f"expected {len(fields)} fields, found {len(record)}")
            )
            continue
        # the export escapes formula-like text with one apostrophe: take it off again
        values = {f: unescape_text(v.strip()) for f, v in zip(fields, record, strict=True)}
        row_errors = [
            RowError(start, f, problem)
            for f, v in values.items()
            if (problem := _bad_bytes(v) or _check(f, v))
        ]
        values.setdefault("username", "")
        values["username"] = values["username"] or values["national_id"]
        if not any(e.column == "password" for e in row_errors):
            weak = _password_problem(values, password_min_score)
            if weak is not None:
                row_errors.append(RowError(start, "password", weak))
        for key in ("national_id", "username"):
            if any(e.column == key for e in row_errors):
                continue
            if (
                key == "username"
                and values["username"] == values["national_id"]
                and any(e.column == "national_id" for e in row_errors)
            ):
                continue  # the username is the national id: one duplicate, said once
            seen = first_seen.setdefault((key, values[key].lower()), start)
            if seen != start:
                row_errors.append(RowError(start, key, f"duplicate of line {seen}"))
        if row_errors:
            errors += row_errors
            continue
        rows.append(
            EnrolmentRow(
                start,
                values["national_id"],
                values["display_name"],
                values["class"],
                values["username"],
                values.get("password") or None,
            )
        )
    return Parsed(rows, errors, count)


def export_csv(records: list[tuple[str, str, str, str]]) -> bytes:
    """national_id, username, display_name, class rows → CSV that imports back unchanged
    (text a spreadsheet would run is escaped; ``parse_enrolment`` unescapes it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(escape_row(r) for r in records)
    return out.getvalue().encode("utf-8")
