"""The dashboard's newer reads on the real servers: any table it shows saved as CSV/XLSX (cells
escaped, bad input refused with a problem code), the per-question chart, the score histogram
with a bar per whole score, common answers kept to the caller's school."""

from __future__ import annotations

import csv
import io
import json

import defusedxml.ElementTree as ET
from openpyxl import load_workbook

from engine.services import Services
from tests.integration.analytics.test_key_fix import _sit
from tests.integration.conftest import Api, School

SVG = "{http://www.w3.org/2000/svg}"


async def test_any_table_as_csv_or_xlsx_with_safe_cells(api: Api, school: School) -> None:
    table = {
        "name": "schools-classes",
        "header": ["=Sekolah", "Siswa"],
        "rows": [['=HYPERLINK("http://x","y")', 24], ["SMP 1\x07", 3.5], [None, True]],
    }
    r = await api.call("POST", "/v1/exports/table", school.teacher, json=table)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="schools-classes.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows == [
        ["'=Sekolah", "Siswa"],
        ['\'=HYPERLINK("http://x","y")', "24"],
        ["SMP 1\x07", "3.5"],
        ["", "True"],
    ]
    r = await api.call(
        "POST", "/v1/exports/table", school.teacher, json=table, params={"format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("'=Sekolah", "Siswa") and values[1][1] == 24 and values[2][0] == "SMP 1"

    bad = [
        ({**table, "name": "../etc"}, "validation_failed"),
        ({**table, "header": ["x"] * 61}, "validation_failed"),
        ({**table, "rows": [[{"a": 1}]]}, "validation_failed"),
        ({**table, "extra": 1}, "validation_failed"),
    ]
    for body, code in bad:
        r = await api.call("POST", "/v1/exports/table", school.teacher, json=body)
        assert (r.status_code, r.json()["code"]) == (400, code), body
    # a lone surrogate: JSON can carry it as an escape, no UTF-8 file can hold it
    r = await api.client.post(
        "/v1/exports/table",
        headers={**await api.headers(school.teacher), "Content-Type": "application/json"},
        content=json.dumps({**table, "rows": [["\ud800"]]}).encode(),
        params={"format": "xlsx"},
    )
    assert (r.status_code, r.json()["code"]) == (400, "validation_failed")
    r = await api.call("POST", "/v1/exports/table", school.students[0], json=table)
    assert r.status_code == 403


async def test_charts_and_common_answers(api: Api, svc: Services, school: School) -> None:
    exam, items = await _sit(api, svc, school)
    base = f"/v1/exams/{exam['id']}"
    r = await api.call("GET", f"{base}/charts/items.svg", school.teacher, params={"lang": "en"})
    root = ET.fromstring(r.text)
    assert root.find(f"{SVG}title").text == "Facility and discrimination of each question"
    dots = root.findall(f"{SVG}g/{SVG}g")
    assert sorted(d.get("data-item") for d in dots) == sorted(items)
    r = await api.call("GET", f"{base}/charts/scores.svg", school.teacher)
    bars = ET.fromstring(r.text).findall(f"{SVG}g/{SVG}rect")
    assert [b.get("data-score") for b in bars] == ["0", "1", "2", "3", "4"]
    assert sum(int(b.get("data-count")) for b in bars) == 4
    r = await api.call("GET", f"{base}/charts/scores.svg", school.teacher, params={"lang": "xx"})
    assert r.status_code == 400

    r = await api.call("GET", f"{base}/items/{items[1]}/answers", school.teacher)
    assert r.json()["key"] == {
        "kind": "numeric",
        "value": 2.5,
        "absolute_tolerance": 0.0,
        "relative_tolerance": 0.0,
        "points": 1.0,
        "ranges": [],
    }
    assert {a["answer"]: a["count"] for a in r.json()["answers"]} == {"2.5": 3, "3": 1}
    r = await api.call("GET", f"{base}/items/{items[1]}/answers", school.other_teacher)
    assert r.status_code == 404
    r = await api.call("GET", f"{base}/items/{exam['id']}/answers", school.teacher)
    assert r.status_code == 404
