"""The database seam: one small interface, a SQLite and a PostgreSQL backend.

Only ``server.storage`` (and the migrations) write SQL, in one dialect: ``?``
placeholders, ``ON CONFLICT DO NOTHING``, ``RETURNING``; the PostgreSQL backend
rewrites placeholders to ``$n``. Statements over thousands of rows say so
(``insert_many``, ``execute_in``, ``fetch_in``), and each backend runs them its
fastest way.
Writes run in ``transaction()`` — on SQLite a
``BEGIN IMMEDIATE`` serialized through one connection, on PostgreSQL a pooled
transaction — so a batch or a revocation is all or nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

Row = Any  # sqlite3.Row or asyncpg.Record: both index by column name


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says why."""


IN_CHUNK = 500  # values per ``IN (?, …)`` list: far below every SQLite build's limit
MAX_PLACEHOLDERS = 999  # per statement: the lowest limit of any SQLite build (before 3.32)


class Connection(ABC):
    """What storage code may do inside a read or a transaction."""

    dialect: str
    max_placeholders = MAX_PLACEHOLDERS  # ``?`` per statement this backend accepts

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    async def fetchall(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetchall(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchone(sql, *args)
        return None if row is None else row[0]

    async def insert_many(
        self, sql: str, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Run an INSERT whose row source is written ``{rows}`` for many rows at once.

        ``types`` are the columns' SQL types (``bytea``, ``text``, ``bigint``). Here,
        ``VALUES (?, …)`` once per row: cheap on SQLite, which runs in-process.
        PostgreSQL overrides this with one statement for all the rows.
        """
        if rows:
            await self.executemany(sql.format(rows=f"VALUES ({', '.join('?' * len(types))})"), rows)

    async def insert_many_returning(
        self, sql: str, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[Row]:
        """``insert_many`` whose ``sql`` ends with ``RETURNING …``: the rows really inserted.

        With ``ON CONFLICT DO NOTHING`` this says which rows were new, even while
        another transaction inserts the same keys (PostgreSQL waits for it, then
        skips them): the caller counts what it stored, not what it meant to.
        Here: multi-row ``VALUES`` lists of at most ``max_placeholders`` values.
        """
        out: list[Row] = []
        marks = f"({', '.join('?' * len(types))})"
        per_statement = max(1, self.max_placeholders // len(types))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([marks] * len(chunk))
            args = [value for row in chunk for value in row]
            out.extend(await self.fetchall(sql.format(rows=f"VALUES {values}"), *args))
        return out

    # ``sql`` of the two statements below writes ``{in}`` for "``column`` is one of
    # ``values``" (every ``{in}`` the same test), after the placeholders of ``args``.
    # Here: ``IN`` lists of at most ``IN_CHUNK`` values, one statement per chunk.
    # PostgreSQL overrides both with one statement and one array. No values, no
    # statement.

    async def execute_in(
        self, sql: str, *args: Any, column: str, values: Sequence[Any], sql_type: str
    ) -> None:
        """Run ``sql`` for all of ``values`` (see above)."""
        for statement, chunk in in_lists(sql, column, values):
            await self.execute(statement, *args, *chunk)

    async def fetch_in(
        self, sql: str, *args: Any, column: str, values: Sequence[Any], sql_type: str
    ) -> list[Row]:
        """The rows of ``sql`` for all of ``values`` (see above), chunk after chunk: an
        ``ORDER BY`` orders each chunk's rows, so sort ``values`` to keep one order."""
        rows: list[Row] = []
        for statement, chunk in in_lists(sql, column, values):
            rows.extend(await self.fetchall(statement, *args, *chunk))
        return rows


def in_lists(sql: str, column: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """(statement, its ``IN`` values) per chunk of at most ``IN_CHUNK`` of ``values``."""
    times = sql.count("{in}")
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start : start + IN_CHUNK])
        where = f"{column} IN ({', '.join('?' * len(chunk))})"
        yield sql.format(**{"in": where}), chunk * times


class Database(ABC):
    dialect: str
    url: str

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A write transaction, committed on success and rolled back on any error."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for reads (consistent per statement)."""

    @abstractmethod
    async def lock(self, conn: Connection, name: int) -> None:
        """Serialize transactions that take the same lock (PostgreSQL advisory lock)."""

    def blob(self) -> str:
        return "BLOB" if self.dialect == "sqlite" else "BYTEA"


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def split_schema(url: str) -> tuple[str, str | None]:
    """Take a ``schema=NAME`` query parameter out of a PostgreSQL URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = [(k, v) for k, v in query if k != "schema"]
    return urlunsplit(parts._replace(query=urlencode(rest))), schema


def open_database(url: str, *, schema: str | None = None) -> Database:
    """A backend for ``sqlite:///PATH`` or ``postgresql://...`` (not yet opened)."""
    if url.startswith("sqlite:///"):
        from server.db.sqlite import SQLiteDatabase

        return SQLiteDatabase(url)
    if url.startswith(("postgresql://", "postgres://")):
        from server.db.postgres import PostgresDatabase

        dsn, url_schema = split_schema(url)
        return PostgresDatabase(dsn, schema=schema or url_schema)
    raise DatabaseError(
        f"unsupported database URL {redact(url)!r}: use sqlite:/// or postgresql://"
    )


__all__ = [
    "Connection",
    "Database",
    "DatabaseError",
    "Row",
    "open_database",
    "redact",
]
