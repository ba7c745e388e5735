"""The rules of a graphic item: every option is a hotspot of the picture, each a place the page
can draw its label at (a graphic order's ordering, a hotspot interaction's single or multiple
choice).

Checked where an authored ordering or choice item becomes a key (``items.split_item``), so an
item the API takes, the QTI import reads or a package brings in is one the student page can
draw (the picture with each option's label at its place) and the QTI export can write valid
(``qti-hotspot-choice`` with its shape and coords).
"""

from __future__ import annotations

from question_bank.kinds import MEDIA_PATH, ChoiceOption, GraphicSpec, Hotspot, ItemError

# how many numbers each shape takes (a polygon: three points at least, in pairs)
_COORDS = {"circle": 3, "rect": 4, "ellipse": 4}


def centre(hotspot: Hotspot) -> tuple[float, float]:
    """Where a hotspot's label stands: its centre (a polygon's: the mean of its points)."""
    c = hotspot.coords
    if hotspot.shape == "rect":
        return ((c[0] + c[2]) / 2, (c[1] + c[3]) / 2)
    if hotspot.shape == "poly":
        return (sum(c[0::2]) / len(c[0::2]), sum(c[1::2]) / len(c[1::2]))
    return (c[0], c[1])


def check_graphic(spec: GraphicSpec, options: list[ChoiceOption]) -> None:
    """Raises ItemError when the picture or the hotspots do not make a graphic item."""
    if not spec.image.startswith((MEDIA_PATH, "https://")):
        # the same policy as every image of a stem: our media endpoint or https
        raise ItemError("graphic.image", f"must be under {MEDIA_PATH} or an https URL")
    if (spec.width is None) != (spec.height is None):
        # half a size would stretch the picture the coords are measured on
        raise ItemError("graphic.width", "give the picture's width and height, or neither")
    ids = [o.id for o in options]
    if sorted(spec.hotspots) != sorted(ids):
        missing = sorted(set(ids) ^ set(spec.hotspots))
        raise ItemError("graphic.hotspots", f"every option needs one hotspot: {missing}")
    for oid, hotspot in spec.hotspots.items():
        n = len(hotspot.coords)
        want = _COORDS.get(hotspot.shape)
        if (want is not None and n != want) or (want is None and (n < 6 or n % 2)):
            raise ItemError("graphic.hotspots", f"{oid}: {n} coords do not make a {hotspot.shape}")
        # QTI's coords are whole pixels (its schema's pattern takes digits only)
        if any(v != v or abs(v) > 100_000 or v != int(v) for v in hotspot.coords):
            raise ItemError("graphic.hotspots", f"{oid}: a coord is not a whole number of pixels")
        x, y = centre(hotspot)
        # a picture of its own size is at least as large as the numbers say; never less than 0
        width = spec.width if spec.width is not None else float("inf")
        height = spec.height if spec.height is not None else float("inf")
        if not (0 <= x <= width and 0 <= y <= height):
            size = f" {spec.width} × {spec.height}" if spec.width is not None else ""
            raise ItemError("graphic.hotspots", f"{oid} lies off the{size} picture")


def check_hotspot_order(spec: GraphicSpec) -> None:
    """An ordering puts every hotspot in order: it takes no choice counts."""
    if spec.max_choices or spec.min_choices:
        raise ItemError("graphic.max_choices", "an ordering puts every hotspot in order")


def check_hotspot_choice(spec: GraphicSpec, options: int, correct: list[str], single: bool) -> None:
    """Raises ItemError when the choice counts of a hotspot choice cannot be answered: a single
    choice takes one hotspot, no limit above the hotspots there are or below ``min_choices``,
    and a key the limit lets a student give."""
    most = options if spec.max_choices == 0 else spec.max_choices
    if single and spec.max_choices != 1:
        raise ItemError("graphic.max_choices", "a single choice takes one hotspot")
    if spec.max_choices > options:
        raise ItemError("graphic.max_choices", "more than the picture has hotspots")
    if spec.min_choices > most:
        raise ItemError("graphic.min_choices", "more than max_choices allows")
    if len(correct) > most:
        raise ItemError("correct", "more hotspots than max_choices allows")
