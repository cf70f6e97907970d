"""SQL for failure counters (wrong one-time codes, wrong admin passwords).

Counted in the database, not in a process's memory, so that every server process
behind a load balancer, and a server just restarted, sees the same counts: a
guesser gains nothing by spreading tries or waiting for a deploy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.storage.core import Queries

MAX_SUBJECT = 320  # an e-mail address at most; longer input is cut, never stored whole


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    since: int  # the first failure of the current run
    last_at: int


class FailureQueries:
    """Failure counters on the connection of a ``Queries``; reached as ``q.failures``."""

    def __init__(self, q: Queries) -> None:
        self.conn = q.conn

    async def get(self, scope: str, subjects: Sequence[str]) -> dict[str, Failures]:
        cut = [s[:MAX_SUBJECT] for s in subjects]
        rows = await self.conn.fetchall(
            "SELECT subject, n, since, last_at FROM failures WHERE scope = ? "
            f"AND subject IN ({', '.join('?' * len(cut))})",
            scope,
            *cut,
        )
        by_cut = {r[0]: Failures(int(r[1]), int(r[2]), int(r[3])) for r in rows}
        return {s: by_cut[c] for s, c in zip(subjects, cut, strict=True) if c in by_cut}

    async def lock(self, scope: str, subject: str, now: int) -> Failures:
        """This counter as it stands, locked until the transaction ends (created at 0).

        The caller decides with it and counts the attempt (``add``) before the
        transaction commits: concurrent attempts on one counter, in any server
        process, wait for each other, so a burst cannot all pass one check. On
        SQLite the write transaction already serializes them.
        """
        cut = subject[:MAX_SUBJECT]
        await self.conn.execute(
            "INSERT INTO failures (scope, subject, n, since, last_at) VALUES (?, ?, 0, ?, ?) "
            "ON CONFLICT (scope, subject) DO NOTHING",
            scope,
            cut,
            now,
            now,
        )
        row = await self.conn.fetchone(
            "UPDATE failures SET n = n WHERE scope = ? AND subject = ? RETURNING n, since, last_at",
            scope,
            cut,
        )
        assert row is not None  # inserted just above, in this transaction
        return Failures(int(row[0]), int(row[1]), int(row[2]))

    async def refund(self, scope: str, subject: str) -> None:
        """Take back one counted attempt (it succeeded)."""
        await self.conn.execute(
            "UPDATE failures SET n = n - 1 WHERE scope = ? AND subject = ? AND n > 0",
            scope,
            subject[:MAX_SUBJECT],
        )

    async def add(self, scope: str, subject: str, now: int, restart_before: int) -> None:
        """One more failure; the run starts again at 1 if it began before ``restart_before``."""
        await self.conn.execute(
            "INSERT INTO failures (scope, subject, n, since, last_at) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT (scope, subject) DO UPDATE SET "
            "n = CASE WHEN failures.since < ? THEN 1 ELSE failures.n + 1 END, "
            "since = CASE WHEN failures.since < ? THEN excluded.since ELSE failures.since END, "
            "last_at = excluded.last_at",
            scope,
            subject[:MAX_SUBJECT],
            now,
            now,
            restart_before,
            restart_before,
        )

    async def clear(self, scope: str, subject: str) -> None:
        await self.conn.execute(
            "DELETE FROM failures WHERE scope = ? AND subject = ?", scope, subject[:MAX_SUBJECT]
        )

    async def forget(self, before: int) -> None:
        """Drop counters untouched since ``before``: the table stays the size of an attack."""
        await self.conn.execute("DELETE FROM failures WHERE last_at < ?", before)
