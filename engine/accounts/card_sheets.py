"""Exam cards as files a school prints: CSV (for mail merge) or a PDF of cut-out cards (fpdf2)."""

from __future__ import annotations

import csv
import io

import msgspec
from fpdf import FPDF

from engine.spreadsheet_cells import escape_row

CSV_COLUMNS = (
    "school",
    "class",
    "national_id",
    "username",
    "display_name",
    "exam",
    "code",
    "valid_from",
    "valid_until",
)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


class Card(msgspec.Struct, frozen=True):
    username: str
    display_name: str
    national_id: str
    class_name: str
    school: str
    exam: str
    code: str
    valid_from: str
    valid_until: str


def to_csv(cards: list[Card]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in cards:
        # names, classes and titles are typed by people: escaped against CSV injection
        writer.writerow(
            escape_row(
                (
                    c.school,
                    c.class_name,
                    c.national_id,
                    c.username,
                    c.display_name,
                    c.exam,
                    c.code,
                    c.valid_from,
                    c.valid_until,
                )
            )
        )
    return out.getvalue().encode("utf-8")


def _latin1(text: str) -> str:
    # the PDF core fonts are Latin-1; anything else prints as '?' rather than failing
    return text.encode("latin-1", errors="replace").decode("latin-1")


def to_pdf(cards: list[Card]) -> bytes:
    """A4 pages of 2 × 5 cards with cut lines."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    width, height, margin = 95.0, 54.0, 10.0
    for index, card in enumerate(cards):
        slot = index % 10
        if slot == 0:
            pdf.add_page()
        x, y = margin + (slot % 2) * width, margin + (slot // 2) * height
        pdf.set_draw_color(160, 160, 160)
        pdf.rect(x, y, width, height)
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width - 8, 5, _latin1(card.exam)[:60])
        pdf.set_font("Helvetica", "", 9)
        lines = (
            card.school,
            f"{card.display_name} ({card.class_name})",
            f"NISN {card.national_id}   user {card.username}",
        )
        for offset, line in enumerate(lines):
            pdf.set_xy(x + 4, y + 11 + offset * 5)
            pdf.cell(width - 8, 5, _latin1(line)[:70])
        pdf.set_xy(x + 4, y + 28)
        pdf.set_font("Courier", "B", 18)
        pdf.cell(width - 8, 10, card.code)
        pdf.set_xy(x + 4, y + 42)
        pdf.set_font("Helvetica", "", 7)
        pdf.cell(width - 8, 4, _latin1(f"valid {card.valid_from} to {card.valid_until}")[:90])
    if not cards:
        pdf.add_page()
    return bytes(pdf.output())


def render(cards: list[Card], fmt: str) -> bytes:
    return to_pdf(cards) if fmt == "pdf" else to_csv(cards)
