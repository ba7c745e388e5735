"""Ujian's QTI 3.0 exports read by an independent QTI 3.0 implementation: CitoLab's
qti-components (npm ``@citolab/qti-components``, pinned in qti-crosscheck/package-lock.json,
installed into build/qti-crosscheck by ``npm ci`` when missing; a test tool, never shipped).

Each item (every real item of tests/data/qti3 that Ujian imports, and authored items of each
kind and interaction) is exported by Ujian and loaded into qti-components in Chromium: the item
must render with the interaction and the choices it was exported with, and for a right, a wrong
and (where the kind allows) a partial response the SCORE its response processing computes must be
the points Ujian's own scorer gives."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from playwright.async_api import Browser, Page, Route

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
    TrueFalseResponse,
)
from grading.scoring import score_item
from question_bank.items import (
    ClozeItem,
    ItemCreate,
    MatchingItem,
    MultipleResponseItem,
    NumericItem,
    OrderingItem,
    SingleChoiceItem,
    split_item,
)
from question_bank.kinds import ChoiceBlank
from question_bank.normalise import normalise_item
from question_bank.qti_export import export_item
from question_bank.qti_import import import_item
from tests.unit.question_bank_qti.test_qti3_corpus import EXPECTED, _document

HERE = Path(__file__).resolve().parent / "qti-crosscheck"
ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "build" / "qti-crosscheck"
PACKAGE = BUILD / "node_modules" / "@citolab" / "qti-components"
VERSION = json.loads((HERE / "package.json").read_text())["dependencies"]["@citolab/qti-components"]


def _install() -> Path:
    """The pinned package in build/qti-crosscheck (``npm ci`` when missing or out of date)."""
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = BUILD / "installed-package-lock.json"
    if not (stamp.exists() and stamp.read_bytes() == lock and (PACKAGE / "package.json").exists()):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "the QTI cross-check needs Node.js and npm to install @citolab/qti-components "
                "(make test installs them; or: sudo apt-get install nodejs npm)"
            )
        BUILD.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(HERE / name, BUILD / name)
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=BUILD,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci of @citolab/qti-components failed:\n{done.stderr}")
        stamp.write_bytes(lock)
    installed = json.loads((PACKAGE / "package.json").read_text())
    assert installed["version"] == VERSION
    return PACKAGE / "cdn" / "index.js"


class _Files(http.server.SimpleHTTPRequestHandler):
    """The cross-check's page and the package's browser bundle; nothing else."""

    files: dict[str, Path] = {}

    def do_GET(self) -> None:
        path = self.files.get(self.path)
        if path is None:
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        kind = "text/html" if path.suffix == ".html" else "text/javascript"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def crosscheck_url() -> Iterator[str]:
    bundle = _install()
    handler = functools.partial(_Files)
    _Files.files = {"/": HERE / "page.html", "/qti-components.js": bundle}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
async def qti_page(browser: Browser, crosscheck_url: str) -> AsyncIterator[Page]:
    context = await browser.new_context()

    async def loopback_only(route: Route) -> None:
        # the items' pictures point elsewhere: nothing leaves the machine
        if route.request.url.startswith(crosscheck_url):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", loopback_only)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(crosscheck_url)
    await page.wait_for_function("window.crosscheckReady === true")
    yield page
    await context.close()
    assert errors == []


# --- Ujian's responses as QTI response values -------------------------------------------------


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _value(response: Response) -> str | list[str]:
    match response:
        case SingleChoiceResponse(choice=c):
            return c
        case MultipleResponseResponse(choices=cs):
            return sorted(cs)
        case TrueFalseResponse(value=v):
            return "true" if v else "false"
        case NumericResponse(value=v):
            return _number(v)
        case ShortTextResponse(text=t):
            return t
        case OrderingResponse(order=o):
            return list(o)
        case MatchingResponse(pairs=ps):
            return sorted(f"{a} {b}" for a, b in ps)
        case SelectPointResponse(points=ps):
            return [f"{_number(x)} {_number(y)}" for x, y in ps]
    raise AssertionError(f"no QTI value for {response!r}")


def qti_response(response: Response) -> dict[str, str | list[str]]:
    """The response variables (by QTI response identifier) of an Ujian response."""
    if isinstance(response, ClozeResponse):
        return {bid: _value(b) for bid, b in response.blanks.items()}
    return {"RESPONSE": _value(response)}


@dataclass(frozen=True)
class Case:
    name: str
    item: ItemCreate
    responses: tuple[Response, ...]  # right, wrong, then partial ones


def _corpus_cases() -> list[Case]:
    cases = []
    for expect in EXPECTED:
        if expect.kind == "essay":
            continue  # marked by a person: no response processing to compare
        responses = [expect.right, expect.wrong] + ([expect.partial] if expect.partial else [])
        name = "corpus:" + expect.path.rsplit("/", 1)[-1]
        cases.append(Case(name, import_item(_document(expect.path)), tuple(responses)))
    return cases


def _authored(fields: dict[str, Any]) -> ItemCreate:
    return normalise_item(msgspec.convert(fields, ItemCreate))


MEDIA = "/v1/media/0d5f6a0e-1111-2222-3333-444455556666"
ABC = [{"id": "a", "text": "Alpha"}, {"id": "b", "text": "Beta"}, {"id": "c", "text": "Gamma"}]
RIVALS = [
    {"id": "a", "text": "Antonio"},
    {"id": "p", "text": "Prospero"},
    {"id": "c", "text": "Capulet"},
    {"id": "m", "text": "Montague"},
]
GRAPHIC: dict[str, Any] = {
    "kind": "ordering",
    "stem": "North first",
    "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}],
    "correct": ["a", "c", "b"],
    "graphic": {
        "image": MEDIA,
        "width": 200,
        "height": 280,
        "hotspots": {
            "a": {"shape": "circle", "coords": [80, 40, 8]},
            "b": {"shape": "rect", "coords": [100, 220, 130, 250]},
            "c": {"shape": "poly", "coords": [40, 120, 60, 120, 50, 140]},
        },
    },
}


def _authored_cases() -> list[Case]:
    single = SingleChoiceResponse
    multi = lambda *cs: MultipleResponseResponse(frozenset(cs))  # noqa: E731
    text = ShortTextResponse
    pairs = lambda *ps: MatchingResponse(frozenset(tuple(p.split()) for p in ps))  # noqa: E731
    raw: list[tuple[str, dict[str, Any], tuple[Response, ...]]] = [
        (
            "single choice",
            {"kind": "single_choice", "stem": "Pick b", "options": ABC, "correct": "b"},
            (single("b"), single("a")),
        ),
        (
            "single choice, 3 points",
            {
                "kind": "single_choice",
                "stem": "Pick b",
                "options": ABC,
                "correct": "b",
                "points": 3,
            },
            (single("b"), single("c")),
        ),
        (
            "multiple response",
            {"kind": "multiple_response", "stem": "a and c", "options": ABC, "correct": ["a", "c"]},
            (multi("a", "c"), multi("b"), multi("a")),
        ),
        (
            "multiple response, mapping",
            {
                "kind": "multiple_response",
                "stem": "a and c",
                "options": ABC,
                "correct": ["a", "c"],
                "points": 2,
                "mapping": {
                    "entries": {"a": 1, "b": -1, "c": 1},
                    "default_value": 0,
                    "lower_bound": 0,
                },
            },
            (multi("a", "c"), multi("b"), multi("a"), multi("a", "b")),
        ),
        (
            "true/false",
            {"kind": "true_false", "stem": "1 < 2", "correct": True},
            (TrueFalseResponse(True), TrueFalseResponse(False)),
        ),
        (
            "numeric",
            {"kind": "numeric", "stem": "6 × 7", "value": 42, "points": 2},
            (NumericResponse(42), NumericResponse(41)),
        ),
        (
            "short text",
            {"kind": "short_text", "stem": "Capital of Indonesia", "accepted": ["Jakarta"]},
            (ShortTextResponse("Jakarta"), ShortTextResponse("Bandung")),
        ),
        (
            "ordering",
            {"kind": "ordering", "stem": "a, b, c", "options": ABC, "correct": ["a", "b", "c"]},
            (OrderingResponse(("a", "b", "c")), OrderingResponse(("c", "b", "a"))),
        ),
        (
            "matching",
            {
                "kind": "matching",
                "stem": "Capitals",
                "sources": [{"id": "s1", "text": "Jakarta"}, {"id": "s2", "text": "Tokyo"}],
                "targets": [{"id": "t1", "text": "Indonesia"}, {"id": "t2", "text": "Japan"}],
                "pairs": [["s1", "t1"], ["s2", "t2"]],
            },
            (pairs("s1 t1", "s2 t2"), pairs("s1 t2", "s2 t1"), pairs("s1 t1")),
        ),
        (
            "inline choice and text entry (cloze)",
            {
                "kind": "cloze",
                "stem": "<p>Bali is in {{b1}}; 6 × 7 = {{b2}}; the capital is {{b3}}.</p>",
                "partial_credit": False,
                "blanks": {
                    "b1": {
                        "kind": "single_choice",
                        "correct": "x",
                        "options": [{"id": "x", "text": "Indonesia"}, {"id": "y", "text": "Peru"}],
                    },
                    "b2": {"kind": "numeric", "value": 42},
                    "b3": {"kind": "short_text", "accepted": ["Denpasar"]},
                },
            },
            (
                ClozeResponse(
                    {
                        "b1": single("x"),
                        "b2": NumericResponse(42),
                        "b3": ShortTextResponse("Denpasar"),
                    }
                ),
                ClozeResponse(
                    {
                        "b1": single("y"),
                        "b2": NumericResponse(41),
                        "b3": ShortTextResponse("Ubud"),
                    }
                ),
            ),
        ),
        (
            "select point",
            {
                "kind": "select_point",
                "stem": "Click the left half",
                "image": MEDIA,
                "width": 200,
                "height": 100,
                "areas": [{"shape": "rect", "coords": [0, 0, 100, 100], "mapped_value": 1}],
            },
            (SelectPointResponse(((50.0, 50.0),)), SelectPointResponse(((150.0, 50.0),))),
        ),
        (
            "slider",
            {
                "kind": "numeric",
                "stem": "How many?",
                "value": 7,
                "slider": {"lower_bound": 0, "upper_bound": 10, "base_type": "integer"},
            },
            (NumericResponse(7), NumericResponse(3)),
        ),
        (
            "slider, tolerance",
            {
                "kind": "numeric",
                "stem": "How many?",
                "value": 7,
                "absolute_tolerance": 1,
                "slider": {"lower_bound": 0, "upper_bound": 10, "base_type": "integer"},
            },
            (NumericResponse(7), NumericResponse(3), NumericResponse(8)),
        ),
        (
            "hottext",
            {
                "kind": "multiple_response",
                "stem": "Find the two mistakes",
                "options": [
                    {"id": "h1", "text": "Jakarta"},
                    {"id": "h2", "text": "Peru"},
                    {"id": "h3", "text": "1945"},
                ],
                "correct": ["h2", "h3"],
                "hottext": {
                    "passage": "<p>{{h1}} is in {{h2}}, free since {{h3}}.</p>",
                    "max_choices": 0,
                },
            },
            (multi("h2", "h3"), multi("h1"), multi("h2")),
        ),
        (
            "gap match",
            {
                "kind": "matching",
                "stem": "<p>Now is the {{g1}} of our discontent, made glorious {{g2}}.</p>",
                "sources": [
                    {"id": "w", "text": "winter"},
                    {"id": "s", "text": "summer"},
                    {"id": "a", "text": "autumn"},
                ],
                "targets": [{"id": "g1", "text": "1"}, {"id": "g2", "text": "2"}],
                "pairs": [["w", "g1"], ["s", "g2"]],
                "gap_match": {},
            },
            (pairs("w g1", "s g2"), pairs("a g1", "w g2"), pairs("w g1")),
        ),
        (
            "associate",
            {
                "kind": "matching",
                "stem": "Pair the rivals",
                "sources": RIVALS,
                "targets": RIVALS,
                "pairs": [["a", "p"], ["c", "m"]],
                "associate": {"max_associations": 2},
            },
            (pairs("a p", "c m"), pairs("a c", "p m"), pairs("m c")),
        ),
        (
            "graphic order",
            GRAPHIC,
            (OrderingResponse(("a", "c", "b")), OrderingResponse(("b", "c", "a"))),
        ),
        # partial credit, weights, alternatives, tolerances and points other than 1: the
        # export writes these rules out in QTI's own expressions (question_bank/qti_export_rules)
        (
            "true/false, 2 points",
            {"kind": "true_false", "stem": "1 > 2", "correct": False, "points": 2},
            (TrueFalseResponse(False), TrueFalseResponse(True)),
        ),
        (
            "multiple response, partial credit",
            {
                "kind": "multiple_response",
                "stem": "a and c",
                "options": ABC,
                "correct": ["a", "c"],
                "points": 2,
                "partial_credit": True,
            },
            (multi("a", "c"), multi("b"), multi("a"), multi("a", "b"), multi("a", "b", "c")),
        ),
        (
            "short text, alternatives and a partial answer",
            {
                "kind": "short_text",
                "stem": "Capital of Indonesia",
                "accepted": ["Jakarta", "DKI Jakarta"],
                "partial": {"Djakarta": 0.5},
                "points": 2,
            },
            (
                ShortTextResponse("jakarta"),
                ShortTextResponse("Bandung"),
                ShortTextResponse("Djakarta"),
                ShortTextResponse("DKI JAKARTA"),
            ),
        ),
        (
            "numeric, tolerance and a range",
            {
                "kind": "numeric",
                "stem": "6 × 7",
                "value": 42,
                "absolute_tolerance": 0.5,
                "ranges": [{"low": 40, "high": 44, "credit": 0.5}],
                "points": 4,
            },
            (NumericResponse(42.3), NumericResponse(50), NumericResponse(43.9)),
        ),
        (
            "ordering, 3 points",
            {
                "kind": "ordering",
                "stem": "a, b, c",
                "options": ABC,
                "correct": ["a", "b", "c"],
                "points": 3,
            },
            (OrderingResponse(("a", "b", "c")), OrderingResponse(("b", "a", "c"))),
        ),
        (
            "ordering, partial credit",
            {
                "kind": "ordering",
                "stem": "a, b, c",
                "options": ABC,
                "correct": ["a", "b", "c"],
                "partial_credit": True,
            },
            (
                OrderingResponse(("a", "b", "c")),
                OrderingResponse(("c", "b", "a")),
                OrderingResponse(("a", "c", "b")),
            ),
        ),
        (
            "matching, partial credit",
            {
                "kind": "matching",
                "stem": "Capitals",
                "sources": [{"id": "s1", "text": "Jakarta"}, {"id": "s2", "text": "Tokyo"}],
                "targets": [{"id": "t1", "text": "Indonesia"}, {"id": "t2", "text": "Japan"}],
                "pairs": [["s1", "t1"], ["s2", "t2"]],
                "partial_credit": True,
                "points": 2,
            },
            (pairs("s1 t1", "s2 t2"), pairs("s1 t2"), pairs("s1 t1"), pairs("s1 t1", "s2 t1")),
        ),
        (
            "associate, partial credit",
            {
                "kind": "matching",
                "stem": "Pair the rivals",
                "sources": RIVALS,
                "targets": RIVALS,
                "pairs": [["a", "p"], ["c", "m"]],
                "associate": {"max_associations": 2},
                "partial_credit": True,
            },
            (pairs("p a", "m c"), pairs("a c"), pairs("m c"), pairs("m c", "a m")),
        ),
        (
            "gap match, partial credit, 2 points",
            {
                "kind": "matching",
                "stem": "<p>Now is the {{g1}} of our discontent, made glorious {{g2}}.</p>",
                "sources": [{"id": "w", "text": "winter"}, {"id": "s", "text": "summer"}],
                "targets": [{"id": "g1", "text": "1"}, {"id": "g2", "text": "2"}],
                "pairs": [["w", "g1"], ["s", "g2"]],
                "gap_match": {},
                "partial_credit": True,
                "points": 2,
            },
            (pairs("w g1", "s g2"), pairs("s g1", "w g2"), pairs("w g1")),
        ),
        (
            "cloze, weighted blanks and partial credit",
            {
                "kind": "cloze",
                "stem": "<p>Bali is in {{b1}}; 6 × 7 = {{b2}}; say {{b3}}.</p>",
                "points": 3,
                "blanks": {
                    "b1": {
                        "kind": "single_choice",
                        "correct": "x",
                        "points": 2,
                        "options": [{"id": "x", "text": "Indonesia"}, {"id": "y", "text": "Peru"}],
                    },
                    "b2": {"kind": "numeric", "value": 42, "absolute_tolerance": 1},
                    "b3": {"kind": "short_text", "accepted": ["halo", "hai"]},
                },
            },
            (
                ClozeResponse(
                    {
                        "b1": single("x"),
                        "b2": NumericResponse(41),
                        "b3": ShortTextResponse("HAI"),
                    }
                ),
                ClozeResponse({"b1": single("y"), "b2": NumericResponse(30), "b3": text("salam")}),
                ClozeResponse({"b1": single("x"), "b2": NumericResponse(30), "b3": text("halo")}),
                ClozeResponse({"b1": single("y"), "b2": NumericResponse(42.5), "b3": text("x")}),
                # a text blank left empty
                ClozeResponse({"b1": single("y"), "b2": NumericResponse(40)}),
                ClozeResponse({"b1": single("x"), "b2": NumericResponse(30)}),
            ),
        ),
        (
            "select point, 2 points",
            {
                "kind": "select_point",
                "stem": "Click both halves",
                "image": MEDIA,
                "width": 200,
                "height": 100,
                "points": 2,
                "max_choices": 2,
                "areas": [
                    {"shape": "rect", "coords": [0, 0, 100, 100], "mapped_value": 1},
                    {"shape": "circle", "coords": [150, 50, 20], "mapped_value": 1},
                ],
            },
            (
                SelectPointResponse(((50.0, 50.0), (150.0, 50.0))),
                SelectPointResponse(((150.0, 95.0),)),
                SelectPointResponse(((50.0, 50.0),)),
            ),
        ),
        (
            "hottext, single, 2 points",
            {
                "kind": "single_choice",
                "stem": "Find the mistake",
                "options": [{"id": "h1", "text": "Jakarta"}, {"id": "h2", "text": "Peru"}],
                "correct": "h2",
                "points": 2,
                "hottext": {"passage": "<p>{{h1}} is in {{h2}}.</p>"},
            },
            (single("h2"), single("h1")),
        ),
        (
            "hotspot, single, 2 points",
            {
                "kind": "single_choice",
                "stem": "Where is the north?",
                "options": GRAPHIC["options"],
                "correct": "a",
                "points": 2,
                "graphic": GRAPHIC["graphic"],
            },
            (single("a"), single("b")),
        ),
        (
            "hotspot, multiple, mapping, at most 2",
            {
                "kind": "multiple_response",
                "stem": "Both southern places",
                "options": GRAPHIC["options"],
                "correct": ["b", "c"],
                "points": 2,
                "mapping": {"entries": {"a": -1, "b": 1, "c": 1}, "lower_bound": 0},
                "graphic": {**GRAPHIC["graphic"], "max_choices": 2},
            },
            (multi("b", "c"), multi("a", "b"), multi("c"), multi("a")),
        ),
        (
            "graphic order, 3 points",
            {**GRAPHIC, "points": 3},
            (OrderingResponse(("a", "c", "b")), OrderingResponse(("c", "a", "b"))),
        ),
    ]
    return [Case(name, _authored(fields), responses) for name, fields, responses in raw]


CASES = _corpus_cases() + _authored_cases()


# the interaction each kind of item is exported as, and which of its ids are its choices
def _expected(item: ItemCreate) -> dict[str, tuple[str, set[str]]]:
    match item:
        case ClozeItem():
            return {
                bid: (
                    "qti-inline-choice-interaction"
                    if isinstance(b, ChoiceBlank)
                    else "qti-text-entry-interaction",
                    {o.id for o in b.options} if isinstance(b, ChoiceBlank) else set(),
                )
                for bid, b in item.blanks.items()
            }
        case SingleChoiceItem() | MultipleResponseItem() if item.hottext is not None:
            return {"RESPONSE": ("qti-hottext-interaction", {o.id for o in item.options})}
        case SingleChoiceItem() | MultipleResponseItem() if item.graphic is not None:
            return {"RESPONSE": ("qti-hotspot-interaction", {o.id for o in item.options})}
        case SingleChoiceItem() | MultipleResponseItem():
            return {"RESPONSE": ("qti-choice-interaction", {o.id for o in item.options})}
        case OrderingItem() if item.graphic is not None:
            return {"RESPONSE": ("qti-graphic-order-interaction", {o.id for o in item.options})}
        case OrderingItem():
            return {"RESPONSE": ("qti-order-interaction", {o.id for o in item.options})}
        case MatchingItem() if item.gap_match is not None:
            ids = {o.id for o in item.sources} | {t.id for t in item.targets}
            return {"RESPONSE": ("qti-gap-match-interaction", ids)}
        case MatchingItem() if item.associate is not None:
            return {"RESPONSE": ("qti-associate-interaction", {o.id for o in item.sources})}
        case MatchingItem():
            ids = {o.id for o in item.sources} | {t.id for t in item.targets}
            return {"RESPONSE": ("qti-match-interaction", ids)}
        case NumericItem() if item.slider is not None:
            return {"RESPONSE": ("qti-slider-interaction", set())}
    kinds = {
        "true_false": ("qti-choice-interaction", {"true", "false"}),
        "numeric": ("qti-text-entry-interaction", set()),
        "short_text": ("qti-text-entry-interaction", set()),
        "select_point": ("qti-select-point-interaction", set()),
    }
    return {"RESPONSE": kinds[type(item).__struct_config__.tag]}  # type: ignore[attr-defined]


# Responses the two read differently for a reason known and named, by case and response index.
LIMITS: dict[str, dict[int, str]] = {
    # QTI's standard expressions cannot say Ujian's ordering partial credit (the share of pairs
    # of options put in the right order): the export's match_correct gives nothing for a
    # partly right order; the rule rides along in data-ujian-partial-credit only
    "ordering, partial credit": {2: "an ordering's partial credit is Ujian's own"},
    # qti-components 7.27.4's qti-string-match with case-sensitive="false" fails on a NULL
    # response (it lower-cases it) instead of giving NULL, as QTI 3.0 says: a text blank left
    # empty stops its response processing
    "cloze, weighted blanks and partial credit": {
        4: "qti-components cannot compare an empty text blank without case",
        5: "qti-components cannot compare an empty text blank without case",
    },
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_qti_components_reads_the_export_and_scores_as_ujian(
    qti_page: Page, case: Case
) -> None:
    document = export_item("crosscheck-1", case.item).decode()
    key = split_item("", case.item)[1]
    ours = [score_item(key, r).points for r in case.responses]
    read = await qti_page.evaluate(
        "([xml, responses]) => window.crosscheck(xml, responses)",
        [document, [qti_response(r) for r in case.responses]],
    )
    assert read["item"], "qti-components rendered no qti-assessment-item"
    rendered = {
        i["response"]: (i["tag"], set(i["choices"])) for i in read["interactions"] if i["defined"]
    }
    assert rendered == _expected(case.item)
    scores = read["scores"]
    for index in sorted(LIMITS.get(case.name, {})):
        # a known limitation still holds (when it stops, its entry goes)
        assert (
            scores[index] is None
            or str(scores[index]).startswith("error")
            or float(scores[index]) != pytest.approx(ours[index])
        ), LIMITS[case.name][index]
    compared = [i for i in range(len(ours)) if i not in LIMITS.get(case.name, {})]
    assert len(compared) >= 2  # at least a right and a wrong response are compared
    theirs = [_score(scores[i]) for i in compared]
    assert theirs == pytest.approx([ours[i] for i in compared]), (case.responses, document)


def _score(value: object) -> float | str:
    return value if isinstance(value, str) and value.startswith("error") else float(str(value))
