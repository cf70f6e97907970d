"""argon2id off the event loop, a bounded number at a time: password and passphrase checks.

An argon2id check takes tens of milliseconds and 64 MiB on purpose; run on the
event loop it stalls every request of the process (a burst of logins made
``/healthz`` answer in 9 s). ``SlowChecks.run`` hands it to ``workers``
threads (libsodium releases the GIL) and lets at most ``waiting`` more wait;
beyond that it refuses at once with ``Busy`` (503): a flood of logins costs a
fixed amount of CPU and memory, and the API and the console keep answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from server.errors import DomainError

T = TypeVar("T")
WORKERS = 1
WAITING = 8


class Busy(DomainError):
    """Too many password checks at once: try again in a few seconds."""

    code = "BUSY"


class SlowChecks:
    def __init__(self, workers: int = WORKERS, waiting: int = WAITING) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ssa-argon2")
        self._limit = workers + waiting
        self._running = 0  # touched only on the event loop's thread

    @property
    def full(self) -> bool:
        return self._running >= self._limit

    async def run(self, check: Callable[..., T], *args: object) -> T:
        """``check(*args)`` in a worker thread, or ``Busy`` if too many are under way."""
        if self.full:
            raise Busy("too many password checks at once; try again in a few seconds")
        self._running += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, check, *args)
        finally:
            self._running -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["Busy", "SlowChecks"]
