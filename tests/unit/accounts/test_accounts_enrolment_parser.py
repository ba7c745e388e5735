"""The enrolment CSV parser: precise row errors, every bad row reported, round trip with export;
exam card codes; the effective time of a student."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.accounts.enrolment_csv import export_csv, parse_enrolment
from engine.accounts.override_rules import effective_limit_s
from engine.auth import cards

HEADER = b"national_id,display_name,class\n"


def test_good_file_with_bom_crlf_quotes_and_optional_columns() -> None:
    data = (
        "\ufeffNational_ID,Display_Name,Class,Username,Password\r\n"
        '0012345678,"Siti, Nur",9A,,\r\n'
        "0012345679,Budi Santoso,9B,budi.s,rahasia-123\r\n"
    ).encode()
    parsed = parse_enrolment(data)
    assert parsed.errors == [] and parsed.count == 2
    siti, budi = parsed.rows
    assert (siti.line, siti.display_name, siti.username, siti.password) == (
        2,
        "Siti, Nur",
        "0012345678",
        None,
    )
    assert (budi.line, budi.username, budi.password) == (3, "budi.s", "rahasia-123")


def test_wrong_columns_are_reported_on_line_one() -> None:
    parsed = parse_enrolment(b"nisn,display_name,class,class\n1,2,3,4\n")
    found = {(e.line, e.column, e.reason.split(" (")[0]) for e in parsed.errors}
    assert found == {
        (1, "nisn", "unknown column"),
        (1, "class", "column appears twice"),
        (1, "national_id", "missing column"),
    }
    assert parsed.rows == []
    assert parse_enrolment(b"").errors[0].line == 1


def test_every_bad_row_is_reported_with_line_and_column() -> None:
    data = (
        HEADER
        + (
            b"0000000001,Ani,9A\n"
            b"12345,Budi,9A\n"  # 3: short national id
            b"0000000002,,9A\n"  # 4: empty name
            b"0000000001,Ani again,9A\n"  # 5: duplicate national id
            b"0000000003,Citra\n"  # 6: missing a field
            b"\n"  # 7: blank, ignored
            b"0000000004,Dewi,9A\n"
        )
        + b"0000000005,Eko \xff\xfe,9A\n"
    )  # 9: bad bytes
    parsed = parse_enrolment(data)
    got = [(e.line, e.column) for e in parsed.errors]
    assert got == [
        (3, "national_id"),
        (4, "display_name"),
        (5, "national_id"),
        (6, None),
        (9, "display_name"),
    ]
    assert "line 2" in parsed.errors[2].reason and "0xff" in parsed.errors[4].reason
    assert [r.national_id for r in parsed.rows] == ["0000000001", "0000000004"]
    assert parsed.count == 7


def test_quoted_newlines_keep_line_numbers_right() -> None:
    data = HEADER + b'0000000001,"Two\nlines",9A\n0000000002,Ok,9A\n12,Bad,9A\n'
    parsed = parse_enrolment(data)
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "display_name"), (5, "national_id")]


def test_row_cap() -> None:
    data = HEADER + b"".join(b"%010d,S,9A\n" % n for n in range(5))
    parsed = parse_enrolment(data, max_rows=3)
    assert parsed.errors[-1].line == 5 and "more than 3" in parsed.errors[-1].reason


names = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@given(
    st.lists(
        st.tuples(st.integers(0, 10**10 - 1), names, names), max_size=30, unique_by=lambda r: r[0]
    )
)
def test_export_round_trips(students: list[tuple[int, str, str]]) -> None:
    records = [(f"{n:010d}", f"{n:010d}", name, klass[:50]) for n, name, klass in students]
    parsed = parse_enrolment(export_csv(records))
    assert parsed.errors == []
    assert [(r.national_id, r.username, r.display_name, r.class_name) for r in parsed.rows] == [
        (a, b, c, d) for a, b, c, d in records
    ]


@given(st.binary(max_size=400))
def test_garbage_never_crashes_and_errors_point_inside_the_file(data: bytes) -> None:
    parsed = parse_enrolment(HEADER + data)
    lines = (HEADER + data).count(b"\n") + (HEADER + data).count(b"\r") + 2
    assert all(1 <= e.line <= lines for e in parsed.errors)
    assert len(parsed.rows) <= parsed.count


@given(st.text(max_size=20))
def test_card_codes_normalise(noise: str) -> None:
    code = cards.new_code()
    assert len(code) == 14 and cards.normalise(code.lower().replace("-", " ")) == code.replace(
        "-", ""
    )
    assert cards.digest(code) == cards.digest(code.lower())
    symbols = cards.normalise(noise)
    assert symbols is None or (len(symbols) == 12 and set(symbols) <= set(cards.ALPHABET))


@given(
    st.integers(60, 86_400),
    st.one_of(st.none(), st.integers(60, 86_400)),
    st.integers(0, 300),
    st.integers(0, 3600),
)
def test_effective_limit(limit: int, override: int | None, pct: int, extra: int) -> None:
    got = effective_limit_s(limit, override, pct, extra)
    base = override or limit
    assert base + extra <= got and got * 100 <= base * (100 + pct) + extra * 100
