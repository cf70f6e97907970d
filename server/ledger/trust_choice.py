"""Which trust list judges a scan (SPEC 1.1 §8), and at which instant: pure functions.

A till sends, with every scan, ``trust_list_seq``: the list it judged the scan
with. The server judges the token against THAT list when

(a) it is a list this server signed,
(b) ``scanned_at`` lies in its ``[issued_at, expires_at)``, and
(c) its seq is not lower than a seq the same till reported for a scan with an
    earlier ``scanned_at`` (a till never goes back, SPEC §4);

otherwise against the list in force at ``scanned_at`` (the latest issued at or
before it). A project rule beyond the SPEC comes first:

(d) a scan whose ``scanned_at`` is earlier than the till's previous upload minus
    ``max_clock_skew_s`` is judged at its upload time, with the list in force
    then: a till uploads everything it holds, so such a scan was not held at
    the previous upload and its time is not to be believed (a backdated scan
    spending a revoked member's allowance). "The previous upload" is the till's
    latest batch holding scans; its instant is the earlier of its arrival and
    its newest scan, so a backlog sent as several batches in a row (each newer
    than the last) is never judged at upload time.

So a shop can trust the OK its till showed with the list it had; when a newer
list had revoked the credential or member (the till had not fetched it yet),
the receipt is paid and ``revoked_by`` names that list, for the caisse's review.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

TILL, IN_FORCE, UPLOAD = "till", "in_force", "upload"


@dataclass(frozen=True, slots=True)
class ListInfo:
    """A trust list this server signed: its seq and validity window."""

    seq: int
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class TillHistory:
    """What the server remembers of one till (scanner key) before this upload."""

    last_upload_at: int | None = None
    last_scan_at: int | None = None
    # (earliest scanned_at, seq): each list seq the till reported, and from when.
    reported: tuple[tuple[int, int], ...] = ()

    @property
    def held_until(self) -> int | None:
        """The instant up to which the till's previous upload covered its journal."""
        if self.last_upload_at is None or self.last_scan_at is None:
            return None
        return min(self.last_upload_at, self.last_scan_at)


@dataclass(frozen=True, slots=True)
class Choice:
    """How one scan is judged: ``seq`` (None: no list yet) at instant ``at``."""

    basis: str  # TILL, IN_FORCE or UPLOAD
    seq: int | None
    at: int
    # With basis TILL: the list in force at scanned_at, when it is another (newer)
    # list: a token it revokes is paid but reported.
    in_force_seq: int | None = None
    why: str = ""


def in_force(index: Sequence[ListInfo], instant: int) -> ListInfo | None:
    """The latest list issued at or before ``instant`` (the first one before any)."""
    return _InForce(index)(instant)


class _InForce:
    """``in_force`` over one index, its issue times sorted once."""

    def __init__(self, index: Sequence[ListInfo]) -> None:
        self.index = index
        self.issued = [i.issued_at for i in index]

    def __call__(self, instant: int) -> ListInfo | None:
        if not self.index:
            return None
        return self.index[max(bisect.bisect_right(self.issued, instant) - 1, 0)]

    def seq(self, instant: int) -> int | None:
        found = self(instant)
        return None if found is None else found.seq


def _highest_before(claims: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Claims sorted by time, and the highest seq claimed at or before each of them."""
    claims = sorted(claims)
    times = [t for t, _ in claims]
    highest, best = [], -1
    for _, seq in claims:
        best = max(best, seq)
        highest.append(best)
    return times, highest


def choose(
    scans: Sequence[tuple[int, int | None]],
    *,
    index: Sequence[ListInfo],
    history: TillHistory,
    now: int,
    max_clock_skew_s: int,
) -> list[Choice]:
    """The list and instant for each ``(scanned_at, reported seq)`` of one upload.

    ``index`` is every list the server signed, in seq order (= issue order).
    """
    by_seq = {i.seq: i for i in index}
    lists = _InForce(index)
    claims = list(history.reported) + [(t, s) for t, s in scans if s is not None and s in by_seq]
    times, highest = _highest_before(claims)
    held_until = history.held_until
    out: list[Choice] = []
    for scanned_at, seq in scans:
        if held_until is not None and scanned_at < held_until - max_clock_skew_s:
            why = (
                f"judged at upload time: scanned_at {scanned_at} is earlier than this till's "
                f"previous upload ({held_until}) minus the clock skew"
            )
            out.append(Choice(UPLOAD, lists.seq(now), now, why=why))
            continue
        at_scan = lists.seq(scanned_at)
        refused = _till_list_refused(scanned_at, seq, by_seq, times, highest)
        if refused is None:
            newer = at_scan if at_scan is not None and at_scan != seq else None
            out.append(Choice(TILL, seq, scanned_at, in_force_seq=newer))
        else:
            out.append(Choice(IN_FORCE, at_scan, scanned_at, why=refused))
    return out


def _till_list_refused(
    scanned_at: int,
    seq: int | None,
    by_seq: dict[int, ListInfo],
    times: list[int],
    highest: list[int],
) -> str | None:
    """Why the list the till reported cannot judge this scan (a, b, c), or None."""
    if seq is None:
        return ""  # a till older than SSA1 1.1
    info = by_seq.get(seq)
    if info is None:  # (a)
        return f"the till's trust list seq {seq} is not one this server signed"
    if not info.issued_at <= scanned_at < info.expires_at:  # (b)
        return f"scanned_at {scanned_at} is outside the validity of trust list seq {seq}"
    earlier = bisect.bisect_left(times, scanned_at)  # claims strictly before scanned_at
    if earlier and highest[earlier - 1] > seq:  # (c)
        return f"this till already reported trust list seq {highest[earlier - 1]} earlier"
    return None


__all__ = ["IN_FORCE", "TILL", "UPLOAD", "Choice", "ListInfo", "TillHistory", "choose", "in_force"]
