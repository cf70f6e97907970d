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
