"""The per-question chart: facility against discrimination, one dot per question, as SVG.

A question in the shaded region (facility 20-90%, discrimination 30% and above: Moodle's
"about right" to "easy" and "adequate" to "very good") works; a dot below the zero line
rewards weaker students. Dots are coloured by the item analysis' severity and carry the
question's number, so the chart and the table point at the same rows.
"""

from __future__ import annotations

from html import escape

import msgspec

from engine.web.charts import LABELS

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
Y_LOW, Y_HIGH = -50.0, 100.0
GOOD_FACILITY = (20.0, 90.0)
GOOD_DISCRIMINATION = 30.0
# severity 0..4 (engine/analytics/item_warnings.py SEVERITY): calm to alarming
COLOURS = ("#3b6ea5", "#6d6d00", "#b35900", "#c62828", "#c62828")


class ItemPoint(msgspec.Struct, frozen=True):
    item_id: str
    position: int
    facility_pct: float
    discrimination_pct: float
    severity: int


def _x(facility: float) -> float:
    return LEFT + max(0.0, min(facility, 100.0)) / 100.0 * (WIDTH - LEFT - RIGHT)


def _y(discrimination: float) -> float:
    d = max(Y_LOW, min(discrimination, Y_HIGH))
    return TOP + (Y_HIGH - d) / (Y_HIGH - Y_LOW) * (HEIGHT - TOP - BOTTOM)


def item_chart_svg(points: list[ItemPoint], lang: str = "id") -> str:
    words = LABELS.get(lang, LABELS["id"])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="i-title" class="chart">'
        f'<title id="i-title">{escape(words["items"])}</title>',
        f'<rect class="good" x="{_x(GOOD_FACILITY[0]):.1f}" y="{_y(Y_HIGH):.1f}" '
        f'width="{_x(GOOD_FACILITY[1]) - _x(GOOD_FACILITY[0]):.1f}" '
        f'height="{_y(GOOD_DISCRIMINATION) - _y(Y_HIGH):.1f}" fill="#2e7d32" fill-opacity="0.12">'
        f"<title>{escape(words['good'])}</title></rect>",
        '<g class="axis">',
    ]
    for tick in (0, 20, 40, 60, 80, 100):
        x = _x(tick)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{tick}</text>'
        )
    for tick in (-50, 0, 30, 50, 100):
        y = _y(tick)
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.6 if tick == 0 else 0.15}"/>'
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(words['facility'])}</text>"
        f'<text transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(words["discrimination"])}</text></g><g class="dots">'
    )
    for p in points:
        x, y = _x(p.facility_pct), _y(p.discrimination_pct)
        label = (
            f"{words['question']} {p.position}: {p.facility_pct:.0f}% / {p.discrimination_pct:.0f}%"
        )
        parts.append(
            f'<g class="dot" data-item="{escape(p.item_id)}" data-severity="{p.severity}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{COLOURS[min(p.severity, 4)]}">'
            f"<title>{escape(label)}</title></circle>"
            f'<text x="{x + 8:.1f}" y="{y + 4:.1f}">{p.position}</text></g>'
        )
    parts.append("</g></svg>")
    return "".join(parts)
