"""The local PostgreSQL server for benchmarks: found once, a throw-away schema per measure."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from server.db.postgres import LOCAL_TEST_URLS, PostgresDatabase, first_reachable

UNREACHABLE = "PostgreSQL not reachable at 127.0.0.1:5432 (database test)"


def local_url() -> str | None:
    return asyncio.run(first_reachable(LOCAL_TEST_URLS))


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A fresh schema name, dropped with everything in it afterwards."""
    schema = f"ssa_bench_{secrets.token_hex(4)}"
    try:
        yield schema
    finally:
        asyncio.run(PostgresDatabase(url, schema=schema).drop_schema())


def schema_for(url: str | None) -> AbstractContextManager[str | None]:
    """A scratch schema on PostgreSQL; None (nothing to make) for SQLite."""
    return scratch_schema(url) if url else nullcontext(None)
