"""A pooled connection goes back to the pool without a round trip (engine/db.py: the reset
hook), and that is safe only while no code keeps session state on a pooled connection."""

from __future__ import annotations

import re
from pathlib import Path

from engine.db import create_pool

ROOT = Path(__file__).resolve().parents[2]
# what would outlive a transaction on a pooled connection, were the session not reset
SESSION_STATE = re.compile(
    r"pg_advisory_lock\s*\(|pg_try_advisory_lock\s*\(|\bLISTEN\s+\w|add_listener\s*\("
    r"|\bSET\s+(SESSION\b|search_path|statement_timeout|lock_timeout|TIME\s+ZONE|ROLE\b)"
    r"|set_config\s*\([^)]*false\s*\)|WITH\s+HOLD",
    re.IGNORECASE,
)


async def test_a_release_sends_no_query_and_still_ends_an_open_transaction(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        seen: list[str] = []
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: seen.append(record.query))
            assert await conn.fetchval("SELECT 41 + 1") == 42
            # a transaction left open by mistake (not a managed one) must not leak
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE left_open (x int)")
        async with pool.acquire() as again:
            # the same one connection: what the release sent is all that ran in between
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
        assert not any("RESET ALL" in q or "UNLISTEN" in q for q in seen), seen
        assert "ROLLBACK" in seen
    finally:
        await pool.close()


def test_no_module_keeps_session_state_on_a_connection() -> None:
    found = []
    for package in ("engine", "grading", "question_bank", "proctoring", "overflow_lambda"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix not in (".py", ".sql") or path.name == "db.py":
                continue  # db.py's migration lock is on a connection of its own
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SESSION_STATE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "session state on a pooled connection:\n" + "\n".join(found)


def test_the_session_state_check_finds_what_it_looks_for() -> None:
    for line in (
        'await conn.execute("SELECT pg_advisory_lock($1)", 7)',
        "await conn.execute('LISTEN sittings')",
        "SET SESSION statement_timeout = 5",
        "SELECT set_config('app.org', $1, false)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
    ):
        assert SESSION_STATE.search(line), line
    for line in ("SELECT pg_advisory_xact_lock(1)", "UPDATE s SET state = 'graded'"):
        assert not SESSION_STATE.search(line), line
