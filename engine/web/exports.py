"""CSV and XLSX exports of an exam's results and item statistics.

One table shape per export (``Table``: a header and rows of plain values) feeds both writers,
so the two files always carry the same columns. Every cell goes through
``engine.spreadsheet_cells`` (OWASP CSV injection: usernames, names, sections and stems come
from users): formula-like text gets a leading apostrophe, text is never a formula in a
workbook, numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import msgspec
from openpyxl import Workbook

from engine.analytics.models import ExamStatisticsView, ResultRow
from engine.spreadsheet_cells import Cell, escape_row, xlsx_cell
from question_bank.content import plain_text


class Table(msgspec.Struct, frozen=True):
    name: str
    header: list[str]
    rows: list[list[Cell]]


def _safe(value: Any) -> Cell:
    """A plain value for a table; the writers escape every cell, once."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value) if not isinstance(value, datetime) else value.isoformat()


def results_table(rows: list[ResultRow]) -> Table:
    header = [
        "username",
        "display_name",
        "org_id",
        "state",
        "started_at",
        "submitted_at",
        "points",
        "max_points",
        "percent",
        "passed",
        "scaled_score",
        "sitting_id",
    ]
    return Table(
        "results",
        header,
        [
            [
                _safe(r.username),
                _safe(r.display_name),
                str(r.org_id),
                r.state,
                _safe(r.started_at),
                _safe(r.submitted_at),
                r.points,
                r.max_points,
                r.percent,
                r.passed,
                r.scaled_score,
                str(r.sitting_id),
            ]
            for r in rows
        ],
    )


def items_table(stats: ExamStatisticsView) -> Table:
    header = [
        "position",
        "item_id",
        "section",
        "kind",
        "stem",
        "max_points",
        "facility_pct",
        "sd_pct",
        "discrimination_index_pct",
        "discriminative_efficiency_pct",
        "mean_time_s",
        "option_shares",
        "warnings",
        "irt_a",
        "irt_b",
        "irt_c",
    ]
    rows: list[list[Cell]] = []
    for i in stats.items:
        shares = " ".join(
            f"{o.id}{'*' if o.correct else ''}={o.share_all:.2f}" for o in i.options or []
        )
        rows.append(
            [
                i.position,
                i.item_id,
                _safe(i.section),
                i.kind,
                _safe(plain_text(i.stem)),
                i.max_points,
                i.facility_pct,
                i.sd_pct,
                i.discrimination_index_pct,
                i.discriminative_efficiency_pct,
                i.mean_time_s,
                shares,
                " ".join(i.warnings),
                i.irt_a,
                i.irt_b,
                i.irt_c,
            ]
        )
    return Table("items", header, rows)


def unencodable(table: Table) -> str | None:
    """The first text of a table that is not valid Unicode (a lone surrogate, which JSON can
    carry as an escape but no UTF-8 file can hold), else None."""
    for value in [*table.header, *(v for row in table.rows for v in row)]:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return value
    return None


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(escape_row(table.header))  # a dashboard table's headers come from the page
    writer.writerows(["" if v is None else v for v in escape_row(row)] for row in table.rows)
    # a byte order mark so spreadsheet programs read the UTF-8 (names with diacritics) right
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name[:31])  # the longest sheet title Excel reads
    sheet.append([xlsx_cell(sheet, v) for v in table.header])
    for row in table.rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
