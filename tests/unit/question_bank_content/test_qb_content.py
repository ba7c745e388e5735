"""Rich text cleaning, the HTML ↔ QTI XHTML bridge, CSV rows, packages and version diffs."""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element

import pytest
from hypothesis import given, settings

from question_bank.bulk import CsvError, parse_csv
from question_bank.content import media_refs, plain_text, rich_text, sanitise_html
from question_bank.items import SingleChoiceItem
from question_bank.kinds import ChoiceOption
from question_bank.normalise import xml_safe
from question_bank.packages import MAX_ENTRY_BYTES, export_package, read_package
from question_bank.qti_html import append_html, inner_html, q
from question_bank.qti_import import QtiError
from question_bank.versions import diff_items, edit_action
from tests.unit.question_bank.item_strategies import raw, rich


@settings(max_examples=300)
@given(raw)
def test_cleaning_is_idempotent_and_keeps_nothing_dangerous(text: str) -> None:
    once = sanitise_html(xml_safe(text))
    assert sanitise_html(once) == once
    assert "<script" not in once and "onerror" not in once and "javascript:" not in once


@settings(max_examples=300)
@given(rich)
def test_html_survives_the_qti_xhtml_bridge(text: str) -> None:
    assert inner_html(append_html(Element(q("div")), text)) == text


def test_markdown_math_and_media() -> None:
    html = rich_text(
        "Find $$x^2 < 4$$ and \\(y\\)\n\n![map](/v1/media/0d5f6a0e-1111-2222-3333-444455556666)",
        "markdown",
    )
    assert "$$x^2 &lt; 4$$" in html and "\\(y\\)" in html
    assert media_refs(html) == ["0d5f6a0e-1111-2222-3333-444455556666"]
    assert plain_text("<p>a &amp; b</p><p>c</p>") == "a & b c"
    assert sanitise_html('<img src="http://insecure/x.png"><img src="data:x">') == "<img><img>"


def test_csv_rows_and_errors() -> None:
    good, errors = parse_csv(
        b"kind,stem,options,correct\n"
        b"single_choice,Q1,A=yes|B=no,A\n"
        b"short_text,Q2,,Soekarno|Sukarno\n"
        b"single_choice,,x|y,A\n"
    )
    assert [n for n, _ in good] == [2, 3]
    assert good[1][1].accepted == ["Soekarno", "Sukarno"]  # type: ignore[union-attr]
    assert [(e.row, e.field) for e in errors] == [(4, "stem")]
    with pytest.raises(CsvError):
        parse_csv(b"\xff\xfe\x00")


def test_package_limits_refuse_bombs() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", b"<manifest/>")
        archive.writestr("big.bin", b"\0" * (MAX_ENTRY_BYTES + 1))  # compresses to a few KB
    with pytest.raises(QtiError, match="too large"):
        read_package(out.getvalue())
    with pytest.raises(QtiError, match="not a zip"):
        read_package(b"PK\x03\x04 broken")


def test_package_round_trip_keeps_metadata() -> None:
    item = SingleChoiceItem(
        stem="<p>Q</p>", options=[ChoiceOption("a", "1"), ChoiceOption("b", "2")], correct="b"
    )
    contents = read_package(export_package([("i1", item)], []))
    assert [(i.href, i.metadata) for i in contents.items] == [("items/i1.xml", item.metadata)]


def test_versions_edit_rule_and_diff() -> None:
    assert edit_action("draft") == "update_draft" and edit_action("published") == "new_version"
    a = SingleChoiceItem(
        stem="<p>Q</p>", options=[ChoiceOption("a", "1"), ChoiceOption("b", "2")], correct="b"
    )
    b = SingleChoiceItem(
        stem="<p>Q</p>", options=[ChoiceOption("a", "one"), ChoiceOption("b", "2")], correct="a"
    )
    assert [(c.path, c.before, c.after) for c in diff_items(a, b)] == [
        ("correct", "b", "a"),
        ("options[0].text", "1", "one"),
    ]
    assert diff_items(a, a) == []
