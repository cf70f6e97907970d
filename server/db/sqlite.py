"""SQLite backend (aiosqlite): one connection, WAL, writes in ``BEGIN IMMEDIATE``.

One connection behind one lock keeps every transaction serialized, which is
what SQLite does anyway; WAL lets a backup or ``sqlite3`` shell read meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from server.db.seam import Connection, Database, DatabaseError, Row


class _SQLiteConnection(Connection):
    dialect = "sqlite"
    # SQLite 3.32 raised the default limit from 999 to 32766: fewer, larger statements.
    max_placeholders = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._conn.execute(sql, args)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, args))


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///"))
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=10000")
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open SQLite database {self.path}: {exc}") from None
        self.path.chmod(0o600)
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise DatabaseError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._lock:
            conn = self._connection()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteConnection(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._lock:
            yield _SQLiteConnection(self._connection())

    async def lock(self, conn: Connection, name: int) -> None:
        """Nothing to do: BEGIN IMMEDIATE already serializes writers."""
