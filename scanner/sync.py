"""Asking the caisse where this till stands, sending the journal's scans to it, and
refreshing the trust list.

Safe to interrupt anywhere: a batch's id and content are committed before the
first upload, resent unchanged until the server answers, and marked sent only
on that answer; the server counts a batch id once. The trust list is installed
only when it verifies against the pinned root key and is not older. A till the
caisse refuses (revoked, unknown, shop suspended) records it (``standing``),
keeps its unsent scans, and the sync raises ``TillRefused``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nacl.signing import SigningKey

from keys.trust_list import TrustList

from . import standing
from .api_client import ApiClient, TillRefused
from .journal import Journal
from .store import ScannerStore

LAST_SYNC = "last_sync_at"
TRUST_LIST_ETAG = "trust_list_etag"


@dataclass
class SyncReport:
    batches: int = 0
    scans: int = 0
    received: int = 0
    duplicates: int = 0
    rejected: int = 0
    trust_list_seq: int | None = None
    answers: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "batches": self.batches,
            "scans": self.scans,
            "received": self.received,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "trust_list_seq": self.trust_list_seq,
        }


def upload_pending(
    journal: Journal,
    client: ApiClient,
    key: SigningKey,
    *,
    clock: Callable[[], float] = time.time,
    batch_size: int = 500,
) -> SyncReport:
    """Upload every unsent scan, batch by batch, until none is left."""
    report = SyncReport()
    while (batch := journal.pending_batch(int(clock()), limit=batch_size)) is not None:
        answer = client.upload_batch(key, batch.batch_id, batch.scans, now=int(clock()))
        journal.mark_sent(batch.batch_id, int(clock()), answer)
        report.batches += 1
        report.scans += len(batch.scans)
        for name in ("received", "duplicates", "rejected"):
            setattr(report, name, getattr(report, name) + int(answer.get(name, 0)))
        report.answers.append(answer)
    return report


def refresh_trust_list(
    store: ScannerStore, journal: Journal, client: ApiClient, root_key: bytes
) -> TrustList:
    """Fetch the list (conditional GET) and install it if it verifies and is not older."""
    data, etag = client.trust_list(journal.get_state(TRUST_LIST_ETAG))
    if data is None:
        return store.trust_list()
    installed = store.install_trust_list(data, root_key)
    if etag:
        journal.set_state(TRUST_LIST_ETAG, etag)
    return installed


def sync(
    store: ScannerStore,
    journal: Journal,
    client: ApiClient,
    key: SigningKey,
    *,
    clock: Callable[[], float] = time.time,
    batch_size: int = 500,
) -> SyncReport:
    """Ask where the till stands, upload, then refresh the trust list; record the time of a
    complete sync. Raises TillRefused (recorded in the journal) when the caisse refuses it."""
    try:
        answer = client.till_status(key, now=int(clock()))
        if answer is not None:
            standing.record_active(journal, answer, int(clock()))
        report = upload_pending(journal, client, key, clock=clock, batch_size=batch_size)
    except TillRefused as exc:
        standing.record_refused(journal, exc.code, int(clock()))
        if exc.code == "MERCHANT_WITHDRAWN":  # the caisse still takes (and pays) what it holds
            upload_pending(journal, client, key, clock=clock, batch_size=batch_size)
        raise
    report.trust_list_seq = refresh_trust_list(store, journal, client, store.config().root_key).seq
    journal.set_state(LAST_SYNC, str(int(clock())))
    return report
