"""Where this till stands with the caisse: allowed to accept payments, or revoked.

The caisse says so at every sync (``GET /api/v1/merchant/status``, or the 403 of an
upload). The answer is kept in the journal's state, so a till the caisse revoked
stays refusing across restarts and while offline, and every process sharing the
journal (the window, its sync thread, ``ssa-scanner status``) sees the same thing.
Unsent scans are never touched: they wait for ``ssa-scanner handover``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .journal import Journal

STANDING = "standing"
DEFAULT_REFRESH_S = 86_400  # the caisse's default trust_list_refresh_s


@dataclass(frozen=True, slots=True)
class Standing:
    blocked: str | None = None  # KEY_REVOKED, MERCHANT_SUSPENDED or UNKNOWN_KEY
    blocked_since: int | None = None
    checked_at: int | None = None  # the caisse's last answer about this till
    merchant_name: str | None = None
    contact: str | None = None
    trust_list_refresh_s: int = DEFAULT_REFRESH_S


def read(journal: Journal) -> Standing:
    raw = journal.get_state(STANDING)
    if not raw:
        return Standing()
    try:
        fields = json.loads(raw)
        return Standing(**{k: v for k, v in fields.items() if k in Standing.__slots__})
    except (ValueError, TypeError):
        return Standing()


def _write(journal: Journal, standing: Standing) -> Standing:
    journal.set_state(STANDING, json.dumps(asdict(standing)))
    return standing


def record_active(journal: Journal, answer: dict, now: int) -> Standing:
    """The caisse accepts this till (again): it may accept payments."""
    old = read(journal)
    refresh = answer.get("trust_list_refresh_s")
    contact = answer.get("contact")
    name = answer.get("merchant_name")
    return _write(
        journal,
        Standing(
            blocked=None,
            blocked_since=None,
            checked_at=now,
            merchant_name=name if isinstance(name, str) else old.merchant_name,
            contact=contact if isinstance(contact, str) and contact else None,
            trust_list_refresh_s=refresh
            if isinstance(refresh, int) and refresh > 0
            else old.trust_list_refresh_s,
        ),
    )


def record_refused(journal: Journal, code: str, now: int) -> Standing:
    """The caisse refused this till (``code`` from its 401/403): stop accepting payments."""
    old = read(journal)
    since = old.blocked_since if old.blocked == code and old.blocked_since else now
    return _write(
        journal,
        Standing(
            blocked=code,
            blocked_since=since,
            checked_at=now,
            merchant_name=old.merchant_name,
            contact=old.contact,
            trust_list_refresh_s=old.trust_list_refresh_s,
        ),
    )
