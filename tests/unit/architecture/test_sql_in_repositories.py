"""SQL lives in repositories: no other product module holds a query or sends one.

A module is a repository when its name is ``repository.py``, ``repository_*.py`` or
``*_repository.py``. Anywhere
else, a string that reads as SQL, or a call of asyncpg's query methods, is a layer broken.
``NOT_YET`` lists the modules that still hold SQL of their own, each to be emptied into its
package's repository; the list may only shrink (a module that no longer needs its entry fails
the test until the entry is removed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("engine", "grading", "proctoring", "question_bank", "overflow_lambda")

# what opens a statement: a keyword at the start of a string, as our SQL is written
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s|DELETE\s+FROM\s|WITH\s+(RECURSIVE\s+)?\w+\s+AS\s*\(|"
    r"COPY\s|LOCK\s+TABLE\s|CREATE\s|ALTER\s|DROP\s|TRUNCATE\s|SET\s+LOCAL\s)"
)
# asyncpg's own query methods; Redis pipelines' ``execute()`` takes no statement, so an
# ``execute`` counts only when it is handed one
QUERY_METHODS = {
    "fetch",
    "fetchrow",
    "fetchval",
    "executemany",
    "copy_records_to_table",
    "copy_to_table",
    "copy_from_query",
    "copy_from_table",
}

# the module that owns the pool, its codecs and the migration runner talks to PostgreSQL by
# nature: it is the adapter the repositories stand on
ADAPTERS = {"engine/db.py"}

# empty since every service's SQL moved into its package's repository; kept so that a module
# found holding SQL again must be named here, in review, before it can land
NOT_YET: set[str] = set()


def is_repository(path: Path) -> bool:
    return (
        path.stem == "repository"
        or path.stem.startswith("repository_")
        or path.stem.endswith("_repository")
    )


def product_modules() -> list[Path]:
    return sorted(
        p
        for package in PACKAGES
        for p in (REPO / package).rglob("*.py")
        if "__pycache__" not in p.parts and "static" not in p.parts
    )


def _string_parts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        # an f-string's literal opening is where its statement keyword is
        first = node.values[0] if node.values else None
        return (
            [first.value]
            if isinstance(first, ast.Constant) and isinstance(first.value, str)
            else []
        )
    return []


def _is_statement(call: ast.Call) -> bool:
    """An ``execute`` handed SQL: a statement constant (``UPPER_CASE``) or SQL text, where a
    Redis command is handed its command's name and a key."""
    if not call.args or any(k.arg == "key" for k in call.keywords):
        return False
    first = call.args[0]
    name = first.attr if isinstance(first, ast.Attribute) else getattr(first, "id", "")
    if name and name.isupper():
        return True
    return any(SQL_TEXT.match(text) for text in _string_parts(first)) or isinstance(
        first, ast.JoinedStr
    )


def sql_found(source: str) -> list[str]:
    """Where a module holds SQL text or sends a query: ``line: what`` for each place."""
    found = []
    tree = ast.parse(source)
    docstrings = {
        id(body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and (body := node.body)
        and isinstance(body[0], ast.Expr)
    }
    # an f-string's pieces are read through the f-string itself
    pieces = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in pieces:
            continue
        if isinstance(node, ast.JoinedStr | ast.Constant):
            for text in _string_parts(node):
                if SQL_TEXT.match(text):
                    found.append(f"{node.lineno}: SQL text {text.strip()[:40]!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            handed_statement = method == "execute" and _is_statement(node)
            if method in QUERY_METHODS or handed_statement:
                found.append(f"{node.lineno}: .{method}(...)")
    return found


def offenders() -> dict[str, list[str]]:
    result = {}
    for path in product_modules():
        name = str(path.relative_to(REPO))
        if is_repository(path) or name in ADAPTERS:
            continue
        if places := sql_found(path.read_text()):
            result[name] = places
    return result


def test_sql_is_only_in_repositories() -> None:
    new = {name: places for name, places in offenders().items() if name not in NOT_YET}
    assert not new, f"SQL outside a repository (move it into the package's repository): {new}"


def test_the_not_yet_list_only_shrinks() -> None:
    emptied = NOT_YET - offenders().keys()
    assert not emptied, f"these modules hold no SQL any more; remove them from NOT_YET: {emptied}"


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ('Q = "SELECT id FROM users"', 1),
        ('Q = f"""\n  UPDATE sittings SET x = {y}"""', 1),
        ("async def f(conn):\n    return await conn.fetchrow(Q, 1)", 1),
        ("async def f(conn):\n    await conn.execute(Q)", 1),
        # a Redis pipeline's execute, prose and docstrings are not SQL
        # the statement and its sending
        ("async def f(conn):\n    await conn.execute(f'LOCK TABLE {t}')", 2),
        ("async def f(pipe):\n    return await pipe.execute()", 0),
        ('async def f(lane):\n    return await lane.execute("HGET", k, "f", key=k)', 0),
        ('async def f(reader):\n    return await reader.execute("XREADGROUP", "GROUP", g)', 0),
        ('"""Select the rows."""\nX = "select a colour"', 0),
        ('def f():\n    """SELECT in a docstring explains, it does not query."""', 0),
    ],
)
def test_the_finder_tells_sql_from_other_text(source: str, count: int) -> None:
    assert len(sql_found(source)) == count
