"""Demo data a newcomer can click through: an organiser, a school, a teacher, 30 students and a
published 20-item mock exam whose window is open now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import msgspec

from engine.accounts import repository as accounts
from engine.accounts.repository_exam_access import newest_exam_created_by
from engine.auth.passwords import hash_password
from engine.exams.models import ExamCreate, SectionCreate
from engine.exams.service import assign_exam, create_exam, create_item, publish_exam
from engine.kernel.principal import Principal, Role
from engine.kernel.sql import Connection
from engine.ports import WithPapers, WithPool
from question_bank.items import ItemCreate


class Needs(WithPapers, WithPool, Protocol):
    """What this module's services use of the process's collaborators (engine/ports.py)."""


DEMO_ORGANISER = "Demo National Organiser"
DEMO_SCHOOL = "SMA Negeri Demo 1"
ADMIN = ("organiser", "organiser-demo")
TEACHER = ("teacher", "teacher-demo")
STUDENT_COUNT = 30
STUDENT_PASSWORD = "student-demo"


class DemoLogins(msgspec.Struct, frozen=True):
    organiser: tuple[str, str]
    teacher: tuple[str, str]
    students: list[str]
    student_password: str
    exam_id: uuid.UUID
    exam_title: str
    created: bool


def _items() -> list[dict[str, Any]]:
    def choice(stem: str, options: list[str], correct: int) -> dict[str, Any]:
        ids = "abcde"
        return {
            "kind": "single_choice",
            "stem": stem,
            "options": [{"id": ids[i], "text": t} for i, t in enumerate(options)],
            "correct": ids[correct],
        }

    items = [
        choice("Berapakah 12 × 12?", ["124", "144", "142", "132", "154"], 1),
        choice(
            "Ibu kota provinsi Sulawesi Selatan adalah …",
            ["Manado", "Palu", "Makassar", "Kendari", "Gorontalo"],
            2,
        ),
        choice("Which word is a synonym of 'rapid'?", ["slow", "quick", "calm", "late", "weak"], 1),
        choice("Rumus kimia air adalah …", ["CO2", "H2O", "O2", "NaCl", "H2SO4"], 1),
        choice("Jika 2x + 6 = 20, maka x = …", ["5", "6", "7", "8", "9"], 2),
        choice(
            "Planet terbesar di tata surya adalah …",
            ["Mars", "Bumi", "Saturnus", "Jupiter", "Neptunus"],
            3,
        ),
        choice(
            "Choose the correct sentence.",
            [
                "She go to school.",
                "She goes to school.",
                "She going to school.",
                "She gone to school.",
                "She goed to school.",
            ],
            1,
        ),
        choice("Hasil dari 3/4 + 1/8 adalah …", ["7/8", "1/2", "4/12", "5/8", "1"], 0),
        choice(
            "Proklamasi kemerdekaan Indonesia dibacakan pada tahun …",
            ["1942", "1945", "1949", "1950", "1965"],
            1,
        ),
        choice("Satuan SI untuk gaya adalah …", ["joule", "watt", "newton", "pascal", "volt"], 2),
        choice(
            "What is the past tense of 'write'?",
            ["writed", "wrote", "written", "writes", "writing"],
            1,
        ),
        choice(
            "Bilangan prima di antara 20 dan 30 adalah …",
            ["21 dan 27", "23 dan 29", "25 dan 27", "22 dan 26", "23 dan 27"],
            1,
        ),
        {
            "kind": "multiple_response",
            "stem": "Manakah yang termasuk bilangan genap?",
            "options": [
                {"id": i, "text": t}
                for i, t in zip("abcde", ["2", "3", "8", "11", "14"], strict=True)
            ],
            "correct": ["a", "c", "e"],
            "partial_credit": True,
        },
        {
            "kind": "multiple_response",
            "stem": "Which of these are mammals?",
            "options": [
                {"id": i, "text": t}
                for i, t in zip("abcd", ["whale", "shark", "bat", "penguin"], strict=True)
            ],
            "correct": ["a", "c"],
        },
        {
            "kind": "numeric",
            "stem": "Berapakah luas persegi dengan sisi 7 cm (dalam cm²)?",
            "value": 49,
            "unit": "cm²",
        },
        {
            "kind": "numeric",
            "stem": "Nilai π sampai dua angka desimal adalah …",
            "value": 3.14,
            "absolute_tolerance": 0.005,
        },
        {
            "kind": "numeric",
            "stem": "Sebuah mobil menempuh 150 km dalam 2 jam. Berapa km/jam "
            "kecepatan rata-ratanya?",
            "value": 75,
            "unit": "km/jam",
        },
        {
            "kind": "short_text",
            "stem": "Sebutkan nama presiden pertama Republik Indonesia.",
            "accepted": ["Soekarno", "Sukarno", "Ir. Soekarno"],
        },
        {
            "kind": "short_text",
            "stem": "What is the opposite of 'ancient'?",
            "accepted": ["modern", "new"],
        },
        {
            "kind": "short_text",
            "stem": "Lambang unsur kimia untuk emas adalah …",
            "accepted": ["Au"],
            "case_sensitive": True,
        },
    ]
    return items


async def _insert_org(
    conn: Connection, name: str, kind: str, parent: uuid.UUID | None
) -> uuid.UUID:
    org_id = uuid.uuid4()
    await accounts.insert_org(conn, org_id, parent, name, kind)
    return org_id


async def _insert_user(
    conn: Connection, org_id: uuid.UUID, username: str, name: str, role: Role, password: str
) -> Principal:
    user_id = uuid.uuid4()
    await accounts.insert_user(conn, user_id, org_id, username, name, role, hash_password(password))
    return Principal(user_id=user_id, org_id=org_id, role=role)


async def load_demo(svc: Needs, now: datetime | None = None) -> DemoLogins:
    """Create the demo data once; a second call only reports the sign-in details."""
    students = [f"student{n:02d}" for n in range(1, STUDENT_COUNT + 1)]
    async with svc.pool.acquire() as conn:
        existing = await newest_exam_created_by(conn, TEACHER[0])
    if existing is not None:
        return DemoLogins(
            ADMIN,
            TEACHER,
            students,
            STUDENT_PASSWORD,
            existing.id,
            existing.title,
            created=False,
        )
    async with svc.pool.acquire() as conn, conn.transaction():
        organiser_org = await _insert_org(conn, DEMO_ORGANISER, "organiser", None)
        school = await _insert_org(conn, DEMO_SCHOOL, "school", organiser_org)
        await _insert_user(conn, organiser_org, ADMIN[0], "Demo Organiser", "admin", ADMIN[1])
        teacher = await _insert_user(
            conn, school, TEACHER[0], "Ibu Sari (teacher)", "teacher", TEACHER[1]
        )
        for n, username in enumerate(students, start=1):
            await _insert_user(
                conn, school, username, f"Siswa {n:02d}", "student", STUDENT_PASSWORD
            )
    item_ids = []
    for raw in _items():
        created = await create_item(svc.pool, teacher, msgspec.convert(raw, ItemCreate))
        item_ids.append(created.id)
    now = now or datetime.now(UTC)
    exam = await create_exam(
        svc.pool,
        teacher,
        ExamCreate(
            title="Try-out UTBK Demo",
            sections=[
                SectionCreate("Pengetahuan Umum", item_ids[:12]),
                SectionCreate("Penalaran", item_ids[12:]),
            ],
            time_limit_s=60 * 60,
            window_open=now - timedelta(minutes=5),
            window_close=now + timedelta(days=30),
            grace_s=30,
        ),
    )
    await publish_exam(svc.pool, svc.papers, teacher, exam.id)
    await assign_exam(svc.pool, teacher, exam.id, [school])
    return DemoLogins(ADMIN, TEACHER, students, STUDENT_PASSWORD, exam.id, exam.title, created=True)
