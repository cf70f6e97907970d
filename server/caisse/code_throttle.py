"""Rate limit for guessing one-time codes: per client address first, for everyone last.

Fixed windows, counted in the database (``storage_failures``) so that several
server processes share one count. A code has 100 bits, so the limit is not what
makes guessing hopeless; it keeps a guesser from loading the server and makes
attacks visible (429 in the logs).

Counted atomically: each attempt is reserved (``reserve``: one transaction that
locks the address's counter) before the code is looked at, so a burst of
concurrent guesses from one address gets ``per_ip`` checks per window, not one
per request; a valid code gives its reservation back (``succeeded``).

The global count is a last resort, with a much higher bound, and it refuses
only addresses that have themselves failed in the window: a few addresses can
never exhaust it (each stops at ``per_ip``), and a member with a valid code at
an address that guessed nothing wrong is always served, however many others
guessed wrong.
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

    async def reserve(self, client: str) -> None:
        """Count one attempt from ``client`` before its code is checked, or raise 429."""
        now, window = self._now_and_window()
        retry = {"Retry-After": str(window + self.limits.window_s - now)}
        async with self.storage.transaction() as q:
            mine = await q.failures.lock(SCOPE, client, now)
            everyone = await q.failures.lock(SCOPE, GLOBAL, now)
            own = mine.count if mine.since >= window else 0
            total = everyone.count if everyone.since >= window else 0
            if own >= self.limits.per_ip:
                raise TooManyRequests(
                    "RATE_LIMITED",
                    "too many wrong codes from this address; try again later",
                    headers=retry,
                )
            if own > 0 and total >= self.limits.global_:
                raise TooManyRequests(
                    "RATE_LIMITED", "too many wrong codes lately; try again later", headers=retry
                )
            for subject in (client, GLOBAL):
                await q.failures.add(SCOPE, subject, now, restart_before=window)

    async def succeeded(self, client: str) -> None:
        """The code was valid: the attempt was no failure."""
        async with self.storage.transaction() as q:
            for subject in (client, GLOBAL):
                await q.failures.refund(SCOPE, subject)

    async def forget(self) -> None:
        """Drop every failure counter (codes, logins) untouched for a day."""
        async with self.storage.transaction() as q:
            await q.failures.forget(int(self.clock()) - FORGET_AFTER_S)
