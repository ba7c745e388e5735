"""Charts drawn on the server as SVG: no chart library in the browser, nothing from a CDN, and
the picture is the same in the dashboard, a saved page or an export.

Pure functions of the numbers; every text is escaped, so the SVG can be inlined.
"""

from __future__ import annotations

from html import escape

from grading.statistics import Histogram

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 40


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _nice_max(value: int) -> int:
    """The smallest 1-2-5 step ceiling at or above ``value`` (an axis that reads well)."""
    if value <= 5:
        return max(1, value)
    magnitude: int = 10 ** (len(str(value)) - 1)
    return next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= value)


def histogram_svg(
    histogram: Histogram | None, *, title: str = "Score distribution", x_label: str = "score"
) -> str:
    """A bar per bin; the y axis counts sittings. Empty histogram → a frame saying so."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="h-title" class="chart">'
        f'<title id="h-title">{escape(title)}</title>'
    )
    if histogram is None or not histogram.counts or sum(histogram.counts) == 0:
        return (
            head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
            "No graded sittings yet</text></svg>"
        )
    counts, edges = histogram.counts, histogram.edges
    top = _nice_max(max(counts))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / len(counts)
    parts = [
        head,
        f'<g class="axis"><line x1="{LEFT}" y1="{TOP + plot_h}" '
        f'x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="currentColor"/>',
    ]
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="currentColor" stroke-opacity="0.15"/>'
        )
    parts.append('</g><g class="bars">')
    for i, count in enumerate(counts):
        h = plot_h * count / top
        x = LEFT + i * bar_w
        label = f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}: {count}"
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="#3b6ea5"><title>{escape(label)}</title></rect>'
        )
    parts.append('</g><g class="axis">')
    step = max(1, len(counts) // 10)
    for i in range(0, len(edges), step):
        x = LEFT + i * bar_w
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{_fmt(edges[i])}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle">'
        f"{escape(x_label)}</text></g></svg>"
    )
    return "".join(parts)
