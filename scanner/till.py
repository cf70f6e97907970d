"""The till's decisions, independent of any screen: debounce, judge, record.

A camera sees the same code in every frame. ``Till.offer`` judges a given text
at most once per ``repeat_window_s``, so a code held up gives one OK and then a
REPLAY ("already accepted") every few seconds while it stays in view, not
thirty verdicts a second. A till the caisse refused (revoked, shop suspended:
``standing``) judges nothing: every code gets TILL_BLOCKED, and nothing is
journaled, so the unsent scans stay as they were for ``ssa-scanner handover``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from keys.tokens import CredentialCache
from keys.trust_list import TrustList
from keys.verify import VerifyResult

from . import standing
from .journal import Journal
from .messages import Messages

TILL_BLOCKED = "TILL_BLOCKED"


class TrustListHolder:
    """The trust list in force at this till; the sync thread swaps in newer ones."""

    def __init__(self, trust_list: TrustList) -> None:
        self._lock = threading.Lock()
        self._current = trust_list

    @property
    def current(self) -> TrustList:
        with self._lock:
            return self._current

    def replace(self, trust_list: TrustList) -> None:
        with self._lock:
            if trust_list.seq >= self._current.seq:
                self._current = trust_list


@dataclass(frozen=True, slots=True)
class ScanEvent:
    text: str
    source: str  # "camera" or "wedge"
    at: int
    result: VerifyResult | None  # None when the till is blocked and judged nothing
    blocked: str | None = None  # why the caisse refuses this till (KEY_REVOKED, ...)

    @property
    def code(self) -> str:
        return TILL_BLOCKED if self.result is None else self.result.code.value

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def to_json(self, t: Messages | None = None) -> dict:
        """One headless line. ``message`` is the verdict in the till's language; the
        verifier's own (English, technical) explanation, if any, is ``detail``."""
        out: dict = {"at": self.at, "source": self.source}
        if self.result is None:
            out.update(code=TILL_BLOCKED, reason=self.blocked)
        else:
            out.update(self.result.to_json())
            if "message" in out:
                out["detail"] = out.pop("message")
        if t is not None:
            out["message"] = t(f"till.{self.blocked}") if self.result is None else t(self.code)
        return out


class Till:
    def __init__(
        self,
        journal: Journal,
        merchant_id: str,
        trust_lists: TrustListHolder,
        *,
        clock: Callable[[], float] = time.time,
        repeat_window_s: float = 2.0,
    ) -> None:
        self.journal = journal
        self.merchant_id = merchant_id
        self.trust_lists = trust_lists
        self._clock = clock
        self._window = repeat_window_s
        self._last_judged: dict[str, float] = {}
        self._credentials = CredentialCache()

    def offer(self, text: str, source: str, at: float | None = None) -> ScanEvent | None:
        """Judge ``text`` unless the same text was judged within the repeat window.

        ``at`` overrides the clock (a recorded video is judged on its own timeline).
        """
        text = text.strip()
        if not text:
            return None
        now = self._clock() if at is None else at
        last = self._last_judged.get(text)
        if last is not None and now - last < self._window:
            return None
        if len(self._last_judged) > 256:
            cutoff = now - self._window
            self._last_judged = {t: at for t, at in self._last_judged.items() if at >= cutoff}
        self._last_judged[text] = now
        blocked = standing.read(self.journal).blocked
        if blocked is not None:
            return ScanEvent(text, source, int(now), None, blocked)
        result = self.journal.judge(
            text,
            trust_list=self.trust_lists.current,
            merchant_id=self.merchant_id,
            now=int(now),
            credentials=self._credentials,
        )
        return ScanEvent(text, source, int(now), result)
