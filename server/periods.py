"""Credential periods: calendar months in the caisse's time zone (Europe/Brussels).

A credential for "2026-03" is valid from local midnight on 1 March (inclusive)
to local midnight on 1 April (exclusive), as epoch seconds, whatever the DST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Period:
    name: str  # "YYYY-MM"
    nbf: int
    exp: int

    def next(self, tz: ZoneInfo) -> Period:
        return period_at(self.exp, tz)


def _month_start(year: int, month: int, tz: ZoneInfo) -> int:
    return int(datetime(year, month, 1, tzinfo=tz).timestamp())


def period_at(ts: float, tz: ZoneInfo) -> Period:
    """The calendar month containing the instant ``ts``."""
    local = datetime.fromtimestamp(ts, tz)
    year, month = local.year, local.month
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return Period(
        f"{year:04d}-{month:02d}",
        _month_start(year, month, tz),
        _month_start(next_year, next_month, tz),
    )


def periods_to_issue(ts: float, tz: ZoneInfo, renewal_days: int) -> list[Period]:
    """The current period, and the next one during the last ``renewal_days`` days."""
    current = period_at(ts, tz)
    if ts >= current.exp - renewal_days * 86_400:
        return [current, current.next(tz)]
    return [current]
