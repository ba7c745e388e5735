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


# the charts' words, in the dashboard's two languages (the page asks with ?lang=)
LABELS = {
    "id": {
        "scores": "Sebaran nilai",
        "points": "poin",
        "sittings": "siswa",
        "mean": "rata-rata",
        "pass": "batas lulus",
        "empty": "Belum cukup peserta yang dinilai",
        "items": "Tingkat kesukaran dan daya beda tiap soal",
        "facility": "Tingkat kesukaran (% menjawab benar)",
        "discrimination": "Daya beda (%)",
        "question": "Soal",
        "good": "daerah baik",
    },
    "en": {
        "scores": "Score distribution",
        "points": "points",
        "sittings": "students",
        "mean": "mean",
        "pass": "pass mark",
        "empty": "Not enough graded sittings yet",
        "items": "Facility and discrimination of each question",
        "facility": "Facility (% correct)",
        "discrimination": "Discrimination (%)",
        "question": "Question",
        "good": "good region",
    },
}


def score_bins(scores: list[float], max_points: float) -> tuple[list[float], list[int], bool]:
    """(left edges, counts, whole) of the score histogram. Whole-number scores up to 60 get a
    bar per possible score, 0 to the maximum (a 20-point paper has 21 bars, so nobody's score
    sits between two bars); anything else gets 20 equal bins, the last one closed."""
    top = max(max_points, max(scores, default=0.0))
    whole = all(float(s).is_integer() for s in scores) and float(top).is_integer() and top <= 60
    if whole:
        counts = [0] * (int(top) + 1)
        for s in scores:
            counts[int(s)] += 1
        return [float(i) for i in range(int(top) + 1)], counts, True
    width = top / 20 if top > 0 else 1.0
    counts = [0] * 20
    for s in scores:
        counts[min(int(max(s, 0.0) / width), 19)] += 1
    return [i * width for i in range(20)], counts, False


def _vline(x: float, label: str, colour: str, dash: str, row: int) -> str:
    return (
        f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{colour}" '
        f'stroke-width="2" stroke-dasharray="{dash}"/>'
        f'<text x="{x + 4:.1f}" y="{TOP + 10 + 12 * row}" fill="{colour}">{escape(label)}</text>'
    )


def score_histogram_svg(
    scores: list[float],
    max_points: float,
    *,
    mean: float | None,
    pass_points: float | None,
    lang: str = "id",
) -> str:
    """Scores as bars on a 0..max axis, with the mean (solid) and the pass mark (dashed)."""
    words = LABELS.get(lang, LABELS["id"])
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="h-title" class="chart">'
        f'<title id="h-title">{escape(words["scores"])}</title>'
    )
    if len(scores) < 2:
        return (
            head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
            f"{escape(words['empty'])}</text></svg>"
        )
    lefts, counts, whole = score_bins(scores, max_points)
    top = _nice_max(max(counts))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (lefts[-1] + 1) if whole else max(max_points, max(scores)) or 1.0
    bar_w = plot_w / len(counts)

    def x_of(value: float) -> float:
        # whole scores: a bar is centred on its score
        return LEFT + (value + 0.5 if whole else value) / span * plot_w

    parts = [head, '<g class="axis">']
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
        label = (
            f"{_fmt(lefts[i])} {words['points']}: {count} {words['sittings']}"
            if whole
            else f"{_fmt(lefts[i])}–{_fmt(lefts[i] + span / len(counts))}: {count}"
        )
        parts.append(
            f'<rect x="{LEFT + i * bar_w + 1:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="#3b6ea5" '
            f'data-score="{_fmt(lefts[i])}" data-count="{count}">'
            f"<title>{escape(label)}</title></rect>"
        )
    parts.append('</g><g class="axis">')
    step = max(1, len(counts) // 10)
    for i in range(0, len(counts), step):
        x = LEFT + (i + 0.5) * bar_w if whole else LEFT + i * bar_w
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{_fmt(lefts[i])}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle">'
        f"{escape(words['points'])}</text></g>"
    )
    if mean is not None:
        line = _vline(x_of(mean), f"{words['mean']} {mean:.1f}", "#1b5e20", "0", 0)
        parts.append(f'<g class="mean">{line}</g>')
    if pass_points is not None:
        label = f"{words['pass']} {_fmt(pass_points)}"
        # the pass mark is a score reached, so it sits at its bar's left edge
        x = x_of(pass_points - 0.5 if whole else pass_points)
        parts.append(f'<g class="pass">{_vline(x, label, "#b71c1c", "6 4", 1)}</g>')
    parts.append("</svg>")
    return "".join(parts)
