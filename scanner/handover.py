"""`ssa-scanner handover`: a broken or retired till's unsent scans go to its replacement.

Scans belong to the shop, not to one till: when a till's key is revoked (stolen,
broken) its unsent scans can only reach the caisse through another enrolled
till of the same shop. The old data directory is read, never trusted more than
a scan deserves: the server verifies every token again on upload.
"""

from __future__ import annotations

from .journal import Journal
from .store import ScannerStore


class HandoverError(Exception):
    """The two data directories cannot hand scans over (other shop, same till...)."""


def hand_over(old: ScannerStore, new: ScannerStore, *, now: int) -> dict:
    old_config, new_config = old.config(), new.config()
    if old.dir.resolve() == new.dir.resolve():
        raise HandoverError("the old and the new till are the same data directory")
    if old_config.merchant_id != new_config.merchant_id:
        raise HandoverError(
            f"the old till belongs to {old_config.merchant_id}, "
            f"this one to {new_config.merchant_id}: scans stay with their shop"
        )
    with Journal(old.journal_path) as source, Journal(new.journal_path) as target:
        scans = source.unsent_scans()
        taken = target.take_over(scans)
        source.mark_handed_over([scan[0] for scan in scans], now, str(new.dir))
    return {"scans": len(scans), "taken": taken, "already_here": len(scans) - taken}
