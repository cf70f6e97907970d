"""Video sources for the till: a webcam index, a phone's stream URL, or a video file.

A file is read frame by frame to its end (tests, recorded sessions). A live
source is read by a background thread that keeps only the newest frame (so the
till never lags behind the camera), and is reopened with a growing delay when
it disappears: the shopkeeper sees a clear message, never a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

LIVE_PREFIXES = ("http://", "https://", "rtsp://", "rtmp://", "udp://", "tcp://")


class CameraError(Exception):
    """A video source cannot be used at all (e.g. a file that does not exist)."""


def is_live(spec: str) -> bool:
    return spec.isdigit() or spec.startswith(LIVE_PREFIXES)


def _open(spec: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(int(spec)) if spec.isdigit() else cv2.VideoCapture(spec)
    if spec.startswith(LIVE_PREFIXES):
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture


def file_frames(path: str) -> Iterator[tuple[np.ndarray, float]]:
    """Every frame of a video file with its position in seconds; a truncated file ends early."""
    if not Path(path).is_file():
        raise CameraError(f"video file {path} does not exist")
    capture = _open(path)
    if not capture.isOpened():
        raise CameraError(f"video file {path} cannot be read")
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield frame, capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
    finally:
        capture.release()


class LiveSource:
    """The newest frame of a webcam or network stream, reconnecting when it drops."""

    def __init__(
        self,
        spec: str,
        *,
        on_status: Callable[[str], None],
        retry_delays: tuple[float, ...] = (1, 2, 5, 10, 30),
    ) -> None:
        self.spec = spec
        self._on_status = on_status
        self._delays = retry_delays
        self._frame: np.ndarray | None = None
        self._serial = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_forever, name="camera", daemon=True)

    def start(self) -> LiveSource:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def frames(self) -> Iterator[tuple[np.ndarray, None]]:
        seen = 0
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait(timeout=1)
                if self._serial == seen or self._frame is None:
                    continue
                seen, frame = self._serial, self._frame
            yield frame, None

    def _read_forever(self) -> None:
        failures = 0
        while not self._stop.is_set():
            capture = _open(self.spec)
            if capture.isOpened():
                got_one = False
                while not self._stop.is_set():
                    ok, frame = capture.read()
                    if not ok or frame is None:
                        break
                    if not got_one:
                        self._on_status(f"camera {self.spec}: connected")
                        got_one, failures = True, 0
                    with self._cond:
                        self._frame, self._serial = frame, self._serial + 1
                        self._cond.notify_all()
            capture.release()
            if self._stop.is_set():
                return
            delay = self._delays[min(failures, len(self._delays) - 1)]
            failures += 1
            self._on_status(f"camera {self.spec}: no picture, trying again in {delay:g} s")
            self._stop.wait(delay)


FrameStream = Iterator[tuple[np.ndarray, float | None]]


def frames_from(
    spec: str, *, on_status: Callable[[str], None]
) -> tuple[FrameStream, Callable[[], None]]:
    """(frame, position in seconds or None if live) of ``spec``, and a function to stop it."""
    if is_live(spec):
        source = LiveSource(spec, on_status=on_status).start()
        return source.frames(), source.stop
    return file_frames(spec), lambda: None
