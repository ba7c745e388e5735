"""What the repositories need of a PostgreSQL connection and pool, as protocols.

The kernel names the port; asyncpg's ``Connection``, ``Pool`` and pooled connection satisfy it
(engine/db.py makes them). Services and repositories take these types instead of ``Any``, so
a call the driver does not offer, or a pool passed where a transaction's connection is needed,
fails the type check rather than a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol


class Row(Protocol):
    """A result row: by column name or position, and as a mapping (``dict(row)``)."""

    def __getitem__(self, key: str | int, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def get(self, key: str, default: Any = None, /) -> Any: ...
    def keys(self) -> Iterator[str]: ...
    def values(self) -> Iterator[Any]: ...
    def items(self) -> Iterator[tuple[str, Any]]: ...


class Queries(Protocol):
    """The statements both a connection and a pool run (a pool on a connection of its own)."""

    async def execute(self, query: str, *args: Any) -> str: ...
    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...
    async def fetch(self, query: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, query: str, *args: Any) -> Row | None: ...
    async def fetchval(self, query: str, *args: Any, column: int = 0) -> Any: ...
    async def copy_records_to_table(
        self,
        table: str,
        /,
        *,
        records: Iterable[Sequence[Any]],
        columns: Sequence[str] | None = None,
    ) -> str: ...


class Connection(Queries, Protocol):
    """One connection: what a transaction's statements run on."""

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...


class Pool(Queries, Protocol):
    """The process's pool: a connection is taken for a transaction or a run of statements."""

    def acquire(self) -> AbstractAsyncContextManager[Connection]: ...
    def get_size(self) -> int: ...
    def get_idle_size(self) -> int: ...


def required(row: Row | None, what: str) -> Row:
    """The row a statement must return (one just written, or one its caller checked exists):
    its absence is a broken invariant, not a client's error."""
    if row is None:
        raise LookupError(f"{what}: no row where one must be")
    return row
