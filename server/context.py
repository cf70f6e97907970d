"""What every view needs, built once by the app factory and kept in ``app.state.ctx``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from server.caisse.code_throttle import FailureLimiter
from server.caisse.keyring import KeyRing
from server.caisse.trust import TrustLists
from server.config import Config
from server.ledger.intake import Intake
from server.storage.core import Storage


@dataclass(slots=True)
class AppContext:
    config: Config
    storage: Storage
    keyring: KeyRing
    trust_lists: TrustLists
    intake: Intake
    limiter: FailureLimiter
    clock: Callable[[], float]

    def now(self) -> int:
        return int(self.clock())


def ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
