"""The till window: live picture, a large unmistakable verdict, a status line.

Green with the amount for OK, amber "already accepted" for REPLAY (never shown
as fraud), red with the reason in plain words for anything else. A USB
keyboard-wedge reader types into this window: its text and Enter are judged
like a camera scan. Capture and decoding run in a worker thread; the journal
is touched only from the Tk thread.

Above the verdict, a lasting band says what the shopkeeper must know about the
till itself (``status.screen``): red when it may not accept payments (the caisse
revoked it or suspended the shop; its trust list expired), amber when its list is
getting old. The picture area says what the camera is doing when there is no
picture (none found, lost, reconnecting), or asks for the reader when the till
runs without a camera. Every word is in the till's language.
"""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable

import cv2
import numpy as np

from keys.verify import ResultCode

from .camera import ENDED, CameraState
from .messages import Messages
from .sounds import Sounds
from .status import Screen
from .till import ScanEvent, Till

COLOURS = {
    "idle": ("#37474f", "#ffffff"),
    "ok": ("#1b7f3b", "#ffffff"),
    "replay": ("#f0b400", "#1a1a1a"),
    "refused": ("#b00020", "#ffffff"),
}
STATUS_COLOURS = {"ok": "#e8f5e9", "warn": "#fff3c4", "error": "#ffcdd2"}
BAND_COLOURS = {"warn": ("#f0b400", "#1a1a1a"), "error": ("#b00020", "#ffffff")}
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
        status: Callable[[], Screen],
        on_scan: Callable[[ScanEvent], None] = lambda event: None,
        camera: str | None = None,
    ) -> None:
        self.till = till
        self._t = messages
        self._status = status
        self._on_scan = on_scan
        self._decode = decode
        self._camera = camera if frames is not None else None
        self._events: queue.Queue = queue.Queue()
        self._wedge = ""
        self._shown_token: bytes | None = None
        self._reset_job: str | None = None
        self._stop = threading.Event()
        self._blocked: str | None = None

        self.root = tk.Tk()
        self.root.title("SSA")
        self.root.geometry("1000x720")
        self.root.configure(bg=COLOURS["idle"][0])
        self.band = tk.Label(self.root, font=("DejaVu Sans", 22, "bold"), wraplength=960, pady=8)
        self.band_detail = tk.Label(self.root, font=("DejaVu Sans", 15), wraplength=960, pady=4)
        self.video = tk.Label(
            self.root, bg="#000000", fg="#ffffff", font=("DejaVu Sans", 20), wraplength=900
        )
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
        if self._camera is None:
            self._show_words(self._t("camera.none"))
        else:
            self._show_words(self._t("camera.starting", camera=self._camera))
        self.refresh_status()
        self._idle()
        if frames is not None:
            threading.Thread(
                target=self._capture, args=(frames,), name="decode", daemon=True
            ).start()

    def camera_state(self, state: CameraState) -> None:
        """From any thread (the camera's): shown in the picture area at the next poll."""
        self._events.put(("camera", state))

    # -- worker thread: capture and decode, never touches Tk or the journal ----------

    def _capture(self, frames) -> None:
        for frame, _ in frames:
            if self._stop.is_set():
                return
            try:
                texts = self._decode(frame)
                preview = to_ppm(frame)
            except Exception as exc:  # a bad frame must never stop the till
                self._events.put(("status", self._t("status.frame_skipped", error=exc)))
                continue
            self._events.put(("frame", preview))
            for text in texts:
                self._events.put(("scan", text))
        if not self._stop.is_set():
            self._events.put(("camera", CameraState(ENDED, self._camera or "")))

    # -- Tk thread -------------------------------------------------------------------

    def run(self) -> None:
        self.root.after(30, self._poll)
        self.root.after(5000, self._refresh_status)
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
            elif kind == "camera" and value.state == ENDED:
                self.status_bar.configure(text=value.words(self._t))  # the last picture stays
            elif kind == "camera":
                latest_frame = None
                self._show_words(value.words(self._t))
        if latest_frame is not None:
            self._photo = tk.PhotoImage(data=latest_frame, format="PPM")
            self.video.configure(image=self._photo, text="")
        if not self._stop.is_set():
            self.root.after(30, self._poll)

    def _show_words(self, text: str) -> None:
        """No picture: the picture area says why, in words."""
        self._photo = None
        self.video.configure(image="", text=text)

    def _refresh_status(self) -> None:
        self.refresh_status()
        if not self._stop.is_set():
            self.root.after(5000, self._refresh_status)

    def refresh_status(self) -> Screen:
        """Status line and lasting band from the till's state now."""
        shown = self._status()
        self.status_bar.configure(text=shown.line, bg=STATUS_COLOURS[shown.level])
        if shown.band:
            bg, fg = BAND_COLOURS[shown.level if shown.level in BAND_COLOURS else "warn"]
            self.band.configure(text=shown.band, bg=bg, fg=fg)
            self.band_detail.configure(text=shown.band_detail, bg=bg, fg=fg)
            if not self.band.winfo_ismapped():
                self.band.pack(side=tk.TOP, fill=tk.X, before=self.video)
                self.band_detail.pack(side=tk.TOP, fill=tk.X, before=self.video)
        else:
            self.band.pack_forget()
            self.band_detail.pack_forget()
        was_blocked, self._blocked = self._blocked, shown.blocked
        if was_blocked != shown.blocked and self._reset_job is None:
            self._idle()
        return shown

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
        if result is None:  # the caisse refuses this till: nothing was judged
            self._shown_token = None
            self._paint("refused", self._t("refused"), self._t(f"till.{event.blocked}"))
            self.sounds.refuse()
            self._schedule_idle()
            if self._blocked is None:
                self.refresh_status()  # the band says it too, at once
            return
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
        self._schedule_idle()

    def _schedule_idle(self) -> None:
        if self._reset_job is not None:
            self.root.after_cancel(self._reset_job)
        self._reset_job = self.root.after(VERDICT_SHOWN_MS, self._idle)

    def _idle(self) -> None:
        self._shown_token = None
        self._reset_job = None
        if self._blocked is not None:
            self._paint("refused", self._t("idle.blocked"), self._t(f"till.{self._blocked}"))
            return
        prompt = "prompt.show_code" if self._camera is not None else "prompt.use_reader"
        self._paint("idle", "SSA", self._t(prompt))

    def _paint(self, style: str, title: str, detail: str) -> None:
        bg, fg = COLOURS[style]
        for widget in (self.root, self.verdict, self.detail):
            widget.configure(bg=bg)
        self.verdict.configure(text=title, fg=fg)
        self.detail.configure(text=detail, fg=fg)
