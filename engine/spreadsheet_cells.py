"""The one escaping rule for every CSV and XLSX cell a user can influence (OWASP CSV injection).

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or ``@``;
Excel also after a leading tab or carriage return, after leading blanks, and (with an East
Asian input method) for the full-width forms of those signs. A display name like
``=HYPERLINK("http://x","y")`` next to every classmate's sign-in code is a phishing link, and
``=cmd|' /C calc'!A0`` ran programs on older Office. Such text gets a leading apostrophe,
which every spreadsheet reads as "this is text".

Only ``str`` values are escaped: numbers the system writes itself (a score of -1 under
negative marking, a seat number) stay numbers, because they cannot carry a formula.

``unescape_cell`` is the importer's side, so an exported file imports back unchanged: it removes
exactly the apostrophe ``escape_cell`` added. The pair is a bijection on text (tested with
hypothesis): a value that itself starts with an apostrophe before something dangerous is
escaped once more, so it survives the round trip too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = str | int | float | bool | None

# the signs that start a formula, their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20)
# and the minus sign, and the control characters Excel skips before them
_FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\u2212")
_LEADING_CONTROLS = frozenset("\t\r\n")
QUOTE = "'"


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet run this text (or a part of it) as a formula?"""
    if not text:
        return False
    if text[0] in _FORMULA_SIGNS or text[0] in _LEADING_CONTROLS:
        return True
    # leading blanks of any kind (space, no-break space, ideographic space): Excel trims them
    stripped = text.lstrip()
    return stripped != text and bool(stripped) and stripped[0] in _FORMULA_SIGNS


def needs_escape(text: str) -> bool:
    """Formula-like, or an apostrophe in front of something that needs it (so the importer,
    which removes one apostrophe, gives back exactly what was exported)."""
    i = 0
    while i < len(text) and text[i] == QUOTE:
        i += 1
    return is_formula_like(text[i:])


def escape_text(text: str) -> str:
    return QUOTE + text if needs_escape(text) else text


def unescape_text(text: str) -> str:
    """The importer's inverse of ``escape_text``."""
    if text.startswith(QUOTE) and needs_escape(text[1:]):
        return text[1:]
    return text


def escape_cell(value: Any) -> Cell:
    """A value as a safe cell: text escaped, numbers and booleans kept, times as ISO text,
    anything else as its (escaped) text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return escape_text(value if isinstance(value, str) else str(value))


def escape_row(values: Any) -> list[Cell]:
    return [escape_cell(v) for v in values]


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> XlsxCell | Cell:
    """A safe cell for a write-only sheet. openpyxl turns any string starting with ``=`` into a
    formula: text is set as a string cell explicitly, after escaping. XML 1.0 cannot hold most
    control characters, so those are dropped first (a CSV keeps them)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    safe = escape_cell(value)
    if not isinstance(safe, str):
        return safe
    cell = WriteOnlyCell(sheet, value=safe)
    cell.data_type = "s"
    return cell
