"""Rate limit for guessing one-time codes: failures per client IP and for everyone.

Fixed windows in memory (one process). A code has 100 bits, so the limit is
not what makes guessing hopeless; it keeps a guesser from loading the server
and makes attacks visible (429 in the logs).
"""

from __future__ import annotations

from collections.abc import Callable

from .config import RateLimit
from .errors import TooManyRequests

GLOBAL = "*"


class FailureLimiter:
    def __init__(self, limits: RateLimit, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._windows: dict[str, tuple[int, int]] = {}

    def _window(self) -> int:
        return int(self.clock()) // self.limits.window_s

    def _count(self, key: str, window: int) -> int:
        start, count = self._windows.get(key, (window, 0))
        return count if start == window else 0

    def check(self, client: str) -> None:
        """Raise 429 when this client, or everyone together, failed too often lately."""
        window = self._window()
        retry = str(self.limits.window_s - int(self.clock()) % self.limits.window_s)
        if self._count(client, window) >= self.limits.per_ip:
            raise TooManyRequests(
                "RATE_LIMITED",
                "too many wrong codes from this address; try again later",
                headers={"Retry-After": retry},
            )
        if self._count(GLOBAL, window) >= self.limits.global_:
            raise TooManyRequests(
                "RATE_LIMITED",
                "too many wrong codes lately; try again later",
                headers={"Retry-After": retry},
            )

    def failed(self, client: str) -> None:
        window = self._window()
        if len(self._windows) > 50_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        for key in (client, GLOBAL):
            self._windows[key] = (window, self._count(key, window) + 1)
