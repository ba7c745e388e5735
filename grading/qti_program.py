"""An item's own QTI response processing, stored with its key and run at grading time.

A composite item (several interactions whose responses its processing scores together, ADR
0020) is scored by the program its author wrote, not by one of Ujian's scorers. The program is
kept as the interpreter's input, ``Rule`` trees of the item's declarations and of its
``qti-response-processing`` element (msgspec Structs, so the key stays plain JSON), and
compiled once per process into the ``Declaration`` Structs and rules ``grading.qti_processing``
runs. A paper's keys are decoded once per exam version, so the bulk grader finds the compiled
program by the key object it holds; a key decoded again (another version, the Lambda) finds it
by the program's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

import msgspec

from grading.qti_declarations import read_declarations, read_processing
from grading.qti_processing import (
    SUPPORTED_EXPRESSIONS,
    SUPPORTED_RULES,
    Declaration,
    Multiple,
    Ordered,
    Rule,
    UnsupportedConstruct,
    Value,
    run,
)
from grading.responses import (
    ClozeResponse,
    EssayResponse,
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

SCORE = "SCORE"


class QtiProgram(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An item's variables and response processing as its author wrote them: the
    ``qti-response-declaration`` and ``qti-outcome-declaration`` elements and the
    ``qti-response-processing`` element, each as a ``Rule`` tree (local names, attributes,
    children, text). The export writes them back as they are."""

    declarations: tuple[Rule, ...]
    processing: Rule


class Compiled(NamedTuple):
    declarations: dict[str, Declaration]
    rules: tuple[Rule, ...]
    # every response variable NULL: an unanswered response is NULL, never a default (left out,
    # a numeric response would start at 0 like an outcome and match a key of 0)
    unanswered: dict[str, Value]


_encode = msgspec.json.Encoder().encode
# the program objects the process holds (a paper's decoded keys) -> their compiled form; the
# program itself is kept so that its id cannot be reused while the entry lives
_by_object: dict[int, tuple[QtiProgram, Compiled]] = {}
MAX_PROGRAMS = 4096


def compile_program(program: QtiProgram) -> Compiled:
    """The program ready to run; raises ``UnsupportedConstruct`` for a template it cannot
    expand. Cached: once per program and process."""
    held = _by_object.get(id(program))
    if held is not None and held[0] is program:
        return held[1]
    compiled = _compile(_encode(program))
    if len(_by_object) >= MAX_PROGRAMS:
        _by_object.clear()
    _by_object[id(program)] = (program, compiled)
    return compiled


_decode = msgspec.json.Decoder(QtiProgram).decode


@lru_cache(maxsize=MAX_PROGRAMS)
def _compile(encoded: bytes) -> Compiled:
    program = _decode(encoded)
    decls = read_declarations(program.declarations)
    responses = {
        d.attrs.get("identifier", ""): None
        for d in program.declarations
        if d.name == "qti-response-declaration"
    }
    return Compiled(decls, read_processing(program.processing), responses)


def _unknown(rule: Rule) -> str | None:
    if rule.name not in SUPPORTED_RULES and rule.name not in SUPPORTED_EXPRESSIONS:
        return rule.name
    return next((n for n in map(_unknown, rule.children) if n is not None), None)


def check_program(program: QtiProgram) -> list[str]:
    """The program's response identifiers, once it is known to run: every element of its
    processing is one the interpreter executes (else ``UnsupportedConstruct`` names it),
    SCORE is declared, and the program runs on no answer at all."""
    compiled = compile_program(program)
    unknown = next((n for n in map(_unknown, compiled.rules) if n is not None), None)
    if unknown is not None:
        raise UnsupportedConstruct(unknown)
    score = compiled.declarations.get(SCORE)
    if score is None or score.cardinality != "single":
        raise UnsupportedConstruct("qti-outcome-declaration", "SCORE is not declared single")
    program_score(compiled, {})
    return list(compiled.unanswered)


def outcome_score(outcomes: Mapping[str, Value]) -> float:
    """The item's SCORE (0 when the processing leaves it NULL or not a number)."""
    outcome = outcomes.get(SCORE)
    return float(outcome) if isinstance(outcome, (int, float)) else 0.0


def program_score(compiled: Compiled, responses: Mapping[str, Value]) -> float:
    """SCORE after running the program on ``responses`` (QTI values; the others NULL)."""
    given = {**compiled.unanswered, **responses}
    return outcome_score(run(compiled.rules, compiled.declarations, given))


def text_value(decl: Declaration, text: str) -> Value:
    """A typed text as the declaration's base type (NULL when it is not a number)."""
    if decl.base_type == "integer":
        try:
            return int(text)
        except ValueError:
            return None
    if decl.base_type == "float":
        try:
            return float(text)
        except ValueError:
            return None
    return text


def number_value(decl: Declaration, value: float) -> Value:
    if decl.base_type == "integer":
        return int(value) if value == int(value) else None
    if decl.base_type in ("string", None):
        return repr(value) if value != int(value) else str(int(value))
    return value


def qti_values(
    rid: str, response: Response | None, decls: Mapping[str, Declaration]
) -> dict[str, Value]:
    """The QTI response variables a Ujian response to the interaction ``rid`` stands for (a
    cloze's blanks are each a response variable of their own, named by the blank)."""
    if response is None:
        return {rid: None}
    decl = decls.get(rid, Declaration("single"))
    match response:
        case SingleChoiceResponse(choice=c):
            return {rid: c}
        case TrueFalseResponse(value=v):
            return {rid: "true" if v else "false"}
        case MultipleResponseResponse(choices=cs):
            return {rid: Multiple(sorted(cs)) if cs else None}
        case NumericResponse(value=v):
            return {rid: number_value(decl, v)}
        case ShortTextResponse(text=t):
            # Ujian trims the spaces around a typed answer, as its own scorers do
            return {rid: text_value(decl, t.strip()) if t.strip() else None}
        case EssayResponse(text=t):
            return {rid: t or None}
        case OrderingResponse(order=o):
            return {rid: Ordered(o) if o else None}
        case MatchingResponse(pairs=ps):
            pair = (lambda p: frozenset(p)) if decl.base_type == "pair" else tuple
            if decl.cardinality == "single" and len(ps) == 1:
                # a gap match with one gap may declare a single pair
                return {rid: pair(next(iter(ps)))}
            return {rid: Multiple(pair(p) for p in sorted(ps)) if ps else None}
        case SelectPointResponse(points=pts):
            value = [(round(x), round(y)) for x, y in pts]
            if not value:
                return {rid: None}
            return {rid: Multiple(value) if decl.cardinality != "single" else value[0]}
        case ClozeResponse(blanks=blanks):
            out: dict[str, Value] = {}
            for bid, answer in blanks.items():
                out.update(qti_values(bid, answer, decls))
            return out
    return {}
