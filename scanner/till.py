"""The till's decisions, independent of any screen: debounce, judge, record.

A camera sees the same code in every frame. ``Till.offer`` judges a given text
at most once per ``repeat_window_s``, so a code held up gives one OK and then a
REPLAY ("already accepted") every few seconds while it stays in view, not
thirty verdicts a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from keys.tokens import CredentialCache
from keys.trust_list import TrustList
from keys.verify import VerifyResult

from .journal import Journal


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
    result: VerifyResult

    def to_json(self) -> dict:
        return {"at": self.at, "source": self.source, **self.result.to_json()}


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
        result = self.journal.judge(
            text,
            trust_list=self.trust_lists.current,
            merchant_id=self.merchant_id,
            now=int(now),
            credentials=self._credentials,
        )
        return ScanEvent(text, source, int(now), result)
