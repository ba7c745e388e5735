"""Select-point items with QTI areaMapping (map_response_point)."""

from __future__ import annotations

from grading.keys import AreaMapEntry, SelectPointKey
from grading.scorers.common import blank, from_points, mapping_bounds
from grading.types import ItemScore


def _in_polygon(coords: tuple[float, ...], x: float, y: float) -> bool:
    # even-odd ray casting; QTI polygons may repeat the first vertex at the end, harmlessly
    xs, ys = coords[0::2], coords[1::2]
    inside = False
    j = len(xs) - 1
    for i in range(len(xs)):
        if (ys[i] > y) != (ys[j] > y):
            cross = (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i]
            if x < cross:
                inside = not inside
        j = i
    return inside


def area_contains(area: AreaMapEntry, x: float, y: float) -> bool:
    c = area.coords
    match area.shape:
        case "circle" if len(c) >= 3:
            return (x - c[0]) ** 2 + (y - c[1]) ** 2 <= c[2] ** 2
        case "rect" if len(c) >= 4:
            return min(c[0], c[2]) <= x <= max(c[0], c[2]) and min(c[1], c[3]) <= y <= max(
                c[1], c[3]
            )
        case "ellipse" if len(c) >= 4 and c[2] > 0 and c[3] > 0:
            return ((x - c[0]) / c[2]) ** 2 + ((y - c[1]) / c[3]) ** 2 <= 1.0
        case "poly" if len(c) >= 6:
            return _in_polygon(c, x, y)
        case _:
            return False


def score_select_point(key: SelectPointKey, points: tuple[tuple[float, float], ...]) -> ItemScore:
    low, high = mapping_bounds(key.lower_bound, key.upper_bound, key.points)
    if not points:
        return blank(key.points, min(low, 0.0))
    hit: set[int] = set()
    total = 0.0
    for x, y in points:
        inside = [i for i, area in enumerate(key.areas) if area_contains(area, x, y)]
        if not inside:
            total += key.default_value
        # QTI: a point in overlapping areas counts for the first; each area counts once
        elif inside[0] not in hit:
            hit.add(inside[0])
            total += key.areas[inside[0]].mapped_value
    return from_points(min(high, max(low, total)), key.points, min(low, 0.0))
