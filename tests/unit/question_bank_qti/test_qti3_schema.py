"""The stored corpus is what it claims to be: real QTI 3.0 items the official XSD accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.question_bank_qti.qti3_schema import CORPUS, corpus_files, schema_errors


def test_the_corpus_holds_at_least_thirty_items() -> None:
    assert len(corpus_files()) >= 30


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_item_is_valid_qti3(path: Path) -> None:
    assert schema_errors(path.read_bytes()) == []


def test_the_schema_refuses_a_float_coordinate() -> None:
    # the pattern of area coordinates admits integers (and percentages) only
    item = (CORPUS / "1edtech" / "items" / "select_point.xml").read_bytes()
    assert schema_errors(item) == []
    broken = item.replace(b'coords="', b'coords="1.5,', 1)
    assert schema_errors(broken) != []
