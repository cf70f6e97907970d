"""`ssa-scanner status` and what the till's window says about itself, in words.

``status`` gathers the facts (today's takings, unsent scans, last sync, the trust
list's age, where the till stands with the caisse) as JSON; ``screen`` turns them
into the window's status line and, when something needs the shopkeeper, a lasting
band: red when the till may not accept payments (revoked, shop suspended, list
expired), amber when its list is older than the caisse's refresh interval plus a
margin (still accepting: SPEC 1.1 §8, the caisse honours an OK given with the list
the till had); ``report`` is the shopkeeper's text for ``ssa-scanner status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from keys.trust_list import TrustList

from . import standing
from .journal import Journal
from .messages import Messages
from .store import ScannerConfig
from .sync import LAST_SYNC

WARN_BEFORE_EXPIRY_S = 24 * 3600
# The caisse re-signs its list every trust_list_refresh_s and hands the newest to any
# till that asks; older than that by this margin, the till has missed its updates.
STALE_MARGIN_S = 3600


def local_midnight(now: int) -> int:
    """The start of ``now``'s day in the till's own time zone (DST-proof)."""
    day = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(day.timestamp())


def status(config: ScannerConfig, journal: Journal, trust_list: TrustList, now: int) -> dict:
    last_sync = journal.get_state(LAST_SYNC)
    where = standing.read(journal)
    since = local_midnight(now)
    payments, cents = journal.takings(since)
    age = now - trust_list.issued_at
    return {
        "merchant_id": config.merchant_id,
        "merchant_name": where.merchant_name,
        "scope": config.scope,
        "server_url": config.server_url,
        "now": now,
        "today": {"since": since, "payments": payments, "amount_cents": cents},
        "unsent_scans": journal.unsent_count(),
        "last_sync_at": int(last_sync) if last_sync else None,
        "standing": {
            "accepting": where.blocked is None,
            "refused_by_caisse": where.blocked,
            "since": where.blocked_since,
            "checked_at": where.checked_at,
            "contact": where.contact,
        },
        "trust_list": {
            "seq": trust_list.seq,
            "issued_at": trust_list.issued_at,
            "expires_at": trust_list.expires_at,
            "expires_in_s": trust_list.expires_at - now,
            "expired": now >= trust_list.expires_at,
            "age_s": age,
            "refresh_s": where.trust_list_refresh_s,
            "stale": age > where.trust_list_refresh_s + STALE_MARGIN_S,
        },
        "scans": journal.counts(),
    }


def age_words(seconds: int, t: Messages) -> str:
    """A duration as a shopkeeper says it: 3 min, 5 h, 2 days."""
    seconds = max(seconds, 0)
    if seconds < 60:
        return t("age.moment")
    if seconds < 3600:
        return t("age.minutes", n=seconds // 60)
    if seconds < 48 * 3600:
        return t("age.hours", n=seconds // 3600)
    days = seconds // 86_400
    return t("age.day") if days == 1 else t("age.days", n=days)


def ago(ts: int | None, now: int, t: Messages) -> str:
    if ts is None:
        return t("status.never")
    if now - ts < 60:
        return t("age.just_now")
    return t("age.ago", age=age_words(now - ts, t))


def contact_of(doc: dict) -> str:
    """Whom the shop calls: the caisse's contact, else its server's address."""
    return doc["standing"]["contact"] or urlsplit(doc["server_url"]).netloc or doc["server_url"]


@dataclass(frozen=True, slots=True)
class Screen:
    """What the window shows about the till itself."""

    line: str  # the status bar, always there
    level: str  # "ok", "warn" or "error": the status bar's colour
    band: str | None = None  # a lasting band above the verdict, or None
    band_detail: str = ""
    blocked: str | None = None  # the caisse refuses this till: no payment is accepted


def screen(doc: dict, now: int, t: Messages) -> Screen:
    tl = doc["trust_list"]
    parts = [
        t("status.list_age", age=age_words(tl["age_s"], t)),
        t("status.last_sync", age=ago(doc["last_sync_at"], now, t)),
        t("status.unsent", count=doc["unsent_scans"]),
    ]
    if doc.get("scope"):  # the members approved the shop for some products only
        parts.insert(0, t("status.scope", scope=doc["scope"]))
    line = " · ".join(parts)
    blocked = doc["standing"]["refused_by_caisse"]
    if blocked:
        detail = t(
            "band.blocked_detail",
            count=doc["unsent_scans"],
            contact=contact_of(doc),
            merchant=doc["merchant_id"],
        )
        return Screen(line, "error", t(f"band.{blocked}"), detail, blocked)
    if tl["expired"]:
        return Screen(
            line, "error", t("band.expired", age=age_words(now - tl["expires_at"], t)),
            t("band.connect"),
        )  # fmt: skip
    if tl["stale"]:
        until = local_time(tl["expires_at"], t)
        return Screen(
            line, "warn", t("band.stale", age=age_words(tl["age_s"], t)),
            t("band.still_accepting", until=until),
        )  # fmt: skip
    if tl["expires_in_s"] <= WARN_BEFORE_EXPIRY_S:
        return Screen(
            line, "warn", t("band.expires_soon", age=age_words(tl["expires_in_s"], t)),
            t("band.connect"),
        )  # fmt: skip
    return Screen(line, "ok")


def local_time(ts: int, t: Messages) -> str:
    """``ts`` in the till's own time zone, the language's way: 1 déc. 2026 14:05."""
    return t.datetime(datetime.fromtimestamp(ts))


def report(doc: dict, now: int, t: Messages) -> str:
    """``ssa-scanner status`` for the shopkeeper, one fact a line."""
    tl, today = doc["trust_list"], doc["today"]
    name = doc["merchant_name"] or doc["merchant_id"]
    sync_at = doc["last_sync_at"]
    lines = [
        f"{name} ({doc['merchant_id']})" if doc["merchant_name"] else name,
        t("report.today", count=today["payments"], amount=t.amount(today["amount_cents"])),
        t("report.last_sync", when=local_time(sync_at, t), ago=ago(sync_at, now, t))
        if sync_at
        else t("report.never_synced"),
        t(
            "report.list",
            seq=tl["seq"],
            when=local_time(tl["issued_at"], t),
            ago=ago(tl["issued_at"], now, t),
            until=local_time(tl["expires_at"], t),
        ),
        t("report.unsent", count=doc["unsent_scans"]),
    ]
    shown = screen(doc, now, t)
    if shown.band:
        lines += [shown.band, shown.band_detail] if shown.band_detail else [shown.band]
    if shown.blocked is None:
        lines.append(t("report.accepting"))
    return "\n".join(lines)
