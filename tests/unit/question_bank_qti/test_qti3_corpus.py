"""Real QTI 3.0 items from other tools (tests/data/qti3, see SOURCES.md), imported faithfully.

Every expectation below was written by reading the item's XML: its kind, the start of its stem,
its correct response and what its own response processing gives a right, a partial and a wrong
response. Each imported item is then exported, validated against the official XSD, imported
again and scored again. Items of kinds or processing this bank does not support are refused by
name, with a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from grading.responses import (
    ClozeResponse,
    MatchingResponse,
    MultipleResponseResponse,
    NumericResponse,
    OrderingResponse,
    Response,
    SelectPointResponse,
    ShortTextResponse,
    SingleChoiceResponse,
)
from grading.scoring import score_item
from question_bank.content import plain_text
from question_bank.items import item_kind, split_item
from question_bank.packages import relink
from question_bank.qti_export import export_item
from question_bank.qti_import import QtiError, import_item
from tests.unit.question_bank_qti.qti3_schema import CORPUS, schema_errors

ONE = "1edtech/"


@dataclass(frozen=True)
class Expect:
    path: str
    kind: str
    stem: str  # the start of the stem's words
    correct: object
    right: Response
    right_score: float
    wrong: Response
    wrong_score: float = 0.0
    partial: Response | None = None
    partial_score: float = 0.0


def single(c: str) -> SingleChoiceResponse:
    return SingleChoiceResponse(c)


def multi(*cs: str) -> MultipleResponseResponse:
    return MultipleResponseResponse(frozenset(cs))


def text(t: str) -> ShortTextResponse:
    return ShortTextResponse(t)


def pairs(*ps: str) -> MatchingResponse:
    return MatchingResponse(frozenset(tuple(p.split()) for p in ps))  # type: ignore[misc]


SAX = ONE + "interactionMixSaxonyV3/"
ENG = ONE + "englishBasicLevelV2/"
BBQ = ONE + "BBQsTest/"
ITEMS = ONE + "items/"
MATCH_MULTI = (
    "Match10102103 Match29006155",
    "Match10268373 Match29006155",
    "Match25691226 Match14014848",
    "Match25775772 Match10555042",
    "Match622431 Match27675497",
)
EXPECTED = [
    # derivatives in MathML: d/dθ tan θ with sec² θ is worth two marks, the others one each
    Expect(
        BBQ + "id-200e2c3f7d76/matching-associate-trigDeriv.xml",
        "matching",
        "Which expressions in the table below are equivalent? Match the expressions:",
        [("A", "D"), ("B", "E"), ("C", "F")],
        pairs("A D", "B E", "C F"),
        4.0,
        pairs("A E", "B D"),
        0.0,
        pairs("F C"),
        2.0,
    ),
    Expect(
        BBQ + "id-371b0f88774a/MultipleChoice-choice-polynomials.xml",
        "single_choice",
        "Which of the following is not a polynomial?",
        "ChoiceA",
        single("ChoiceA"),
        2.0,
        single("ChoiceB"),
    ),
    Expect(
        BBQ + "id-3cd82285401e/MultipleAnswer-choice-materials.xml",
        "multiple_response",
        "Select the application(s) for which aluminium alloy",
        ["A", "I"],
        multi("A", "I"),
        2.0,
        multi("B"),
        0.0,
        multi("A"),
        1.0,
    ),
    Expect(
        BBQ + "id-83210b60ed8f/TF-choice.xml",
        "single_choice",
        "An octahedron has 12 faces.",
        "ChoiceB",
        single("ChoiceB"),
        1.0,
        single("ChoiceA"),
    ),
    Expect(
        BBQ + "id-c0bdd9a130c7/text_entry-calculus.xml",
        "short_text",
        "What property of a graph is represented by the derivative?",
        ["gradient"],
        text("gradient"),
        1.0,
        text("Gradient"),
    ),
    Expect(
        ONE + "ccPackage/testitems/QUE_102010.xml",
        "single_choice",
        "Sigmund Freud and Carl Jung both belong",
        "true",
        single("true"),
        1.0,
        single("false"),
    ),
    Expect(
        ONE + "ccPackage/testitems/QUE_102011.xml",
        "short_text",
        "An operant conditioning chamber",
        ["Skinner Box"],
        text("skinner box"),
        100.0,
        text("Pavlov box"),
    ),
    Expect(
        ENG + "A_104374830.xml",
        "short_text",
        "songs - to sing (Simple Past)",
        ["songs were sung"],
        text("songs were sung"),
        1.0,
        text("Songs were sung"),
    ),
    Expect(
        ENG + "A_1724166344.xml",
        "short_text",
        "a prize - to win (Simple Past)",
        ["a prize was won"],
        text("a prize was won"),
        1.0,
        text("a prize was win"),
    ),
    Expect(
        ENG + "C_1040094513.xml",
        "single_choice",
        "The bus driver was hurt.",
        "choice_1572169472",
        single("choice_1572169472"),
        1.0,
        single("x"),
    ),
    Expect(
        ENG + "C_125080616.xml",
        "single_choice",
        "Lots of houses were destroyed.",
        "choice_935689104",
        single("choice_935689104"),
        1.0,
        single("x"),
    ),
    Expect(
        ENG + "D_1010823154.xml",
        "short_text",
        "Coffee is sold by Marie.",
        ["Marie sells coffee."],
        text("Marie sells coffee."),
        1.0,
        text("marie sells coffee."),
    ),
    Expect(
        ENG + "E_1171606219.xml",
        "single_choice",
        "The old vessel was being towed into harbour.",
        "choice_1327172139",
        single("choice_1327172139"),
        1.0,
        single("x"),
    ),
    Expect(
        ENG + "F_1344365064.xml",
        "multiple_response",
        "Was sind typische Signalwörter für das Present Perfect?",
        ["choice_1427918982", "choice_1945125555", "choice_1588758614", "choice_1949835229"],
        multi("choice_1427918982", "choice_1945125555", "choice_1588758614", "choice_1949835229"),
        1.0,
        multi("choice_1427918982"),
        0.0,
    ),
    Expect(
        ONE + "englishHighLevelV2/Item1_1792983784.xml",
        "essay",
        "1. Everybody should be allowed to settle freely",
        None,
        ShortTextResponse("x"),
        0.0,
        ShortTextResponse("y"),
    ),
    Expect(
        SAX + "Choicemultiple_2014410822.xml",
        "multiple_response",
        "Welche Städte verfügen nicht über einen Internationalen Flughafen?",
        ["choice_693643701", "choice_853818748"],
        multi("choice_693643701", "choice_853818748"),
        1.0,
        multi("choice_693643701"),
    ),
    Expect(
        SAX + "Choicesingle_853928446.xml",
        "single_choice",
        "Das Bundesland Sachsen hat die folgende Flagge",
        "choice_685440446",
        single("choice_685440446"),
        1.0,
        single("x"),
    ),
    Expect(
        SAX + "Choicetruefalse_176040516.xml",
        "single_choice",
        "Das Bundesland Sachsen ist eines der neuen Bundesländer",
        "choice_1164834606",
        single("choice_1164834606"),
        1.0,
        single("x"),
    ),
    Expect(
        SAX + "Matchmultiple_1038910213.xml",
        "matching",
        "Das Bundesland Sachsen besitzt viele kulturelle",
        [tuple(p.split()) for p in MATCH_MULTI],
        pairs(*MATCH_MULTI),
        1.0,
        pairs(*MATCH_MULTI[:4]),
    ),
    Expect(
        SAX + "Matchsingle_143114773.xml",
        "matching",
        "Der wichtigste, größte und einzig schiffbare Fluss",
        [
            ("Match28433682", "Match2675678"),
            ("Match7191791", "Match9372581"),
            ("Match20473010", "Match22744006"),
            ("Match6429655", "Match17943221"),
        ],
        pairs(
            "Match28433682 Match2675678",
            "Match7191791 Match9372581",
            "Match20473010 Match22744006",
            "Match6429655 Match17943221",
        ),
        1.0,
        pairs("Match28433682 Match2675678"),
    ),
    Expect(
        SAX + "Order_913967682.xml",
        "ordering",
        "Sortiere die genannten Parteien nach Ihrer Sitzverteilung",
        ["Choice0", "Choice1", "Choice2", "Choice3", "Choice4"],
        OrderingResponse(("Choice0", "Choice1", "Choice2", "Choice3", "Choice4")),
        1.0,
        OrderingResponse(("Choice1", "Choice0", "Choice2", "Choice3", "Choice4")),
    ),
    Expect(
        SAX + "TextEntry_883368511.xml",
        "short_text",
        "Mit 1215 Metern ist der die höchste Erhebung",
        ["Fichtelberg"],
        text("FICHTELBERG"),
        1.0,
        text("Brocken"),
    ),
    Expect(
        SAX + "TextEntrynumeric_2040297025.xml",
        "cloze",
        "Das Bundesland Sachsen grenzt an {{RESPONSE_1}} andere",
        {"RESPONSE_1": 4.0, "RESPONSE_2": 2.0},
        ClozeResponse({"RESPONSE_1": NumericResponse(4), "RESPONSE_2": NumericResponse(2)}),
        2.0,
        ClozeResponse({"RESPONSE_1": NumericResponse(3), "RESPONSE_2": NumericResponse(3)}),
        0.0,
        ClozeResponse({"RESPONSE_1": NumericResponse(4), "RESPONSE_2": NumericResponse(3)}),
        1.0,
    ),
    Expect(
        ITEMS + "choice.xml",
        "single_choice",
        "Look at the text in the picture. What does it say?",
        "ChoiceA",
        single("ChoiceA"),
        1.0,
        single("ChoiceB"),
    ),
    Expect(
        ITEMS + "choice_fixed.xml",
        "single_choice",
        "Look at the text in the picture. What does it say?",
        "ChoiceA",
        single("ChoiceA"),
        1.0,
        single("ChoiceC"),
    ),
    Expect(
        ITEMS + "choice_multiple.xml",
        "multiple_response",
        "Which of the following elements are used to form water?",
        ["H", "O"],
        multi("H", "O"),
        2.0,
        multi("Cl"),
        0.0,
        multi("H"),
        1.0,
    ),
    Expect(
        ITEMS + "extended_text.xml",
        "essay",
        "Read this postcard from your English pen-friend, Sam.",
        None,
        ShortTextResponse("x"),
        0.0,
        ShortTextResponse("y"),
    ),
    Expect(
        ITEMS + "inline_choice.xml",
        "cloze",
        "Identify the missing word in this famous quote from Shakespeare",
        {"RESPONSE": "Y"},
        ClozeResponse({"RESPONSE": single("Y")}),
        1.0,
        ClozeResponse({"RESPONSE": single("G")}),
    ),
    Expect(
        ITEMS + "inline_choice_math.xml",
        "cloze",
        "Answer the question. If a = b and b = c",
        {"RESPONSE": "choice2"},
        ClozeResponse({"RESPONSE": single("choice2")}),
        1.0,
        ClozeResponse({"RESPONSE": single("choice1")}),
    ),
    # Richard III: two gaps, four gap texts; one mark for winter, two for summer, one taken
    # off for any other pair, never below nothing
    Expect(
        ITEMS + "gap_match.xml",
        "matching",
        "Identify the missing words in this famous quote from Shakespeare's Richard III. "
        "Now is the {{G1}} of our discontent",
        [("W", "G1"), ("Su", "G2")],
        pairs("W G1", "Su G2"),
        3.0,
        pairs("Sp G1", "A G2"),
        0.0,
        pairs("Su G2", "Sp G1"),
        1.0,
    ),
    Expect(
        ONE + "QTI3_BPIG_Examples/items/gap-match-example-1.xml",
        "matching",
        "Identify the missing words in this famous quote from Shakespeare's Richard III. "
        "Now is the {{G1}} of our discontent",
        [("W", "G1"), ("Su", "G2")],
        pairs("W G1", "Su G2"),
        3.0,
        pairs("Su G1"),
        0.0,
        pairs("W G1"),
        1.0,
    ),
    # Shakespeare's rivals: three undirected pairs of six characters, two marks for Antonio
    # and Prospero; a pair given the other way round is the same pair
    Expect(
        ITEMS + "associate.xml",
        "matching",
        "Hidden in this list of characters from famous Shakespeare plays are three pairs",
        [("A", "P"), ("C", "M"), ("D", "L")],
        pairs("A P", "C M", "D L"),
        4.0,
        pairs("A C", "P M"),
        0.0,
        pairs("P A", "L M"),
        2.0,
    ),
    Expect(
        ONE + "QTI3_BPIG_Examples/items/QTI3-associate.xml",
        "matching",
        "Hidden in this list of characters from famous Shakespeare plays are three pairs",
        [("A", "P"), ("C", "M"), ("D", "L")],
        pairs("P A", "M C", "L D"),
        4.0,
        pairs("A D"),
        0.0,
        pairs("M C", "L D"),
        2.0,
    ),
    # Lorna's airports on a map, in her order of preference: all or nothing
    Expect(
        ITEMS + "graphic_order.xml",
        "ordering",
        "Lorna is flying back home to the UK. Ideally, she would like to fly in directly",
        ["A", "D", "C", "B"],
        OrderingResponse(("A", "D", "C", "B")),
        1.0,
        OrderingResponse(("D", "A", "C", "B")),
        0.0,
    ),
    Expect(
        ONE + "QTI3_BPIG_Examples/items/QTI3-graphic-order.xml",
        "ordering",
        "Lorna is flying back home to the UK. Ideally, she would like to fly in directly",
        ["A", "D", "C", "B"],
        OrderingResponse(("A", "D", "C", "B")),
        1.0,
        OrderingResponse(("A", "B", "C", "D")),
        0.0,
    ),
    Expect(
        ITEMS + "match.xml",
        "matching",
        "Match the following characters to the Shakespeare play",
        [("C", "R"), ("D", "M"), ("L", "M"), ("P", "T")],
        pairs("C R", "D M", "L M", "P T"),
        3.0,
        pairs("C M"),
        0.0,
        pairs("C R"),
        1.0,
    ),
    Expect(
        ITEMS + "math.xml",
        "single_choice",
        "Which famous scientist is popularly associated with the equation",
        "E",
        single("E"),
        1.0,
        single("A"),
    ),
    Expect(
        ITEMS + "order.xml",
        "ordering",
        "The following F1 drivers finished on the podium",
        ["DriverC", "DriverA", "DriverB"],
        OrderingResponse(("DriverC", "DriverA", "DriverB")),
        1.0,
        OrderingResponse(("DriverA", "DriverB", "DriverC")),
    ),
    Expect(
        ITEMS + "select_point.xml",
        "select_point",
        "Mark Edinburgh on this map of the United Kingdom.",
        None,
        SelectPointResponse(((102.0, 113.0),)),
        1.0,
        SelectPointResponse(((10.0, 10.0),)),
    ),
    Expect(
        ITEMS + "text_entry.xml",
        "short_text",
        "Identify the missing word in this famous quote from Shakespeare",
        ["York"],
        text("York"),
        1.0,
        text("Lancaster"),
        0.0,
        text("york"),
        0.5,
    ),
    Expect(
        # an integer slider with a mapping: 14 to 18 full marks, 12, 13, 19 and 20 half
        ITEMS + "slider.xml",
        "numeric",
        "Much to the dismay of Star Wars fans",
        16.0,
        NumericResponse(14),
        1.0,
        NumericResponse(21),
        0.0,
        NumericResponse(12),
        0.5,
    ),
    Expect(
        # find the three wrong facts in the passage: all three, and nothing else, for the mark
        SAX + "Hottext_801974120.xml",
        "multiple_response",
        "Geburtenrate in Sachsen Sind die Fakten alle korrekt? Suche drei Fehler!",
        ["Choice1", "Choice3", "Choice8"],
        multi("Choice1", "Choice3", "Choice8"),
        1.0,
        multi("Choice0", "Choice4"),
        0.0,
        multi("Choice1", "Choice3"),
        0.0,
    ),
    # Dresden among twelve unlabelled places on a sketch of Saxony (a picture given no size):
    # a single choice whose options are the places, lettered in the author's order
    Expect(
        SAX + "Hotspot_278940407.xml",
        "single_choice",
        "Dresden ist die Landeshauptstadt des Freistaates Sachsen. Wähle die Stadt Dresden",
        "Choice6",
        single("Choice6"),
        1.0,
        single("Choice5"),
    ),
]
REFUSED = [
    (BBQ + "id-be3cd3bdd3d4/order-mountains.xml", "qti_unsupported_processing", "qti-index"),
    (SAX + "Choicemultiple_871212949.xml", "qti_unsupported_processing", "scores -1"),
    (SAX + "TextEntrynumeric_770468849.xml", "qti_unsupported_processing", "4.17736"),
    (SAX + "TextEntrysubset_806481421.xml", "qti_unsupported_processing", "RESPONSE_1"),
    # composites (ADR 0016): four gap-match interactions, each with its own response, and no
    # processing to say what they are worth
    (
        ONE + "shared-vocabulary/Item_QTI3_Gap_Match_02/gap-match-qti3.xml",
        "qti_unsupported_processing",
        "(RESPONSE1, RESPONSE2, RESPONSE3, RESPONSE4) with no response processing",
    ),
    # Mathqurate's legend of Marion: a choice, an inline choice and a text entry in a
    # sentence, and a gap match, each scored apart and summed; the text entry's last chance
    # is a qti-substring, which is not executed
    (ITEMS + "multi-input.xml", "qti_unsupported_processing", "qti-substring"),
    (ITEMS + "order_partial_scoring.xml", "qti_unsupported_processing", "DriverC"),
    (ITEMS + "upload.xml", "qti_unsupported_interaction", "qti-upload-interaction"),
]


# the corpus keeps no pictures: a picture the import must accept is linked as a package's
# media would be, to an https URL (the image policy refuses relative paths)
MEDIA = {
    "images/uk.png": "https://media.example.org/uk.png",
    "images/ukair.png": "https://media.example.org/ukair.png",
    "media/f88c5aa2c6724a388fdbadc7133eb757.jpg": "https://media.example.org/sachsen.jpg",
}


def _document(path: str) -> bytes:
    return relink((CORPUS / path).read_bytes(), MEDIA)


def _correct(item: object) -> object:
    kind = item_kind(item)  # type: ignore[arg-type]
    if kind == "cloze":
        return {
            k: getattr(b, "correct", None) or getattr(b, "accepted", None) or b.value
            for k, b in item.blanks.items()  # type: ignore[attr-defined]
        }
    if kind == "matching":
        return item.pairs  # type: ignore[attr-defined]
    if kind == "short_text":
        return item.accepted  # type: ignore[attr-defined]
    if kind == "numeric":
        return item.value  # type: ignore[attr-defined]
    return getattr(item, "correct", None)


def _scores(item: object, expect: Expect) -> list[float]:
    key = split_item("", item)[1]  # type: ignore[arg-type]
    responses = [expect.right, expect.wrong] + ([expect.partial] if expect.partial else [])
    return [score_item(key, r).points for r in responses]


def test_a_select_point_picture_outside_the_image_policy_is_refused() -> None:
    with pytest.raises(QtiError) as caught:
        import_item((CORPUS / ITEMS / "select_point.xml").read_bytes())
    assert "image" in caught.value.message


def test_the_expectations_cover_at_least_thirty_items() -> None:
    assert len(EXPECTED) + len(REFUSED) >= 30 and len(EXPECTED) >= 30


@pytest.mark.parametrize("expect", EXPECTED, ids=lambda e: e.path.rsplit("/", 1)[-1])
def test_a_real_item_imports_as_its_author_wrote_it(expect: Expect) -> None:
    item = import_item(_document(expect.path))
    assert item_kind(item) == expect.kind
    assert plain_text(item.stem).startswith(expect.stem)
    if expect.correct is not None:
        assert _correct(item) == expect.correct
    want = [expect.right_score, expect.wrong_score]
    if expect.partial:
        want.append(expect.partial_score)
    if expect.kind != "essay":
        assert _scores(item, expect) == want


@pytest.mark.parametrize("expect", EXPECTED, ids=lambda e: e.path.rsplit("/", 1)[-1])
def test_a_real_item_exports_valid_and_comes_back_scoring_the_same(expect: Expect) -> None:
    item = import_item(_document(expect.path))
    document = export_item("item-1", item)
    assert schema_errors(document) == []
    again = import_item(document)
    assert item_kind(again) == item_kind(item) and again.points == item.points
    assert _scores(again, expect) == _scores(item, expect)


@pytest.mark.parametrize(("path", "code", "named"), REFUSED, ids=lambda v: str(v)[-30:])
def test_what_the_bank_cannot_score_faithfully_is_refused_by_name(
    path: str, code: str, named: str
) -> None:
    with pytest.raises(QtiError) as caught:
        import_item((CORPUS / path).read_bytes())
    assert caught.value.code == code and named in caught.value.message
