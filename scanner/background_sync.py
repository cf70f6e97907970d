"""Automatic sync while the till runs: every few minutes, whenever the network is there.

Runs in its own thread with its own journal connection; a failure (offline,
server down) is reported and retried later, never shown as a till error. A till
the caisse refuses (revoked, shop suspended) is recorded by ``sync``; the window
reads it from the journal and shows its band, and the sync keeps asking, so a
shop the caisse re-activates accepts payments again at the next round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nacl.signing import SigningKey

from keys.trust_list import TrustListInvalid

from .api_client import ApiClient, ServerError, TillRefused
from .journal import Journal
from .messages import Messages
from .store import ScannerStore
from .sync import SyncReport, sync
from .till import TrustListHolder


class BackgroundSync:
    def __init__(
        self,
        store: ScannerStore,
        key: SigningKey,
        trust_lists: TrustListHolder,
        *,
        interval_s: float = 120,
        on_status: Callable[[str], None],
        client_factory: Callable[[str], ApiClient] = ApiClient,
        messages: Messages | None = None,
    ) -> None:
        self._t = messages or Messages()
        self._store = store
        self._key = key
        self._trust_lists = trust_lists
        self._interval = interval_s
        self._on_status = on_status
        self._client_factory = client_factory
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)

    def start(self) -> BackgroundSync:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def now(self) -> None:
        """Ask for a sync as soon as possible (e.g. after a scan)."""
        self._wake.set()

    def _loop(self) -> None:
        config = self._store.config()
        client = self._client_factory(config.server_url)
        with Journal(self._store.journal_path) as journal:
            while not self._stop.is_set():
                self._once(journal, client)
                self._wake.wait(self._interval)
                self._wake.clear()
        client.close()

    def _once(self, journal: Journal, client: ApiClient) -> SyncReport | None:
        try:
            report = sync(self._store, journal, client, self._key)
        except TillRefused as exc:
            self._on_status(self._t(f"till.{exc.code}"))
            return None
        except (ServerError, TrustListInvalid, OSError) as exc:
            self._on_status(self._t("status.sync_failed", error=exc))
            return None
        self._trust_lists.replace(self._store.trust_list())
        if report.scans:
            self._on_status(self._t("status.sync_sent", count=report.scans))
        return report
