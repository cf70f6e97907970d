"""Login throttling: wrong passwords slow down an account and an address.

Per account: five failures are free, then each further try must wait twice as
long as the one before (1 min, 2, 4 … up to 15 min) — a volunteer who mistypes
a few times is not locked out, a guesser gets a few attempts an hour. Per
address: 30 failures in 15 minutes block that address for the rest of the
window, whatever account it tries. In memory, per server process; a success
clears the account's count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
FIRST_DELAY_S = 60
MAX_DELAY_S = 900
IP_FAILURES = 30
IP_WINDOW_S = 900
MAX_KEYS = 50_000


@dataclass(slots=True)
class _Record:
    failures: int
    last: float


class LoginThrottle:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._accounts: dict[str, _Record] = {}
        self._addresses: dict[str, _Record] = {}

    def wait_s(self, account: str, address: str) -> int:
        """Seconds before this account may be tried again from this address (0: now)."""
        now = self.clock()
        waits = [0.0]
        rec = self._accounts.get(account)
        if rec is not None and rec.failures >= FREE_FAILURES:
            delay = min(FIRST_DELAY_S * 2 ** (rec.failures - FREE_FAILURES), MAX_DELAY_S)
            waits.append(rec.last + delay - now)
        ip = self._addresses.get(address)
        if ip is not None and now - ip.last < IP_WINDOW_S and ip.failures >= IP_FAILURES:
            waits.append(ip.last + IP_WINDOW_S - now)
        return int(max(waits) + 0.999)

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        if len(self._accounts) + len(self._addresses) > MAX_KEYS:
            self._forget_old(now)
        rec = self._accounts.setdefault(account, _Record(0, now))
        rec.failures, rec.last = rec.failures + 1, now
        ip = self._addresses.setdefault(address, _Record(0, now))
        if now - ip.last >= IP_WINDOW_S:
            ip.failures = 0
        ip.failures, ip.last = ip.failures + 1, now

    def succeeded(self, account: str) -> None:
        self._accounts.pop(account, None)

    def _forget_old(self, now: float) -> None:
        for table in (self._accounts, self._addresses):
            for key in [k for k, r in table.items() if now - r.last > MAX_DELAY_S * 4]:
                del table[key]
