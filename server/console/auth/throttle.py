"""Login throttling: wrong passwords slow down an account and an address.

Per account: five failures are free, then each further try must wait twice as
long as the one before (1 min, 2, 4 … up to 15 min) — a volunteer who mistypes
a few times is not locked out, a guesser gets a few attempts an hour. Per
address: 30 failures within 15 minutes block that address until those 15
minutes are over, whatever account it tries. Counted in the database, so every
server process and a restart see the same counts; a success clears the
account's count.

An attempt is counted BEFORE the password is checked (``reserve``, one
transaction that locks both counters): a burst of concurrent tries, on one
server process or several, gets exactly as many checks as the limits allow,
never one per request. A right password then gives its reservation back
(``succeeded``). The same throttle, under other scopes, guards the passphrase
typed on the keys page (``PASSPHRASE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.storage.core import Storage
from server.storage.failures import Failures

FREE_FAILURES = 5
FIRST_DELAY_S = 60
MAX_DELAY_S = 900
IP_FAILURES = 30
IP_WINDOW_S = 900
FORGET_AFTER_S = 86_400


@dataclass(frozen=True, slots=True)
class Scopes:
    """The two counters' names in the ``failures`` table."""

    account: str
    address: str


LOGIN = Scopes("login-account", "login-address")
PASSPHRASE = Scopes("passphrase-account", "passphrase-address")
ACCOUNT, ADDRESS = LOGIN.account, LOGIN.address  # the names earlier releases used


def wait_for(acc: Failures | None, ip: Failures | None, now: int) -> int:
    """Seconds before one more attempt may be checked (0: now)."""
    waits = [0]
    if acc is not None and acc.count >= FREE_FAILURES:
        delay = min(FIRST_DELAY_S * 2 ** (acc.count - FREE_FAILURES), MAX_DELAY_S)
        waits.append(acc.last_at + delay - now)
    if ip is not None and ip.count >= IP_FAILURES and now - ip.since < IP_WINDOW_S:
        waits.append(ip.since + IP_WINDOW_S - now)
    return max(waits)


class LoginThrottle:
    def __init__(
        self, storage: Storage, clock: Callable[[], float], scopes: Scopes = LOGIN
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.scopes = scopes

    async def wait_s(self, account: str, address: str) -> int:
        """Seconds before this account may be tried again from this address (0: now)."""
        now = int(self.clock())
        async with self.storage.read() as q:
            acc = (await q.failures.get(self.scopes.account, [account])).get(account)
            ip = (await q.failures.get(self.scopes.address, [address])).get(address)
        return wait_for(acc, ip, now)

    async def reserve(self, account: str, address: str) -> int:
        """Count one attempt now, before it is checked; or the seconds to wait (nothing
        counted) if the account or the address may not be tried yet."""
        now = int(self.clock())
        async with self.storage.transaction() as q:
            acc = await q.failures.lock(self.scopes.account, account, now)
            ip = await q.failures.lock(self.scopes.address, address, now)
            wait = wait_for(acc, ip, now)
            if wait > 0:
                return wait
            await q.failures.add(self.scopes.account, account, now, restart_before=0)
            await q.failures.add(
                self.scopes.address, address, now, restart_before=now - IP_WINDOW_S + 1
            )
        return 0

    async def succeeded(self, account: str, address: str) -> None:
        """The checked attempt was right: the account starts afresh, the address gets
        its reservation back."""
        async with self.storage.transaction() as q:
            await q.failures.clear(self.scopes.account, account)
            await q.failures.refund(self.scopes.address, address)

    async def cancel(self, account: str, address: str) -> None:
        """The reserved attempt was never checked (the server was busy): give it back."""
        async with self.storage.transaction() as q:
            await q.failures.refund(self.scopes.account, account)
            await q.failures.refund(self.scopes.address, address)

    async def forget(self) -> None:
        """Drop counters untouched for a day (run apart from any attempt)."""
        async with self.storage.transaction() as q:
            await q.failures.forget(int(self.clock()) - FORGET_AFTER_S)
