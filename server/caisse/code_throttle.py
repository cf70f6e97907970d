"""Rate limit for guessing one-time codes: failures per client IP and for everyone.

Fixed windows, counted in the database (``storage_failures``) so that several
server processes share one count. A code has 100 bits, so the limit is not what
makes guessing hopeless; it keeps a guesser from loading the server and makes
attacks visible (429 in the logs).
"""

from __future__ import annotations

from collections.abc import Callable

from server.config import RateLimit
from server.errors import TooManyRequests
from server.storage.core import Storage

SCOPE = "code"
GLOBAL = "*"
FORGET_AFTER_S = 86_400


class FailureLimiter:
    def __init__(self, storage: Storage, limits: RateLimit, clock: Callable[[], float]) -> None:
        self.storage = storage
        self.limits = limits
        self.clock = clock

    def _now_and_window(self) -> tuple[int, int]:
        now = int(self.clock())
        return now, now - now % self.limits.window_s

    async def check(self, client: str) -> None:
        """Raise 429 when this client, or everyone together, failed too often lately."""
        now, window = self._now_and_window()
        async with self.storage.read() as q:
            got = await q.failures.get(SCOPE, [client, GLOBAL])

        def count(subject: str) -> int:
            f = got.get(subject)
            return f.count if f is not None and f.since >= window else 0

        retry = {"Retry-After": str(window + self.limits.window_s - now)}
        if count(client) >= self.limits.per_ip:
            raise TooManyRequests(
                "RATE_LIMITED",
                "too many wrong codes from this address; try again later",
                headers=retry,
            )
        if count(GLOBAL) >= self.limits.global_:
            raise TooManyRequests(
                "RATE_LIMITED", "too many wrong codes lately; try again later", headers=retry
            )

    async def failed(self, client: str) -> None:
        now, window = self._now_and_window()
        async with self.storage.transaction() as q:
            for subject in (client, GLOBAL):
                await q.failures.add(SCOPE, subject, now, restart_before=window)
            await q.failures.forget(now - FORGET_AFTER_S)
