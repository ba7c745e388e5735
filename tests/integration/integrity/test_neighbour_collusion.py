"""The seat neighbourhood reaching the collusion decision, through the real API.

A national event with two sessions (one form each) in 8 x 8 labs: a class of 64 is
registered into each, the allocator seats them, everyone sits the exam through the API
(start, answers in batches, submit) and the organiser runs forensics. Both forms get the same
answers (neighbour_papers.py): a copier copies 60% of its source's answers, wrong ones
included, one or two batches after the source gave them; a second copier copies 90% of
another source from the far side of the room. On form X the first copier sits right beside
its source; on form Y, with the same answers, in the far corner. The neighbours' share of
alpha is spread over far fewer pairs than the room's, so the same evidence that is flagged
beside the source is not flagged from across the room.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import msgspec
import pytest

from engine.auth.passwords import hash_password
from engine.services import Services
from tests.integration.conftest import PASSWORD, Api
from tests.integration.integrity import neighbour_papers as papers
from tests.integration.integrity.helpers import drain, flags_of
from tests.integration.scheduling.conftest import event, ok, session
from tests.waiting import poll_until

SEED = 16
ALPHA, NEIGHBOUR_SHARE, SCREEN_SHARE, REACH = 0.001, 0.5, 0.1, 2  # the documented defaults
# the test's clock runs fast (an exam's batches arrive milliseconds apart): a window covering
# the whole run keeps the answer-clock test a matter of order alone, however slow the machine
LAG_S = 3600.0


class Form(msgspec.Struct):
    exam_id: str
    sittings: dict[int, str]  # profile -> sitting id
    seats: dict[int, int]  # profile -> seat
    room: str


class Event(msgspec.Struct):
    teacher: str
    near: Form  # form X: the copier beside its source
    apart: Form  # form Y: the same answers, the copier in the far corner


def _ordered_neighbour_pairs() -> tuple[int, int]:
    """(ordered pairs of seat neighbours, the rest) in a full ROWS x COLUMNS room, counted
    here from the seat grid (not by the code under test)."""
    seats = [(s // papers.COLUMNS, s % papers.COLUMNS) for s in range(papers.STUDENTS)]
    near = sum(
        1
        for a in seats
        for b in seats
        if a != b and max(abs(a[0] - b[0]), abs(a[1] - b[1])) <= REACH
    )
    return near, papers.STUDENTS * (papers.STUDENTS - 1) - near


def _label(seat: int) -> str:
    row, col = divmod(seat - 1, papers.COLUMNS)
    return f"R{row + 1}-C{col + 1}"


async def _people(svc: Services) -> tuple[str, str, uuid.UUID, str, list[list[str]]]:
    """An organiser (admin), one school (admin, teacher) and two classes of 64 students."""
    tag = uuid.uuid4().hex[:6]
    pw = hash_password(PASSWORD)
    organiser, school = uuid.uuid4(), uuid.uuid4()
    async with svc.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO orgs (id, parent_id, name, kind) VALUES ($1, NULL, $2, 'organiser'), "
            "($3, $1, $4, 'school')",
            organiser,
            f"Panitia {tag}",
            school,
            f"SMA Bandung {tag}",
        )

        async def user(org: uuid.UUID, name: str, role: str, cls: uuid.UUID | None = None) -> str:
            await conn.execute(
                "INSERT INTO users (id, org_id, username, display_name, role, password_hash, "
                "class_id, national_id) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
                uuid.uuid4(),
                org,
                f"{name}-{tag}",
                role,
                pw,
                cls,
                f"{random.Random(name + tag).randrange(10**10):010d}" if cls else None,
            )
            return f"{name}-{tag}"

        admin = await user(organiser, "admin", "admin")
        school_admin = await user(school, "sadmin", "school_admin")
        teacher = await user(school, "teacher", "teacher")
        classes = []
        for c in range(2):
            class_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)",
                class_id,
                school,
                f"XII IPA {c + 1}",
            )
            students = [
                await user(school, f"s{c}-{n:02d}", "student", class_id)
                for n in range(papers.STUDENTS)
            ]
            classes.append((class_id, students))
    return admin, school_admin, school, teacher, [[str(c[0]), *c[1]] for c in classes]


async def _after_now(svc: Services) -> None:
    """Wait until Redis's clock (the answer clock) has moved past this millisecond, so every
    batch gets its own server time and the order of the answers is the order they were sent."""
    sec, usec = await svc.redis.time()
    then = int(sec) * 1000 + int(usec) // 1000

    async def moved() -> bool:
        s, u = await svc.redis.time()
        return int(s) * 1000 + int(u) // 1000 > then

    await poll_until(moved, 5.0, every_s=0.0005)


async def _sit(api: Api, svc: Services, form: Form, students: dict[int, str]) -> None:
    """Every profile starts, answers in batches (the room's order) and submits."""
    rng = random.Random(SEED)
    paper = papers.items(rng)
    answers = papers.answers(rng, paper)
    for p, student in students.items():
        form.sittings[p] = (await api.start(student, form.exam_id))["id"]
    shown = await api.paper(students[0], form.sittings[0])
    by_stem = {i["stem"]: i["id"] for s in shown["sections"] for i in s["items"]}
    item_ids = [by_stem[f"Soal {n + 1}"] for n in range(papers.N_ITEMS)]
    seq = dict.fromkeys(students, 0)
    batches: dict[tuple[int, int], list[papers.Answer]] = {}
    for a in answers:
        batches.setdefault((a.batch, a.profile), []).append(a)
    for (batch, p), chunk in batches.items():  # dicts keep the room's order
        events = []
        for a in chunk:
            seq[p] += 1
            events.append(
                {
                    "seq": seq[p],
                    "item": item_ids[a.item],
                    "response": {"kind": "single_choice", "choice": a.choice},
                    "client_ts": 1_000_000 + batch * 90_000 + seq[p] * 1000,
                }
            )
        r = await api.answer(students[p], form.sittings[p], events)
        assert r.status_code == 200 and r.json()["acked_seq"] == seq[p], r.text
        await _after_now(svc)
    for p, student in students.items():
        r = await api.call("POST", f"/v1/sittings/{form.sittings[p]}/submit", student)
        assert r.status_code == 200, r.text


async def _forensics(api: Api, admin: str, exam_id: str) -> None:
    url = f"/v1/exams/{exam_id}/integrity/thresholds"
    await ok(await api.call("PUT", url, admin, json={"collusion_lag_s": LAG_S}))
    await ok(await api.call("POST", f"/v1/exams/{exam_id}/forensics", admin), 202)

    async def finished() -> bool:
        r = await api.call("GET", f"/v1/exams/{exam_id}/forensics", admin)
        return bool(r.json()["status"] not in ("queued", "running"))

    await poll_until(finished, 120.0, every_s=0.05)
    run = await ok(await api.call("GET", f"/v1/exams/{exam_id}/forensics", admin))
    assert run["status"] == "done" and run["sittings"] == papers.STUDENTS, run
    assert run["items"] == papers.N_ITEMS


@pytest.fixture(scope="module")
async def sat(client: Any, svc: Services) -> Event:
    api = Api(client)
    admin, school_admin, school, teacher, classes = await _people(svc)
    for name in ("Lab 1", "Lab 2"):
        await ok(
            await api.call(
                "POST",
                f"/v1/scheduling/schools/{school}/rooms",
                school_admin,
                json={"name": name, "seats": papers.STUDENTS, "columns": papers.COLUMNS},
            ),
            201,
        )
    paper = papers.items(random.Random(SEED))
    items = [
        {
            "kind": "single_choice",
            "stem": f"Soal {n + 1}",
            "correct": item.key,
            "options": [{"id": o, "text": f"pilihan {o}"} for o in papers.OPTIONS],
        }
        for n, item in enumerate(paper)
    ]
    exams = [await api.exam(admin, items=items, closes_in_s=6 * 3600) for _ in range(2)]
    event_id = await event(api, admin)
    sessions = [await session(api, admin, event_id, [e["id"]], starts_in_s=-30) for e in exams]
    for (class_id, *_), s in zip(classes, sessions, strict=True):
        await ok(
            await api.call(
                "POST",
                f"/v1/scheduling/events/{event_id}/registrations",
                school_admin,
                json={"class_id": class_id, "session_ids": [s["id"]]},
            ),
            201,
        )
    report = await ok(await api.call("POST", f"/v1/scheduling/events/{event_id}/allocation", admin))
    assert report["placed"] == 2 * papers.STUDENTS and report["unplaced"] == []
    for s in sessions:  # assigns each form to its classes and pre-creates their sittings
        await ok(await api.call("POST", f"/v1/scheduling/sessions/{s['id']}/prepare", admin))

    forms = []
    for exam, (_, *students), roles in zip(
        exams, classes, (papers.NEAR, papers.APART), strict=True
    ):
        # where the allocator seated each student, as the student's own page says it
        seated: dict[int, str] = {}
        rooms = set()
        for student in students:
            (mine,) = await ok(await api.call("GET", "/v1/scheduling/my-exams", student))
            assert mine["exam_id"] == exam["id"]
            seated[mine["seat"]] = student
            rooms.add(mine["room"])
        assert sorted(seated) == list(range(1, papers.STUDENTS + 1)) and len(rooms) == 1
        seats = papers.seating(roles)
        form = Form(exam["id"], {}, seats, rooms.pop())
        await _sit(api, svc, form, {p: seated[seat] for p, seat in seats.items()})
        forms.append(form)
    # the two sessions run at the same time: each has a lab of its own, never one lab twice
    assert forms[0].room != forms[1].room
    await drain(svc)
    for form in forms:
        await _forensics(api, admin, form.exam_id)
    return Event(teacher, forms[0], forms[1])


def _cut(detail: dict[str, Any]) -> float:
    (cut,) = [e["value"] for e in detail["evidence"] if e.get("label") == "cut"]
    return float(cut)


async def _pair_flag(api: Api, who: str, form: Form, me: int, other: int) -> dict[str, Any]:
    flags = await flags_of(api, who, form.exam_id, rule="answer_similarity")
    (flag,) = [
        f
        for f in flags
        if (f["sitting_id"], f["subject"]) == (form.sittings[me], form.sittings[other])
    ]
    detail: dict[str, Any] = await ok(
        await api.call("GET", f"/v1/integrity/flags/{flag['id']}", who)
    )
    return detail


async def test_the_copier_beside_its_source_is_flagged_as_a_neighbour(
    client: Any, sat: Event
) -> None:
    api, form = Api(client), sat.near
    near, room = _ordered_neighbour_pairs()
    detail = await _pair_flag(api, sat.teacher, form, papers.COPIER, papers.SOURCE)
    flag = detail["flag"]
    # the neighbours' share of alpha over their ordered pairs, two tests each (Bonferroni)
    assert _cut(detail) == pytest.approx(ALPHA * NEIGHBOUR_SHARE / (near * 2), rel=1e-12)
    assert flag["kind"] == "test" and flag["correction"] == "bonferroni"
    assert 0.0 < flag["p_value"] <= _cut(detail) and flag["statistic"] > 0
    note = flag["note"]
    assert note.startswith("copier (")
    assert "seat neighbours in one room" in note
    here, there = _label(form.seats[papers.COPIER]), _label(form.seats[papers.SOURCE])
    assert (here, there) == ("R3-C4", "R3-C3")
    assert f"seated at {here} (this sitting) and {there} (the other), both in {form.room}" in note
    assert f"p = {flag['p_value']:.2g}" in note
    # the source's flag says the same seats, from its side
    theirs = await _pair_flag(api, sat.teacher, form, papers.SOURCE, papers.COPIER)
    assert theirs["flag"]["note"].startswith("source (")
    assert f"seated at {there} (this sitting) and {here} (the other)" in theirs["flag"]["note"]
    # the matched answers include wrong ones: copying, not two students who know the key
    matches = [e for e in detail["evidence"] if e["kind"] == "match"]
    assert any(not m["correct"] for m in matches)

    # the far pair of the same room is tested in the room block, at its stricter cut
    far = await _pair_flag(api, sat.teacher, form, papers.COPIER2, papers.SOURCE2)
    assert "in one room or behind one address" in far["flag"]["note"]
    room_cut = ALPHA * (1 - NEIGHBOUR_SHARE - SCREEN_SHARE) / (room * 2)
    assert _cut(far) == pytest.approx(room_cut, rel=1e-12)
    assert _cut(far) < _cut(detail)


async def test_honest_neighbours_are_not_flagged(client: Any, sat: Event) -> None:
    api, form = Api(client), sat.near
    # the honest student right behind the source has the source's ability
    assert form.seats[papers.NEIGHBOUR] - form.seats[papers.SOURCE] == papers.COLUMNS
    pairs = {papers.SOURCE: papers.COPIER, papers.SOURCE2: papers.COPIER2}
    expected = {form.sittings[p] for pair in pairs.items() for p in pair}
    for rule in ("answer_similarity", "answer_similarity_screen", "timestamp_synchrony"):
        flags = await flags_of(api, sat.teacher, form.exam_id, rule=rule)
        # only the planted pairs, in both directions; nobody else (neighbours included)
        assert {f["sitting_id"] for f in flags} <= expected, rule
        assert form.sittings[papers.NEIGHBOUR] not in {f["subject"] for f in flags}
    flagged = await flags_of(api, sat.teacher, form.exam_id, rule="answer_similarity")
    assert {f["sitting_id"] for f in flagged} == expected


async def test_seated_apart_the_same_answers_meet_the_stricter_room_cut(
    client: Any, sat: Event
) -> None:
    api = Api(client)
    beside = await _pair_flag(api, sat.teacher, sat.near, papers.COPIER, papers.SOURCE)
    p_beside, neighbour_cut = beside["flag"]["p_value"], _cut(beside)
    apart = sat.apart
    far_row = (apart.seats[papers.COPIER] - 1) // papers.COLUMNS
    src_row = (apart.seats[papers.SOURCE] - 1) // papers.COLUMNS
    assert abs(far_row - src_row) > REACH  # not neighbours any more
    flags = await flags_of(api, sat.teacher, apart.exam_id, rule="answer_similarity")
    ids = {apart.sittings[papers.COPIER], apart.sittings[papers.SOURCE]}
    assert not [f for f in flags if f["sitting_id"] in ids], flags
    # the room block's cut, read from the far pair that it does flag on this form
    far = await _pair_flag(api, sat.teacher, apart, papers.COPIER2, papers.SOURCE2)
    room_cut = _cut(far)
    # the evidence that rejects beside the source does not from across the room
    assert room_cut < p_beside <= neighbour_cut
    screen = await flags_of(api, sat.teacher, apart.exam_id, rule="answer_similarity_screen")
    assert not [f for f in screen if f["sitting_id"] in ids]
