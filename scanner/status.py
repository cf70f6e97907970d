"""`ssa-scanner status` and the till's status line: unsent scans, last sync, trust list age."""

from __future__ import annotations

from keys.trust_list import TrustList

from .journal import Journal
from .messages import Messages
from .store import ScannerConfig
from .sync import LAST_SYNC

WARN_BEFORE_EXPIRY_S = 24 * 3600


def status(config: ScannerConfig, journal: Journal, trust_list: TrustList, now: int) -> dict:
    last_sync = journal.get_state(LAST_SYNC)
    return {
        "merchant_id": config.merchant_id,
        "scope": config.scope,
        "server_url": config.server_url,
        "unsent_scans": journal.unsent_count(),
        "last_sync_at": int(last_sync) if last_sync else None,
        "trust_list": {
            "seq": trust_list.seq,
            "issued_at": trust_list.issued_at,
            "expires_at": trust_list.expires_at,
            "expires_in_s": trust_list.expires_at - now,
            "expired": now >= trust_list.expires_at,
        },
        "scans": journal.counts(),
    }


def status_line(doc: dict, now: int, t: Messages) -> tuple[str, str]:
    """(text, level) for the till's status bar; level is "ok", "warn" or "error"."""
    if doc["last_sync_at"] is None:
        age = t("status.never")
    elif now - doc["last_sync_at"] < 3600:
        age = t("status.ago_minutes", minutes=(now - doc["last_sync_at"]) // 60)
    else:
        age = t("status.ago_hours", hours=(now - doc["last_sync_at"]) // 3600)
    remaining = doc["trust_list"]["expires_in_s"]
    hours = max(remaining, 0) // 3600
    if remaining <= 0:
        expiry, level = t("status.expired"), "error"
    elif remaining <= WARN_BEFORE_EXPIRY_S:
        expiry, level = t("status.expires_soon", hours=hours), "warn"
    else:
        expiry, level = t("status.expires_in", hours=hours), "ok"
    parts = [t("status.unsent", count=doc["unsent_scans"]), t("status.last_sync", age=age), expiry]
    if doc.get("scope"):  # the members approved the shop for some products only
        parts.insert(0, t("status.scope", scope=doc["scope"]))
    return " · ".join(parts), level
