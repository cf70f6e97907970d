"""Login throttling: wrong passwords slow down an account and an address.

Per account: five failures are free, then each further try must wait twice as
long as the one before (1 min, 2, 4 … up to 15 min) — a volunteer who mistypes
a few times is not locked out, a guesser gets a few attempts an hour. Per
address: 30 failures within 15 minutes block that address until those 15
minutes are over, whatever account it tries. Counted in the database, so every
server process and a restart see the same counts; a success clears the
account's count.
"""

from __future__ import annotations

from collections.abc import Callable

from server.storage.core import Storage

FREE_FAILURES = 5
FIRST_DELAY_S = 60
MAX_DELAY_S = 900
IP_FAILURES = 30
IP_WINDOW_S = 900
FORGET_AFTER_S = 86_400
ACCOUNT, ADDRESS = "login-account", "login-address"


class LoginThrottle:
    def __init__(self, storage: Storage, clock: Callable[[], float]) -> None:
        self.storage = storage
        self.clock = clock

    async def wait_s(self, account: str, address: str) -> int:
        """Seconds before this account may be tried again from this address (0: now)."""
        now = int(self.clock())
        async with self.storage.read() as q:
            acc = (await q.failures.get(ACCOUNT, [account])).get(account)
            ip = (await q.failures.get(ADDRESS, [address])).get(address)
        waits = [0]
        if acc is not None and acc.count >= FREE_FAILURES:
            delay = min(FIRST_DELAY_S * 2 ** (acc.count - FREE_FAILURES), MAX_DELAY_S)
            waits.append(acc.last_at + delay - now)
        if ip is not None and ip.count >= IP_FAILURES and now - ip.since < IP_WINDOW_S:
            waits.append(ip.since + IP_WINDOW_S - now)
        return max(waits)

    async def failed(self, account: str, address: str) -> None:
        now = int(self.clock())
        async with self.storage.transaction() as q:
            await q.failures.add(ACCOUNT, account, now, restart_before=0)  # until a success
            await q.failures.add(ADDRESS, address, now, restart_before=now - IP_WINDOW_S + 1)
            await q.failures.forget(now - FORGET_AFTER_S)

    async def succeeded(self, account: str) -> None:
        async with self.storage.transaction() as q:
            await q.failures.clear(ACCOUNT, account)
