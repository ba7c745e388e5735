"""QTI 3.0 item export: one ``qti-assessment-item`` per item version.

Standard QTI carries the interaction, the correct response, mappings and area mappings, the
maximum score and the explanation (as modal feedback). What the standard response-processing
templates cannot say (partial credit rules, numeric tolerances, text normalisation, rubrics,
blank weights) rides along as ``data-ujian-*`` attributes on the interaction, which QTI 3
allows on body elements and other tools ignore. The stem is ``div.ujian-stem``.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

import msgspec

from grading.keys import NumericKey, ValueMap
from grading.scorers.common import mapping_bounds
from grading.scorers.numeric import numeric_credit
from question_bank.content import plain_text
from question_bank.items import (
    PLACEHOLDER,
    ChoiceOption,
    ClozeItem,
    EssayItem,
    ItemCreate,
    MatchingItem,
    MultipleResponseItem,
    NumericItem,
    OrderingItem,
    SelectPointItem,
    ShortTextItem,
    SingleChoiceItem,
    TrueFalseItem,
    split_item,
)
from question_bank.kinds import (
    Blank,
    ChoiceBlank,
    CompositeItem,
    GraphicSpec,
    NumericBlank,
    TextBlank,
)
from question_bank.qti_export_composite import write_body, write_declarations, write_processing
from question_bank.qti_export_rules import processing_rules
from question_bank.qti_gap_match import write_gap_match
from question_bank.qti_hottext import write_passage
from question_bank.qti_html import QTI_NS, append_html, q
from question_bank.qti_ids import MARK, MARKED, needs_prefix, prefixed
from question_bank.qti_stimulus import stimulus_file, write_stimulus_ref
from question_bank.scale import scale_values

ET.register_namespace("", QTI_NS)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def num(value: float) -> str:
    return repr(float(value))


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _declaration(
    parent: Element, identifier: str, cardinality: str, base_type: str, correct: list[str]
) -> Element:
    decl = SubElement(
        parent,
        q("qti-response-declaration"),
        {"identifier": identifier, "cardinality": cardinality, "base-type": base_type},
    )
    if correct:
        values = SubElement(decl, q("qti-correct-response"))
        for value in correct:
            SubElement(values, q("qti-value")).text = value
    return decl


def _bounds(lower: float | None, upper: float | None, points: float) -> dict[str, str]:
    """Both bounds, always: where the item names none, Ujian bounds a mapping to [0, points]
    and QTI leaves it unbounded, so the bounds Ujian applies are written out."""
    low, high = mapping_bounds(lower, upper, points)
    return {"lower-bound": num(low), "upper-bound": num(high)}


def _mapping(decl: Element, mapping: ValueMap | None, points: float) -> None:
    if mapping is None:
        return
    attrs = {
        "default-value": num(mapping.default_value),
        **_bounds(mapping.lower_bound, mapping.upper_bound, points),
    }
    element = SubElement(decl, q("qti-mapping"), attrs)
    for key, value in mapping.entries.items():
        SubElement(element, q("qti-map-entry"), {"map-key": key, "mapped-value": num(value)})


def _choices(parent: Element, tag: str, options: list[ChoiceOption]) -> None:
    for option in options:
        attrs = {"identifier": option.id}
        if option.fixed:
            attrs["fixed"] = "true"
        if tag == "qti-simple-associable-choice":
            attrs["match-max"] = "0"  # required by the schema; 0: as many as wanted
        append_html(SubElement(parent, q(tag), attrs), option.text)


def _extras(element: Element, **values: object) -> None:
    for name, value in values.items():
        element.set("data-ujian-" + name.replace("_", "-"), _json(value))


def _blank(body_parent: Element, root: Element, bid: str, blank: Blank) -> Element:
    match blank:
        case ChoiceBlank():
            _declaration(root, bid, "single", "identifier", [blank.correct])
            element = Element(q("qti-inline-choice-interaction"), {"response-identifier": bid})
            _choices(element, "qti-inline-choice", blank.options)
        case TextBlank():
            _declaration(root, bid, "single", "string", list(blank.accepted))
            element = Element(q("qti-text-entry-interaction"), {"response-identifier": bid})
            _extras(
                element,
                case_sensitive=blank.case_sensitive,
                ignore_diacritics=blank.ignore_diacritics,
            )
        case NumericBlank():
            _declaration(root, bid, "single", "float", [num(blank.value)])
            element = Element(q("qti-text-entry-interaction"), {"response-identifier": bid})
            _extras(
                element,
                absolute_tolerance=blank.absolute_tolerance,
                relative_tolerance=blank.relative_tolerance,
            )
    _extras(element, points=blank.points)
    return element


def _cloze_body(body: Element, root: Element, item: ClozeItem) -> None:
    # inline interactions may not stand directly in qti-item-body: the stem is a block
    body = SubElement(body, q("div"), {"class": "ujian-stem"})
    append_html(
        body, PLACEHOLDER.sub(lambda m: f"<ujian-blank>{m.group(1)}</ujian-blank>", item.stem)
    )
    first = True
    for parent in list(body.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag == q("ujian-blank"):
                bid = child.text or ""
                element = _blank(parent, root, bid, item.blanks[bid])
                if first:
                    # qti-item-body takes no data-* attributes: the first blank carries them
                    element.set("data-ujian-kind", "cloze")
                    _extras(element, partial_credit=item.partial_credit)
                    first = False
                element.tail = child.tail
                parent.remove(child)
                parent.insert(index, element)


def _interaction(root: Element, body: Element, item: ItemCreate) -> str:
    """Add the declaration and interaction of ``item``; returns its processing template."""
    template = "match_correct"
    rid = {"response-identifier": "RESPONSE"}
    match item:
        case SingleChoiceItem() | MultipleResponseItem() if item.hottext is not None:
            template = _hottext(root, body, item)
        case SingleChoiceItem() | MultipleResponseItem() if item.graphic is not None:
            template = _hotspot(root, body, item)
        case SingleChoiceItem() | MultipleResponseItem():
            single = isinstance(item, SingleChoiceItem)
            correct = [item.correct] if isinstance(item, SingleChoiceItem) else item.correct
            decl = _declaration(
                root, "RESPONSE", "single" if single else "multiple", "identifier", correct
            )
            _mapping(decl, item.mapping, item.points)
            template = "map_response" if item.mapping else template
            inter = SubElement(
                body,
                q("qti-choice-interaction"),
                rid,
                shuffle=str(item.shuffle).lower(),
                **{"max-choices": "1" if single else "0"},
            )
            _choices(inter, "qti-simple-choice", item.options)
            if isinstance(item, MultipleResponseItem):
                _extras(inter, partial_credit=item.partial_credit)
        case TrueFalseItem():
            _declaration(root, "RESPONSE", "single", "identifier", [str(item.correct).lower()])
            inter = SubElement(
                body,
                q("qti-choice-interaction"),
                rid,
                shuffle="false",
                **{"max-choices": "1", "class": "ujian-true-false"},
            )
            _choices(
                inter,
                "qti-simple-choice",
                [ChoiceOption("true", "True"), ChoiceOption("false", "False")],
            )
        case NumericItem() if item.slider is not None:
            template = _slider(root, body, item)
        case NumericItem():
            _declaration(root, "RESPONSE", "single", "float", [num(item.value)])
            inter = SubElement(SubElement(body, q("p")), q("qti-text-entry-interaction"), rid)
            _extras(
                inter,
                absolute_tolerance=item.absolute_tolerance,
                relative_tolerance=item.relative_tolerance,
                ranges=item.ranges,
                unit=item.unit,
            )
        case ShortTextItem():
            _declaration(root, "RESPONSE", "single", "string", list(item.accepted))
            inter = SubElement(
                SubElement(body, q("p")),
                q("qti-text-entry-interaction"),
                rid,
                **{"expected-length": str(item.max_length)},
            )
            _extras(
                inter,
                case_sensitive=item.case_sensitive,
                ignore_diacritics=item.ignore_diacritics,
                patterns=item.patterns,
                partial=item.partial,
            )
        case OrderingItem() if item.graphic is not None:
            _declaration(root, "RESPONSE", "ordered", "identifier", list(item.correct))
            inter = SubElement(body, q("qti-graphic-order-interaction"), rid)
            _graphic(inter, item.graphic, item.options)
            _extras(inter, partial_credit=item.partial_credit, shuffle=item.shuffle)
        case OrderingItem():
            _declaration(root, "RESPONSE", "ordered", "identifier", list(item.correct))
            inter = SubElement(
                body, q("qti-order-interaction"), rid, shuffle=str(item.shuffle).lower()
            )
            _choices(inter, "qti-simple-choice", item.options)
            _extras(inter, partial_credit=item.partial_credit)
        case MatchingItem() if item.gap_match is not None:
            decl = _declaration(
                root, "RESPONSE", "multiple", "directedPair", [f"{s} {t}" for s, t in item.pairs]
            )
            _mapping(decl, item.mapping, item.points)
            template = "map_response" if item.mapping else template
            # always written: 0 is as many as there are gaps, and the schema's default is 1
            attrs = {
                "shuffle": str(item.shuffle).lower(),
                "max-associations": str(item.gap_match.max_associations),
            }
            if item.gap_match.min_associations:
                attrs["min-associations"] = str(item.gap_match.min_associations)
            inter = write_gap_match(body, item, {**rid, **attrs})
            _extras(inter, partial_credit=item.partial_credit)
        case MatchingItem() if item.associate is not None:
            decl = _declaration(
                root, "RESPONSE", "multiple", "pair", [f"{s} {t}" for s, t in item.pairs]
            )
            _mapping(decl, item.mapping, item.points)
            template = "map_response" if item.mapping else template
            attrs = {
                "shuffle": str(item.shuffle).lower(),
                "max-associations": str(item.associate.max_associations),
            }
            if item.associate.min_associations:
                attrs["min-associations"] = str(item.associate.min_associations)
            inter = SubElement(body, q("qti-associate-interaction"), {**rid, **attrs})
            for choice in item.sources:
                choice_attrs = {
                    "identifier": choice.id,
                    "match-max": str(item.associate.match_max.get(choice.id, 1)),
                }
                if choice.fixed:
                    choice_attrs["fixed"] = "true"
                element = SubElement(inter, q("qti-simple-associable-choice"), choice_attrs)
                append_html(element, choice.text)
            _extras(inter, partial_credit=item.partial_credit)
        case MatchingItem():
            decl = _declaration(
                root, "RESPONSE", "multiple", "directedPair", [f"{s} {t}" for s, t in item.pairs]
            )
            _mapping(decl, item.mapping, item.points)
            template = "map_response" if item.mapping else template
            inter = SubElement(
                body,
                q("qti-match-interaction"),
                rid,
                shuffle=str(item.shuffle).lower(),
                **{"max-associations": "0"},
            )
            _choices(
                SubElement(inter, q("qti-simple-match-set")),
                "qti-simple-associable-choice",
                item.sources,
            )
            _choices(
                SubElement(inter, q("qti-simple-match-set")),
                "qti-simple-associable-choice",
                item.targets,
            )
            _extras(inter, partial_credit=item.partial_credit)
        case ClozeItem():
            _cloze_body(body, root, item)
        case EssayItem():
            _declaration(root, "RESPONSE", "single", "string", [])
            inter = SubElement(
                body,
                q("qti-extended-text-interaction"),
                rid,
                **{"expected-length": str(item.max_length)},
            )
            _extras(inter, rubric=item.rubric)
            template = ""  # marked by a person
        case SelectPointItem():
            decl = _declaration(root, "RESPONSE", "multiple", "point", [])
            attrs = {
                "default-value": num(item.default_value),
                **_bounds(item.lower_bound, item.upper_bound, item.points),
            }
            area_map = SubElement(decl, q("qti-area-mapping"), attrs)
            for area in item.areas:
                SubElement(
                    area_map,
                    q("qti-area-map-entry"),
                    {
                        "shape": area.shape,
                        # the schema's coords are integers (pixels)
                        "coords": ",".join(str(round(c)) for c in area.coords),
                        "mapped-value": num(area.mapped_value),
                    },
                )
            inter = SubElement(
                body,
                q("qti-select-point-interaction"),
                rid,
                **{"max-choices": str(item.max_choices)},
            )
            SubElement(
                inter,
                q("img"),
                src=item.image,
                width=str(item.width),
                height=str(item.height),
                alt="",
            )
            template = "map_response_point"
    return template


def _hottext(root: Element, body: Element, item: SingleChoiceItem | MultipleResponseItem) -> str:
    """A hottext's declaration and interaction (the passage inside it); returns its template."""
    assert item.hottext is not None
    single = isinstance(item, SingleChoiceItem)
    correct = [item.correct] if isinstance(item, SingleChoiceItem) else item.correct
    decl = _declaration(root, "RESPONSE", "single" if single else "multiple", "identifier", correct)
    _mapping(decl, item.mapping, item.points)
    attrs = {"response-identifier": "RESPONSE", "max-choices": str(item.hottext.max_choices)}
    if item.hottext.min_choices:
        attrs["min-choices"] = str(item.hottext.min_choices)
    inter = SubElement(body, q("qti-hottext-interaction"), attrs)
    write_passage(inter, item.hottext.passage, item.options)
    if isinstance(item, MultipleResponseItem):
        _extras(inter, partial_credit=item.partial_credit)
    return "map_response" if item.mapping else "match_correct"


def _hotspot(root: Element, body: Element, item: SingleChoiceItem | MultipleResponseItem) -> str:
    """A hotspot choice's declaration and interaction (the picture inside it); returns its
    template."""
    assert item.graphic is not None
    single = isinstance(item, SingleChoiceItem)
    correct = [item.correct] if isinstance(item, SingleChoiceItem) else item.correct
    decl = _declaration(root, "RESPONSE", "single" if single else "multiple", "identifier", correct)
    _mapping(decl, item.mapping, item.points)
    most = 1 if single else item.graphic.max_choices
    attrs = {"response-identifier": "RESPONSE", "max-choices": str(most)}
    if item.graphic.min_choices:
        attrs["min-choices"] = str(item.graphic.min_choices)
    inter = SubElement(body, q("qti-hotspot-interaction"), attrs)
    _graphic(inter, item.graphic, item.options)
    if isinstance(item, MultipleResponseItem):
        _extras(inter, partial_credit=item.partial_credit)
    # QTI's hotspot interaction has no shuffle of its own
    _extras(inter, shuffle=item.shuffle)
    return "map_response" if item.mapping else "match_correct"


def _graphic(inter: Element, spec: GraphicSpec, options: list[ChoiceOption]) -> None:
    """The picture and a ``qti-hotspot-choice`` for each option, labelled with its words."""
    picture = {"src": spec.image, "alt": spec.alt or ""}
    if spec.width is not None and spec.height is not None:
        # no size: the picture's own, as the item was written
        picture.update(width=str(spec.width), height=str(spec.height))
    SubElement(inter, q("img"), picture)
    for option in options:
        hotspot = spec.hotspots[option.id]
        attrs = {
            "identifier": option.id,
            "shape": hotspot.shape,
            "coords": ",".join(_coord(c) for c in hotspot.coords),
            "hotspot-label": plain_text(option.text),
        }
        SubElement(inter, q("qti-hotspot-choice"), attrs)


def _coord(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _scale_value(item: NumericItem, value: float) -> str:
    integer = item.slider is not None and item.slider.base_type == "integer"
    return str(int(value)) if integer else num(value)


def _slider(root: Element, body: Element, item: NumericItem) -> str:
    """A slider's declaration and interaction; returns its processing template."""
    assert item.slider is not None
    spec = item.slider
    decl = _declaration(
        root, "RESPONSE", "single", spec.base_type, [_scale_value(item, item.value)]
    )
    # the tolerances and bands are Ujian's; for other tools every value of the scale that
    # earns credit is a map entry, which scores the same (a slider gives no other values)
    key = split_item("", item)[1]
    assert isinstance(key, NumericKey)
    earning = [(v, numeric_credit(key, v)) for v in scale_values(spec)]
    entries = [(v, c) for v, c in earning if c > 0]
    template = "match_correct"
    if [v for v, _ in entries] != [item.value] or entries[0][1] != 1.0:
        mapping = SubElement(decl, q("qti-mapping"), {"default-value": num(0)})
        for value, credit in entries:
            SubElement(
                mapping,
                q("qti-map-entry"),
                {"map-key": _scale_value(item, value), "mapped-value": num(credit * item.points)},
            )
        template = "map_response"
    attrs = {
        "response-identifier": "RESPONSE",
        "lower-bound": num(spec.lower_bound),
        "upper-bound": num(spec.upper_bound),
        "step": num(spec.step),
    }
    if spec.step_label:
        attrs["step-label"] = "true"
    if spec.orientation is not None:
        attrs["orientation"] = spec.orientation
    if spec.reverse:
        attrs["reverse"] = "true"
    inter = SubElement(body, q("qti-slider-interaction"), attrs)
    _extras(
        inter,
        absolute_tolerance=item.absolute_tolerance,
        relative_tolerance=item.relative_tolerance,
        ranges=item.ranges,
        unit=item.unit,
    )
    return template


def export_item(identifier: str, item: ItemCreate, stimulus_href: str | None = None) -> bytes:
    """A QTI 3.0 ``qti-assessment-item`` document for a (normalised) authored item.

    An item's stimulus is referred to, not copied: at ``stimulus_href``, by default where a
    package export puts it beside the item's folder (``../stimuli/<id>.xml``)."""
    # ids that are not XML names are written prefixed, and the body says so (qti_ids.py)
    marked = needs_prefix(item)
    if marked:
        item = prefixed(item)
    # the blanks' {{id}} place-holders are Ujian's own notation: they stay out of the title
    title = " ".join(PLACEHOLDER.sub(" ", plain_text(item.stem)).split())[:80] or identifier
    root = Element(
        q("qti-assessment-item"),
        {"identifier": identifier, "title": title, "adaptive": "false", "time-dependent": "false"},
    )
    if item.metadata.language:
        root.set(XML_LANG, item.metadata.language)
    body = Element(q("qti-item-body"), {MARK: MARKED} if marked else {})
    template = ""
    declared: set[str] = set()
    if isinstance(item, CompositeItem):
        # the author's own declarations and processing, written back as they came (ADR 0020)
        declared = write_declarations(root, item)
        write_body(body, item, _interaction)
    else:
        # a cloze's and a gap match's stem holds its interactions: it is written with them
        if not isinstance(item, ClozeItem) and not (
            isinstance(item, MatchingItem) and item.gap_match is not None
        ):
            append_html(SubElement(body, q("div"), {"class": "ujian-stem"}), item.stem)
        template = _interaction(root, body, item)
        SubElement(
            root,
            q("qti-outcome-declaration"),
            {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
        )
    if "MAXSCORE" not in declared:
        maxscore = SubElement(
            root,
            q("qti-outcome-declaration"),
            {"identifier": "MAXSCORE", "cardinality": "single", "base-type": "float"},
        )
        value = SubElement(SubElement(maxscore, q("qti-default-value")), q("qti-value"))
        value.text = num(item.points)
    if item.explanation and "FEEDBACK" not in declared:
        SubElement(
            root,
            q("qti-outcome-declaration"),
            {"identifier": "FEEDBACK", "cardinality": "single", "base-type": "identifier"},
        )
    if item.stimulus is not None:
        href = stimulus_href or "../" + stimulus_file(item.stimulus)
        write_stimulus_ref(root, item.stimulus, href)
    root.append(body)
    rules = processing_rules(item, template) if template else None
    if isinstance(item, CompositeItem):
        write_processing(root, item)
    elif rules is not None:
        SubElement(root, q("qti-response-processing")).extend(rules)
    elif template:
        SubElement(root, q("qti-response-processing"), template=TEMPLATES + template + ".xml")
    if item.explanation:
        feedback = SubElement(
            root,
            q("qti-modal-feedback"),
            {"identifier": "explanation", "outcome-identifier": "FEEDBACK", "show-hide": "show"},
        )
        # the schema wants the feedback's content inside qti-content-body
        append_html(SubElement(feedback, q("qti-content-body")), item.explanation)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out
