"""CSV injection (OWASP): no cell of any export runs as a spreadsheet formula.

Names, classes, schools, rooms, titles and stems are typed by people (a student's own display
name lands in the exam-cards sheet next to every classmate's sign-in code). Every export is
walked with such text stored, and every cell is checked; numbers the system writes itself (a
score of -1 under negative marking) stay numbers. The escaping pair is property-tested: the
enrolment export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from engine.services import Services
from engine.spreadsheet_cells import escape_cell, escape_text, unescape_text
from tests.integration import conftest as integration
from tests.integration.conftest import Api
from tests.integration.scheduling import conftest as scheduling
from tests.integration.scheduling.conftest import World, event, forms, ok, rooms, session

# the integration suite's fixtures (real servers), used here as they are
settings, svc, client = integration.settings, integration.svc, integration.client
api, world = integration.api, scheduling.world

HYPERLINK = '=HYPERLINK("http://x","y")'
# written here, not taken from the code under test
SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_SYSTEM_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?")


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would run: a sign first, after a tab/CR, or after blanks."""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    return cell.lstrip()[:1] in SIGNS


def _check_cells(rows: list[list[Any]], where: str) -> set[str]:
    texts = set()
    for row in rows[1:]:
        for cell in row:
            if cell is None or isinstance(cell, int | float):
                continue  # a number cell (XLSX) cannot carry a formula
            assert isinstance(cell, str)
            texts.add(cell)
            if _SYSTEM_NUMBER.fullmatch(cell):
                continue  # a number the system wrote (CSV): "-1.0" is minus one
            assert not runs_as_formula(cell), (where, cell)
    return texts


def _csv_rows(r: Any, where: str) -> list[list[str]]:
    assert r.status_code == 200, (where, r.text[:300])
    assert r.headers["content-type"].startswith("text/csv"), where
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def _xlsx_rows(r: Any, where: str) -> list[list[Any]]:
    assert r.status_code == 200, (where, r.text[:300])
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (where, cell.coordinate, cell.value)
        rows.append([cell.value for cell in row])
    return rows


def _escaped(texts: set[str], payloads: list[str], where: str) -> None:
    for payload in payloads:
        assert "'" + payload in texts, (where, payload, sorted(texts)[:40])
        assert payload not in texts, (where, payload)


async def _exam(api: Api, teacher: str) -> dict[str, Any]:
    """Negative marking (a wrong answer scores -1), a title, a section and a stem that are
    formulas."""
    r = await api.call(
        "POST",
        "/v1/items",
        teacher,
        json={
            "kind": "single_choice",
            "stem": "=1+1",
            "correct": "a",
            "options": [{"id": "a", "text": "2"}, {"id": "b", "text": "3"}],
        },
    )
    assert r.status_code == 201, r.text
    now = datetime.now(UTC)
    r = await api.call(
        "POST",
        "/v1/exams",
        teacher,
        json={
            "title": "-1+2",
            "time_limit_s": 600,
            "sections": [{"title": "@SUM(1)", "items": [r.json()["id"]]}],
            "window_open": (now - timedelta(minutes=1)).isoformat(),
            "window_close": (now + timedelta(hours=2)).isoformat(),
            "scoring": {"negative_marking": {"correct": 1, "incorrect": -1, "blank": 0}},
        },
    )
    assert r.status_code == 201, r.text
    exam: dict[str, Any] = r.json()
    r = await api.call("POST", f"/v1/exams/{exam['id']}/publish", teacher)
    assert r.status_code == 200, r.text
    return exam


async def _sit_wrong(api: Api, student: str, exam_id: str) -> None:
    sitting = await api.start(student, exam_id)
    paper = await api.paper(student, sitting["id"])
    item = paper["sections"][0]["items"][0]["id"]
    r = await api.answer(
        student,
        sitting["id"],
        [{"seq": 1, "item": item, "response": {"kind": "single_choice", "choice": "b"}}],
    )
    assert r.status_code == 200, r.text
    r = await api.call("POST", f"/v1/sittings/{sitting['id']}/submit", student)
    assert r.status_code == 200 and r.json()["result"]["points"] == -1.0, r.text


async def test_every_export_escapes_every_cell_a_user_can_influence(
    api: Api, world: World, svc: Services
) -> None:
    w = world
    names_a = [HYPERLINK, "-1+2", " =1", "\uff1d1", "'=1"]
    async with svc.pool.acquire() as conn:
        await conn.execute("UPDATE orgs SET name = '@SUM(1)' WHERE id = $1", w.school_a)
        await conn.execute("UPDATE classes SET name = '+1' WHERE id = $1", w.class_a1)
        for username, name in zip(w.a1, names_a, strict=True):
            await conn.execute(
                "UPDATE users SET display_name = $2 WHERE id = $1", w.ids[username], name
            )
        # a name with a tab cannot come in by enrolment (control characters are refused), but
        # may have come in another way: the exports escape it all the same
        await conn.execute(
            "UPDATE users SET display_name = $2 WHERE id = $1", w.ids[w.b1[0]], "\t=1"
        )

    # exam cards (sign-in codes) of a school's exam
    exam = await _exam(api, w.a_teacher)
    rows = _csv_rows(
        await api.call("POST", f"/v1/exams/{exam['id']}/cards", w.a_teacher), "exam cards"
    )
    _escaped(_check_cells(rows, "exam cards"), [*names_a, "@SUM(1)", "+1", "-1+2"], "exam cards")

    # results and item statistics, CSV and XLSX; the scores of -1 stay numbers
    for student in w.a1[:2]:
        await _sit_wrong(api, student, exam["id"])
    base = f"/v1/exams/{exam['id']}/exports"
    rows = _csv_rows(await api.call("GET", f"{base}/results?format=csv", w.a_teacher), "results")
    _escaped(_check_cells(rows, "results"), names_a[:2], "results.csv")
    points = rows[0].index("points")
    assert sorted(r[points] for r in rows[1:] if r[points]) == ["-1.0", "-1.0"]
    sheet = _xlsx_rows(
        await api.call("GET", f"{base}/results?format=xlsx", w.a_teacher), "results.xlsx"
    )
    _escaped(_check_cells(sheet, "results.xlsx"), names_a[:2], "results.xlsx")
    assert sorted(r[points] for r in sheet[1:] if r[points] is not None) == [-1.0, -1.0]
    rows = _csv_rows(await api.call("GET", f"{base}/items?format=csv", w.a_teacher), "items")
    _escaped(_check_cells(rows, "items"), ["=1+1", "@SUM(1)"], "items.csv")
    sheet = _xlsx_rows(
        await api.call("GET", f"{base}/items?format=xlsx", w.a_teacher), "items.xlsx"
    )
    _escaped(_check_cells(sheet, "items.xlsx"), ["=1+1", "@SUM(1)"], "items.xlsx")

    # the schedule's room lists and exam cards
    made = await rooms(api, w)
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "UPDATE school_rooms SET name = $2 WHERE id = $1", uuid.UUID(made["Lab 1"]), HYPERLINK
        )
    f1, f2 = await forms(api, w.admin, 2)
    event_id = await event(api, w.admin)
    s1 = await session(api, w.admin, event_id, [f1, f2], starts_in_s=-30)
    for who, class_id in ((w.a_admin, w.class_a1), (w.b_admin, w.class_b1)):
        await ok(
            await api.call(
                "POST",
                f"/v1/scheduling/events/{event_id}/registrations",
                who,
                json={"class_id": str(class_id), "session_ids": [s1["id"]]},
            ),
            201,
        )
    await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", w.admin))
    for export in ("room-list.csv", "cards.csv"):
        rows = _csv_rows(
            await api.call("GET", f"/v1/scheduling/sessions/{s1['id']}/{export}", w.admin), export
        )
        texts = _check_cells(rows, export)
        _escaped(texts, [*names_a, "\t=1", "@SUM(1)"], export)
        if export == "room-list.csv":
            _escaped(texts, [HYPERLINK, "+1"], export)

    # the enrolment export: escaped, and it imports back unchanged
    r = await api.call("GET", f"/v1/orgs/{w.school_a}/enrolment", w.a_admin)
    rows = _csv_rows(r, "enrolment")
    _escaped(_check_cells(rows, "enrolment"), [*names_a, "+1"], "enrolment")
    async with svc.pool.acquire() as conn:
        before = await conn.fetch(
            "SELECT username, display_name, class_id FROM users "
            "WHERE org_id = $1 ORDER BY username",
            w.school_a,
        )
    back = await api.client.post(
        f"/v1/orgs/{w.school_a}/enrolment",
        content=r.content,
        headers={**await api.headers(w.a_admin), "Content-Type": "text/csv"},
    )
    assert back.status_code == 200, back.text
    report = back.json()
    assert report["errors"] == [] and report["created"] == 0 and report["updated"] == 0
    assert report["unchanged"] == len(w.a1) + len(w.a2)
    async with svc.pool.acquire() as conn:
        after = await conn.fetch(
            "SELECT username, display_name, class_id FROM users "
            "WHERE org_id = $1 ORDER BY username",
            w.school_a,
        )
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


@given(st.text(max_size=30))
def test_escaping_round_trips_and_never_leaves_a_formula(text: str) -> None:
    escaped = escape_text(text)
    assert unescape_text(escaped) == text
    assert not runs_as_formula(escaped) or escaped == text == ""
    assert escaped in (text, "'" + text)


@given(
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", " =", "\u3000+", "\uff1d", "\uff20"]),
    st.text(max_size=10),
)
def test_every_formula_start_is_escaped(start: str, rest: str) -> None:
    assert escape_text(start + rest) == "'" + start + rest


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_numbers_the_system_writes_stay_numbers(value: object) -> None:
    assert escape_cell(value) == value and type(escape_cell(value)) is type(value)
