"""Hand-written composite QTI 3.0 items (a choice and a text entry, each with its own response),
modelled on the QTI 3.0 specification's examples of several interactions in one item: only the
response processing differs from one to the next, so each test says how the parts add up."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


def var(name: str) -> str:
    return f'<qti-variable identifier="{name}"/>'


def value(number: float) -> str:
    return f'<qti-base-value base-type="float">{number:g}</qti-base-value>'


def set_(name: str, expression: str) -> str:
    return f'<qti-set-outcome-value identifier="{name}">{expression}</qti-set-outcome-value>'


def match(response: str) -> str:
    return f'<qti-match>{var(response)}<qti-correct identifier="{response}"/></qti-match>'


def if_(test: str, then: str) -> str:
    return (
        f"<qti-response-condition><qti-response-if>{test}{then}</qti-response-if>"
        "</qti-response-condition>"
    )


def add(points: float, test: str) -> str:
    """``points`` more for SCORE when ``test`` holds."""
    return if_(test, set_("SCORE", f"<qti-sum>{var('SCORE')}{value(points)}</qti-sum>"))


def composite(
    processing: str,
    *,
    options: tuple[str, ...] = ("A", "B", "C"),
    correct: str = "B",
    accepted: str = "Paris",
    mapping: dict[str, float] | None = None,
    prompt: str | None = "Which letter comes second?",
    extra_outcomes: str = "",
    score_table: str = "",
    language: str = "en",
    identifier: str = "france",
    passage: str = "<p>France is a country in Europe.</p>",
) -> bytes:
    """A choice (RESPONSE_A) and a sentence with a text entry (RESPONSE_B) below a passage."""
    entries = "".join(
        f"<qti-map-entry map-key={quoteattr(k)} mapped-value={quoteattr(f'{v:g}')}/>"
        for k, v in (mapping or {}).items()
    )
    text_mapping = f'<qti-mapping default-value="0">{entries}</qti-mapping>' if mapping else ""
    choices = "".join(
        f'<qti-simple-choice identifier="{o}">Letter {o}</qti-simple-choice>' for o in options
    )
    shown = f"<qti-prompt>{escape(prompt)}</qti-prompt>" if prompt else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="{identifier}" title="France, two ways"
    adaptive="false" time-dependent="false" xml:lang="{language}">
  <qti-response-declaration identifier="RESPONSE_A" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>{correct}</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-response-declaration identifier="RESPONSE_B" cardinality="single" base-type="string">
    <qti-correct-response><qti-value>{escape(accepted)}</qti-value></qti-correct-response>
    {text_mapping}
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float">
    <qti-default-value><qti-value>0</qti-value></qti-default-value>{score_table}
  </qti-outcome-declaration>
  {extra_outcomes}
  <qti-item-body>
    {passage}
    <qti-choice-interaction response-identifier="RESPONSE_A" max-choices="1">
      {shown}{choices}
    </qti-choice-interaction>
    <p>The capital of France is <qti-text-entry-interaction response-identifier="RESPONSE_B"/>.</p>
  </qti-item-body>
  <qti-response-processing>{processing}</qti-response-processing>
</qti-assessment-item>""".encode()


def float_outcome(name: str, table: str = "") -> str:
    return (
        f'<qti-outcome-declaration identifier="{name}" cardinality="single" base-type="float">'
        f"{table}</qti-outcome-declaration>"
    )


# one mark for each right answer, summed
SUM = add(1, match("RESPONSE_A")) + add(1, match("RESPONSE_B"))
# two marks for the letter, the text entry's own mapping (3 for Paris, 1.5 for paris) for the city
WEIGHTED = add(2, match("RESPONSE_A")) + set_(
    "SCORE", f'<qti-sum>{var("SCORE")}<qti-map-response identifier="RESPONSE_B"/></qti-sum>'
)
# one mark only when both are right
BOTH = if_(
    f"<qti-and>{match('RESPONSE_A')}{match('RESPONSE_B')}</qti-and>", set_("SCORE", value(1))
)
# the number of right answers looked up in a table: one mark for both, nothing for one
LOOKUP_TABLE = (
    '<qti-match-table default-value="0"><qti-match-table-entry source-value="2" '
    'target-value="1"/></qti-match-table>'
)
LOOKUP = (
    if_(match("RESPONSE_A"), set_("RIGHT", value(1)))
    + if_(match("RESPONSE_B"), set_("RIGHT", f"<qti-sum>{var('RIGHT')}{value(1)}</qti-sum>"))
    + f'<qti-lookup-outcome-value identifier="SCORE">{var("RIGHT")}</qti-lookup-outcome-value>'
)
LOOKUP_OUTCOMES = float_outcome("RIGHT")
