"""The till window: live picture, a large unmistakable verdict, a status line.

Green with the amount for OK, amber "already accepted" for REPLAY (never shown
as fraud), red with the reason in plain words for anything else. A USB
keyboard-wedge reader types into this window: its text and Enter are judged
like a camera scan. Capture and decoding run in a worker thread; the journal
is touched only from the Tk thread.
"""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable

import cv2
import numpy as np

from keys.verify import ResultCode

from .messages import Messages
from .sounds import Sounds
from .till import ScanEvent, Till

COLOURS = {
    "idle": ("#37474f", "#ffffff"),
    "ok": ("#1b7f3b", "#ffffff"),
    "replay": ("#f0b400", "#1a1a1a"),
    "refused": ("#b00020", "#ffffff"),
}
STATUS_COLOURS = {"ok": "#e8f5e9", "warn": "#fff3c4", "error": "#ffcdd2"}
VERDICT_SHOWN_MS = 4000
PREVIEW_WIDTH = 640


def to_ppm(frame: np.ndarray, width: int = PREVIEW_WIDTH) -> bytes:
    """A BGR frame as binary PPM, scaled to ``width`` (Tk shows PPM without Pillow)."""
    h, w = frame.shape[:2]
    if w > width:
        frame = cv2.resize(frame, (width, max(1, h * width // w)), interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return f"P6 {rgb.shape[1]} {rgb.shape[0]} 255 ".encode() + rgb.tobytes()


class TillWindow:
    def __init__(
        self,
        till: Till,
        *,
        frames,
        decode: Callable[[np.ndarray], list[str]],
        messages: Messages,
        status: Callable[[], tuple[str, str]],
        on_scan: Callable[[ScanEvent], None] = lambda event: None,
    ) -> None:
        self.till = till
        self._t = messages
        self._status = status
        self._on_scan = on_scan
        self._decode = decode
        self._events: queue.Queue = queue.Queue()
        self._wedge = ""
        self._shown_token: bytes | None = None
        self._reset_job: str | None = None
        self._stop = threading.Event()

        self.root = tk.Tk()
        self.root.title("SSA")
        self.root.geometry("1000x720")
        self.root.configure(bg=COLOURS["idle"][0])
        self.video = tk.Label(self.root, bg="#000000")
        self.video.pack(side=tk.TOP, fill=tk.BOTH, expand=True)
        self.verdict = tk.Label(self.root, font=("DejaVu Sans", 44, "bold"), pady=10)
        self.verdict.pack(side=tk.TOP, fill=tk.X)
        self.detail = tk.Label(self.root, font=("DejaVu Sans", 20), wraplength=960, pady=6)
        self.detail.pack(side=tk.TOP, fill=tk.X)
        self.status_bar = tk.Label(self.root, font=("DejaVu Sans", 13), anchor="w", padx=10, pady=4)
        self.status_bar.pack(side=tk.BOTTOM, fill=tk.X)
        self.root.bind("<Key>", self._on_key)
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        self.sounds = Sounds(self.root.bell, self.root.after)
        self._photo: tk.PhotoImage | None = None
        self._idle()
        if frames is not None:
            threading.Thread(
                target=self._capture, args=(frames,), name="decode", daemon=True
            ).start()

    # -- worker thread: capture and decode, never touches Tk or the journal ----------

    def _capture(self, frames) -> None:
        for frame, _ in frames:
            if self._stop.is_set():
                return
            try:
                texts = self._decode(frame)
                preview = to_ppm(frame)
            except Exception as exc:  # a bad frame must never stop the till
                self._events.put(("status", f"frame skipped: {exc}"))
                continue
            self._events.put(("frame", preview))
            for text in texts:
                self._events.put(("scan", text))
        self._events.put(("status", "camera: end of video"))

    # -- Tk thread -------------------------------------------------------------------

    def run(self) -> None:
        self.root.after(30, self._poll)
        self.root.after(0, self._refresh_status)
        self.root.mainloop()

    def close(self) -> None:
        self._stop.set()
        self.root.destroy()

    def _poll(self) -> None:
        latest_frame = None
        for _ in range(100):
            try:
                kind, value = self._events.get_nowait()
            except queue.Empty:
                break
            if kind == "frame":
                latest_frame = value
            elif kind == "scan":
                self.scan(value, "camera")
            elif kind == "status":
                self.status_bar.configure(text=value)
        if latest_frame is not None:
            self._photo = tk.PhotoImage(data=latest_frame, format="PPM")
            self.video.configure(image=self._photo)
        if not self._stop.is_set():
            self.root.after(30, self._poll)

    def _refresh_status(self) -> None:
        text, level = self._status()
        self.status_bar.configure(text=text, bg=STATUS_COLOURS[level])
        self.root.after(5000, self._refresh_status)

    def _on_key(self, event: tk.Event) -> None:
        if event.keysym in ("Return", "KP_Enter"):
            text, self._wedge = self._wedge, ""
            self.scan(text, "wedge")
        elif event.char and event.char.isprintable():
            self._wedge = (self._wedge + event.char)[-8192:]

    def scan(self, text: str, source: str) -> ScanEvent | None:
        event = self.till.offer(text, source)
        if event is not None:
            self._on_scan(event)
            self.show(event)
        return event

    def show(self, event: ScanEvent) -> None:
        result = event.result
        if result.code is ResultCode.REPLAY and result.token_id == self._shown_token:
            return  # the code accepted a moment ago is still in view: keep the green screen
        if result.ok:
            style, title = "ok", self._t.accepted(result)
            detail = self._t("OK")
            self._shown_token = result.token_id
            self.sounds.accept()
        elif result.code is ResultCode.REPLAY:
            style, title, detail = "replay", self._t("REPLAY"), ""
        else:
            style, title, detail = "refused", self._t("refused"), self._t(result.code.value)
            self._shown_token = None
            self.sounds.refuse()
        self._paint(style, title, detail)
        if self._reset_job is not None:
            self.root.after_cancel(self._reset_job)
        self._reset_job = self.root.after(VERDICT_SHOWN_MS, self._idle)

    def _idle(self) -> None:
        self._shown_token = None
        self._reset_job = None
        self._paint("idle", "SSA", self._t("prompt.show_code"))

    def _paint(self, style: str, title: str, detail: str) -> None:
        bg, fg = COLOURS[style]
        for widget in (self.root, self.verdict, self.detail):
            widget.configure(bg=bg)
        self.verdict.configure(text=title, fg=fg)
        self.detail.configure(text=detail, fg=fg)
