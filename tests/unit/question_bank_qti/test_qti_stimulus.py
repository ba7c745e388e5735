"""QTI 3.0 shared stimuli: a passage several items ask about, in its own
``qti-assessment-stimulus`` file that each item refers to with ``qti-assessment-stimulus-ref``.

Imported, each item carries the stimulus (the same id, title and body for every item of the
package that refers to it), found relative to the item's own file, its pictures relative to the
stimulus's own file, its body cleaned as a stem is. An item whose stimulus is not in the upload
is refused by name. Exported, each item refers to its stimulus and a package holds every
stimulus once, all of it valid against the XSD and imported back as it was.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import msgspec
import pytest
from rich.console import Console

from engine.items_cli import run_import
from grading.responses import SingleChoiceResponse
from grading.scoring import score_item
from question_bank.content import plain_text
from question_bank.import_report import import_entries
from question_bank.items import (
    EssayItem,
    ItemCreate,
    ItemError,
    SingleChoiceItem,
    split_item,
)
from question_bank.kinds import ChoiceOption, StimulusSpec
from question_bank.normalise import normalise_item
from question_bank.packages import PackedMedia, export_package, read_package
from question_bank.qti_export import export_item
from question_bank.qti_import import MAX_XML_BYTES, QtiError, import_item
from question_bank.qti_stimulus import export_stimulus, read_stimulus
from tests.unit.question_bank_qti.qti3_schema import CORPUS, schema_errors

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
TEMPLATE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
PICTURE_URL = "/v1/media/0d5f6a0e-1111-2222-3333-444455556666"
# a passage with a picture beside it, a formula and a script that must not survive
PASSAGE = f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-stimulus xmlns="{NS}" identifier="danau-toba" title="Danau Toba"
    xml:lang="id">
  <qti-stylesheet href="css/passage.css" type="text/css"/>
  <qti-stimulus-body>
    <h2>Danau Toba</h2>
    <p>Danau Toba terletak di Sumatra Utara.<script>alert('x')</script></p>
    <p><img src="img/toba.png" alt="Peta Danau Toba" width="200" height="100"/></p>
    <p><math xmlns="http://www.w3.org/1998/Math/MathML"><mn>1145</mn><mo>&#x00D7;</mo>
      <mn>100</mn></math> km persegi.</p>
  </qti-stimulus-body>
</qti-assessment-stimulus>""".encode()


def _item(identifier: str, correct: str, refs: str, prompt: str = "Di mana Danau Toba?") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS}" identifier="{identifier}" title="{identifier}"
    adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>{correct}</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  {refs}
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>{prompt}</qti-prompt>
      <qti-simple-choice identifier="a">Sumatra</qti-simple-choice>
      <qti-simple-choice identifier="b">Jawa</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="{TEMPLATE}"/>
</qti-assessment-item>""".encode()


def _ref(href: str, identifier: str = "danau-toba") -> str:
    return f'<qti-assessment-stimulus-ref identifier="{identifier}" href="{href}"/>'


def _manifest(*hrefs: str) -> bytes:
    resources = "".join(
        f'<resource identifier="r{n}" type="imsqti_item_xmlv3p0" href="{href}">'
        f'<file href="{href}"/></resource>'
        for n, href in enumerate(hrefs)
    )
    return f'<manifest xmlns="{CP}"><resources>{resources}</resources></manifest>'.encode()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _shared_package(passage: bytes = PASSAGE) -> bytes:
    """Two items in items/ asking about one passage in passages/, its picture beside it."""
    return _zip(
        {
            "imsmanifest.xml": _manifest("items/q1.xml", "items/q2.xml"),
            "items/q1.xml": _item("q1", "a", _ref("../passages/toba.xml")),
            "items/q2.xml": _item("q2", "b", _ref("../passages/toba.xml"), "Di pulau mana?"),
            "passages/toba.xml": passage,
            "passages/img/toba.png": b"\x89PNG picture",
            "passages/css/passage.css": b"h2 { color: red }",
        }
    )


def test_two_items_of_a_package_carry_the_one_stimulus_they_share() -> None:
    package = read_package(_shared_package())
    # the picture the passage shows is found relative to the passage; the passage itself and
    # its stylesheet are no media
    assert package.media == {"passages/img/toba.png": b"\x89PNG picture"}
    items, outcomes = import_entries(package.items, {"passages/img/toba.png": PICTURE_URL})
    assert [(o.file, o.status) for o in outcomes] == [
        ("items/q1.xml", "imported"),
        ("items/q2.xml", "imported"),
    ]
    first, second = (item for _, item in items)
    assert first.stimulus is not None and first.stimulus == second.stimulus
    assert (first.stimulus.id, first.stimulus.title) == ("danau-toba", "Danau Toba")
    body = first.stimulus.body
    assert "<h2>Danau Toba</h2>" in body
    assert f'src="{PICTURE_URL}"' in body and 'alt="Peta Danau Toba"' in body
    assert "<math><mn>1145</mn>" in body
    assert "script" not in body and "alert" not in body
    # the question stays the question: the passage is not in the stem
    assert plain_text(first.stem) == "Di mana Danau Toba?"
    assert isinstance(first, SingleChoiceItem) and first.correct == "a"
    assert isinstance(second, SingleChoiceItem) and second.correct == "b"


def test_the_students_side_of_the_item_carries_the_stimulus() -> None:
    package = read_package(_shared_package())
    ((_, item),), _ = import_entries(package.items[:1], {})
    student, key = split_item("q1", item)
    assert student.stimulus == item.stimulus
    assert score_item(key, SingleChoiceResponse("a")).points == 1.0
    # a picture not relinked to our media is refused by the image policy: its words stay
    assert item.stimulus is not None and "img/toba.png" not in item.stimulus.body


def test_a_single_item_whose_stimulus_is_not_in_the_upload_is_refused_by_name() -> None:
    with pytest.raises(QtiError) as caught:
        import_item(_item("q1", "a", _ref("../passages/toba.xml")))
    assert caught.value.code == "qti_stimulus_missing"
    assert "danau-toba" in caught.value.message and "../passages/toba.xml" in caught.value.message


def test_in_a_package_an_item_whose_stimulus_is_missing_is_refused_and_the_others_kept() -> None:
    package = read_package(
        _zip(
            {
                "imsmanifest.xml": _manifest("items/q1.xml", "items/q2.xml"),
                "items/q1.xml": _item("q1", "a", _ref("../passages/gone.xml")),
                "items/q2.xml": _item("q2", "b", ""),
            }
        )
    )
    items, outcomes = import_entries(package.items, {})
    assert [href for href, _ in items] == ["items/q2.xml"]
    assert [(o.file, o.status, o.code) for o in outcomes] == [
        ("items/q1.xml", "refused", "qti_stimulus_missing"),
        ("items/q2.xml", "imported", None),
    ]
    assert "../passages/gone.xml" in (outcomes[0].reason or "")


def test_a_stimulus_that_cannot_be_read_refuses_each_item_that_shows_it() -> None:
    package = read_package(_shared_package(b"<qti-assessment-stimulus><p>unclosed"))
    _, outcomes = import_entries(package.items, {})
    assert [(o.status, o.code) for o in outcomes] == [
        ("refused", "qti_stimulus_invalid"),
        ("refused", "qti_stimulus_invalid"),
    ]
    assert (outcomes[0].reason or "").startswith("the stimulus passages/toba.xml: ")


def test_an_unsafe_stimulus_is_refused_as_unsafe() -> None:
    hostile = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><qti-assessment-stimulus/>'
    _, outcomes = import_entries(read_package(_shared_package(hostile)).items, {})
    assert {o.code for o in outcomes} == {"unsafe_xml"}


def test_a_stimulus_is_read_within_the_budget_of_an_item_document() -> None:
    padding = b"<p>" + b"x" * MAX_XML_BYTES + b"</p>"
    oversized = PASSAGE.replace(b"<h2>", padding + b"<h2>")
    with pytest.raises(QtiError) as caught:
        read_package(_shared_package(oversized))
    assert caught.value.code == "package_too_large"


def test_an_item_referring_to_two_stimuli_is_refused_by_name() -> None:
    refs = _ref("../passages/toba.xml") + _ref("../passages/toba.xml", "again")
    with pytest.raises(QtiError) as caught:
        import_item(_item("q1", "a", refs), {"../passages/toba.xml": read_stimulus(PASSAGE)})
    assert caught.value.code == "qti_unsupported"
    assert "danau-toba, again" in caught.value.message


def _choice(stimulus: StimulusSpec | None, stem: str = "Di mana Danau Toba?") -> ItemCreate:
    return normalise_item(
        SingleChoiceItem(
            stem=f"<p>{stem}</p>",
            options=[ChoiceOption("a", "Sumatra"), ChoiceOption("b", "Jawa")],
            correct="a",
            stimulus=stimulus,
        )
    )


TOBA = StimulusSpec(
    "danau-toba",
    "Danau Toba",
    f'<h2>Danau Toba</h2><p>Di Sumatra Utara.</p><p><img src="{PICTURE_URL}" alt="Peta"></p>',
)


def test_a_stimulus_exports_valid_and_reads_back_the_same() -> None:
    document = export_stimulus(TOBA)
    assert schema_errors(document) == []
    assert read_stimulus(document) == TOBA


def test_a_single_item_export_refers_to_its_stimulus_and_validates() -> None:
    item = _choice(TOBA)
    document = export_item("item-1", item)
    assert schema_errors(document) == []
    assert b'<qti-assessment-stimulus-ref identifier="danau-toba"' in document
    assert b'href="../stimuli/danau-toba.xml"' in document
    # the stimulus is not copied into the item: alone, the item cannot be imported
    assert b"Di Sumatra Utara" not in document
    with pytest.raises(QtiError) as caught:
        import_item(document)
    assert caught.value.code == "qti_stimulus_missing"
    # with its stimulus it comes back as it was
    stimuli = {"../stimuli/danau-toba.xml": read_stimulus(export_stimulus(TOBA))}
    assert import_item(document, stimuli) == item


def test_a_package_export_holds_each_stimulus_once_and_imports_back_the_same() -> None:
    other = StimulusSpec("danau-toba", "Danau Toba (2)", "<p>Another passage, the same id.</p>")
    items = [
        ("item-1", _choice(TOBA)),
        ("item-2", _choice(TOBA, "Di pulau mana?")),
        ("item-3", _choice(other)),
        ("item-4", _choice(None)),
    ]
    picture = PackedMedia(PICTURE_URL.rsplit("/", 1)[1], "png", "image/png", b"\x89PNG")
    data = export_package(items, [picture])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        documents = {n: archive.read(n) for n in names if n.endswith(".xml")}
    assert [n for n in names if n.startswith("stimuli/")] == [
        "stimuli/danau-toba-2.xml",
        "stimuli/danau-toba.xml",
    ]
    for name, document in documents.items():
        if name != "imsmanifest.xml":
            assert schema_errors(document) == [], name
    manifest = documents["imsmanifest.xml"].decode()
    assert manifest.count('type="imsqti_stimulus_xmlv3p0"') == 2
    assert manifest.count('identifierref="stimulus-1"') == 2
    assert f"media/{picture.media_id}.png" in documents["stimuli/danau-toba.xml"].decode()
    package = read_package(data)
    assert list(package.media) == [f"media/{picture.media_id}.png"]
    back, outcomes = import_entries(package.items, {f"media/{picture.media_id}.png": PICTURE_URL})
    assert {o.status for o in outcomes} == {"imported"}
    assert [item for _, item in back] == [item for _, item in items]


def test_a_stimulus_is_cleaned_and_checked_as_a_stem_is() -> None:
    dirty = StimulusSpec("s", "  Danau\n Toba ", "<p onclick='x()'>Teks</p><script>x()</script>")
    cleaned = _choice(dirty).stimulus
    assert cleaned == StimulusSpec("s", "Danau Toba", "<p>Teks</p>")
    with pytest.raises(ItemError) as caught:
        _choice(StimulusSpec("s", "Judul", "<script>only()</script>"))
    assert caught.value.field == "stimulus.body"
    with pytest.raises(msgspec.ValidationError):
        # a QTI identifier may not begin with a digit: the export could not write it
        msgspec.convert({"id": "1st", "title": "t", "body": "b"}, StimulusSpec)


# real items: 1EdTech's examples of a shared stimulus (tests/data/qti3/SOURCES.md)
BPIG = CORPUS / "1edtech" / "QTI3_BPIG_Examples"
SHARED = CORPUS / "1edtech" / "sharedStimulus"
TITLE_PICTURE = "passages/images/exemplarSection01_title.png"


def _folder_package(root: Path, manifest: bytes | None = None) -> bytes:
    files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    if manifest is not None:
        files["imsmanifest.xml"] = manifest
    return _zip(files)


def test_the_best_practice_guide_items_carry_their_passage_from_a_sibling_folder() -> None:
    names = [f"items/unbelievable_night_item{n}.xml" for n in (1, 2, 3)]
    data = _folder_package(BPIG, _manifest(*names))
    package = read_package(data)
    assert TITLE_PICTURE in package.media
    assert not any(p.endswith(".xml") for p in package.media)
    items, outcomes = import_entries(package.items, {TITLE_PICTURE: PICTURE_URL})
    assert [(o.file, o.status, o.kind) for o in outcomes] == [
        (names[0], "imported", "essay"),
        (names[1], "imported", "single_choice"),
        (names[2], "imported", "single_choice"),
    ]
    essay, crocodile, eating = (item for _, item in items)
    assert essay.stimulus is not None
    assert essay.stimulus == crocodile.stimulus == eating.stimulus
    passage = essay.stimulus
    assert (passage.id, passage.title) == ("Stimulus1", "An Unbelievable Night")
    # the wrapper's class is the author's stylesheet's, which the page does not load
    assert passage.body.startswith("<div") and "qti-shared-stimulus-wrapper" not in passage.body
    assert "<h2>An Unbelievable Night</h2>" in passage.body
    assert f'src="{PICTURE_URL}"' in passage.body
    assert plain_text(passage.body).endswith(
        "made it light enough to get to the bathroom past the telephone stand."
    )
    # the catalog's card (a glossary entry) and the stylesheet are not part of the passage
    assert "name of a girl" not in passage.body and "css" not in passage.body
    assert isinstance(essay, EssayItem)
    assert plain_text(essay.stem) == (
        'Read the passage "The Unbelievable Night" before answering the following question '
        "Why did Anina call the flamingos?"
    )
    assert isinstance(crocodile, SingleChoiceItem) and crocodile.correct == "B"
    assert [o.text for o in crocodile.options][1] == "a magazine cover"
    assert isinstance(eating, SingleChoiceItem) and eating.correct == "ChoiceB"
    key = split_item("", eating)[1]
    assert score_item(key, SingleChoiceResponse("ChoiceB")).points == 1.0
    assert score_item(key, SingleChoiceResponse("ChoiceA")).points == 0.0


def test_the_best_practice_guide_items_export_valid_and_come_back_the_same() -> None:
    names = [f"items/unbelievable_night_item{n}.xml" for n in (1, 2, 3)]
    package = read_package(_folder_package(BPIG, _manifest(*names)))
    items, _ = import_entries(package.items, {TITLE_PICTURE: PICTURE_URL})
    exported = export_package([(f"item-{n}", item) for n, (_, item) in enumerate(items)], [])
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        stimuli = [n for n in archive.namelist() if n.startswith("stimuli/")]
        assert stimuli == ["stimuli/Stimulus1.xml"]
        assert schema_errors(archive.read(stimuli[0])) == []
    back, _ = import_entries(read_package(exported).items, {})
    assert [item for _, item in back] == [item for _, item in items]


def test_the_shared_stimulus_package_imports_with_its_own_manifest() -> None:
    package = read_package(_folder_package(SHARED))
    # the stylesheet and the pictures the manifest lists for the stimulus are not in this copy;
    # the one picture there is is found through the passage
    assert list(package.media) == [TITLE_PICTURE]
    items, outcomes = import_entries(package.items, {TITLE_PICTURE: PICTURE_URL})
    statuses = {o.file: (o.status, o.kind or o.code) for o in outcomes}
    assert statuses["exemplar06.xml"] == ("imported", "essay")
    assert statuses["exemplar05.xml"] == ("imported", "single_choice")
    # an order whose correct response names one sentence of five: no ordering Ujian scores
    assert statuses["exemplar04.xml"][0] == "refused"
    assert "stimulus" not in next(o.reason or "" for o in outcomes if o.file == "exemplar04.xml")
    by_file = dict(items)
    essay, choice = by_file["exemplar06.xml"], by_file["exemplar05.xml"]
    assert essay.stimulus is not None and essay.stimulus == choice.stimulus
    assert (essay.stimulus.id, essay.stimulus.title) == ("Stimulus1", "Common Stimulus")
    body = essay.stimulus.body
    # the whole story, its first picture relinked; the two it names under other file names are
    # not in the package, so they keep only their words
    assert plain_text(body).startswith("An Unbelievable Night by Franz Hohler Anina was ten")
    assert "Illustrations by Thomas Hoffmann." in plain_text(body)
    assert body.count(f'src="{PICTURE_URL}"') == 1 and body.count("src=") == 1
    assert isinstance(choice, SingleChoiceItem) and choice.correct == "B"
    assert plain_text(choice.stem) == "Where did the crocodile come from?"


def test_the_command_reads_a_folders_items_with_their_stimulus() -> None:
    outcomes = run_import(BPIG, Console(file=io.StringIO()))
    statuses = {o.file: o.status for o in outcomes}
    # the passage is no item of its own: it is read through the three that show it
    assert "passages/unbelievableNight.xml" not in statuses
    names = [f"items/unbelievable_night_item{n}.xml" for n in (1, 2, 3)]
    assert [statuses[name] for name in names] == ["imported"] * 3
