"""`ssa-scanner run --headless`: one JSON line per scan, for tests and till systems; its
``message`` (and every line on standard error) in the till's language (``--lang``).

Camera frames and wedge lines (standard input: a keyboard-wedge reader, or a
till system writing QR texts) feed one ``Till``. A video file is judged on its
own timeline (a code held up for five seconds of video behaves as five seconds
at a till); the run ends with the file, or with standard input when there is
no camera.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from .messages import Messages
from .till import ScanEvent, Till

_EOF = object()


def _read_lines(stream: TextIO, lines: queue.Queue) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    lines.put(_EOF)


def _emit(out: TextIO, event: ScanEvent | None, t: Messages) -> None:
    if event is not None:
        out.write(json.dumps(event.to_json(t), ensure_ascii=False) + "\n")
        out.flush()


class HeadlessRun:
    def __init__(
        self,
        till: Till,
        *,
        decode: Callable[[np.ndarray], list[str]],
        out: TextIO,
        on_status: Callable[[str], None],
        on_scan: Callable[[ScanEvent], None] = lambda event: None,
        messages: Messages | None = None,
    ) -> None:
        self.till = till
        self._t = messages or Messages()
        self._decode = decode
        self._out = out
        self._on_status = on_status
        self._on_scan = on_scan
        self._stop = threading.Event()
        self._video_clock: float | None = None

    def stop(self) -> None:
        self._stop.set()

    def _offer(self, text: str, source: str) -> None:
        event = self.till.offer(text, source, at=self._video_clock)
        _emit(self._out, event, self._t)
        if event is not None:
            self._on_scan(event)

    def _drain(self, lines: queue.Queue | None) -> bool:
        """Judge pending wedge lines; False once standard input has ended."""
        while lines is not None:
            try:
                line = lines.get_nowait()
            except queue.Empty:
                return True
            if line is _EOF:
                return False
            self._offer(line, "wedge")
        return False

    def run(self, frames, stdin: TextIO | None) -> None:
        lines: queue.Queue | None = None
        if stdin is not None:
            lines = queue.Queue()
            threading.Thread(target=_read_lines, args=(stdin, lines), daemon=True).start()
        if frames is None:
            while not self._stop.is_set():
                line = lines.get() if lines is not None else _EOF
                if not isinstance(line, str):  # _EOF: the reader closed
                    return
                self._offer(line, "wedge")
            return
        started = time.time()
        for frame, position in frames:
            if self._stop.is_set():
                break
            if position is not None:
                self._video_clock = started + position
            try:
                texts = self._decode(frame)
            except Exception as exc:  # the till must survive any frame
                self._on_status(
                    self._t("status.frame_skipped", error=f"{type(exc).__name__}: {exc}")
                )
                continue
            for text in texts:
                self._offer(text, "camera")
            self._drain(lines)
        self._video_clock = None
        self._drain(lines)
