"""The official QTI 3.0 ASI schema (tests/data/qti3/xsd), loaded once for the tests."""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

DATA = Path(__file__).resolve().parents[2] / "data" / "qti3"
CORPUS = DATA / "items"


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "xsd" / "imsqti_asiv3p0p1_v1p0.xsd")))


def schema_errors(document: bytes) -> list[str]:
    """Why ``document`` is not a valid QTI 3.0 document (empty when it is)."""
    schema = _schema()
    if schema.validate(etree.fromstring(document)):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


def corpus_files() -> list[Path]:
    """The corpus's QTI documents (items and stimuli; a package's manifest is none)."""
    return sorted(p for p in CORPUS.rglob("*.xml") if p.name != "imsmanifest.xml")
