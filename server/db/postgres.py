"""PostgreSQL backend (asyncpg): a pool; ``?`` placeholders rewritten to ``$n``.

For caisses that outgrow one machine. An optional schema (``?schema=NAME`` in
the URL, or per test run) is created if absent and set as the search path.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from server.db.seam import Connection, Database, DatabaseError, Row, redact

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """``?`` → ``$1, $2, ...`` (storage SQL never has ``?`` inside literals)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _PostgresConnection(Connection):
    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        return _rowcount(await self._conn.execute(to_postgres(sql), *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(to_postgres(sql), list(rows))

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._conn.fetch(to_postgres(sql), *args))

    # One statement with one array per column, instead of the server working through
    # thousands of single-row statements (10× faster for a night's receipts).

    async def insert_many(
        self, sql: str, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if rows:
            arrays = ", ".join(f"?::{t}[]" for t in types)
            columns = [list(c) for c in zip(*rows, strict=True)]
            await self.execute(sql.format(rows=f"SELECT * FROM unnest({arrays})"), *columns)

    async def insert_many_returning(
        self, sql: str, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[Row]:
        if not rows:
            return []
        arrays = ", ".join(f"?::{t}[]" for t in types)
        columns = [list(c) for c in zip(*rows, strict=True)]
        return await self.fetchall(sql.format(rows=f"SELECT * FROM unnest({arrays})"), *columns)

    async def execute_in(
        self, sql: str, *args: Any, column: str, values: Sequence[Any], sql_type: str
    ) -> None:
        if values:
            statement, arrays = _any_array(sql, column, values, sql_type)
            await self.execute(statement, *args, *arrays)

    async def fetch_in(
        self, sql: str, *args: Any, column: str, values: Sequence[Any], sql_type: str
    ) -> list[Row]:
        if not values:
            return []
        statement, arrays = _any_array(sql, column, values, sql_type)
        return await self.fetchall(statement, *args, *arrays)


def _any_array(
    sql: str, column: str, values: Sequence[Any], sql_type: str
) -> tuple[str, list[list[Any]]]:
    """``sql`` with each ``{in}`` as ``column = ANY(?::type[])``, and the array for each."""
    where = f"{column} = ANY(?::{sql_type}[])"
    return sql.format(**{"in": where}), [list(values)] * sql.count("{in}")


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        if schema is not None and not _SCHEMA.fullmatch(schema):
            raise DatabaseError(f"invalid schema name {schema!r}")
        self.url = url
        self.schema = schema
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        settings = {"search_path": self.schema} if self.schema else {}
        try:
            if self.schema:
                conn = await asyncpg.connect(self.url, timeout=10)
                try:
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                finally:
                    await conn.close()
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=8, server_settings=settings, timeout=10
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise DatabaseError(f"cannot open PostgreSQL {redact(self.url)}: {exc}") from None

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def drop_schema(self) -> None:
        """Drop this database's schema and everything in it (test runs)."""
        if not self.schema:
            raise DatabaseError("no schema to drop")
        conn = await asyncpg.connect(self.url, timeout=10)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        finally:
            await conn.close()

    def _get_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise DatabaseError("database is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._get_pool().acquire() as conn, conn.transaction():
            yield _PostgresConnection(conn)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._get_pool().acquire() as conn:
            yield _PostgresConnection(conn)

    async def lock(self, conn: Connection, name: int) -> None:
        await conn.execute("SELECT pg_advisory_xact_lock(?)", name)


# Where tests and benchmarks look for a PostgreSQL server (trust auth, database test).
LOCAL_TEST_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


async def first_reachable(urls: Iterable[str], timeout: float = 3) -> str | None:
    """The first URL that accepts a connection, or None: whether a server is there."""
    for url in urls:
        try:
            conn = await asyncpg.connect(url, timeout=timeout)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            continue
        await conn.close()
        return url
    return None
