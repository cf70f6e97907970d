"""Video sources for the till: a webcam index, a phone's stream URL, or a video file.

A file is read frame by frame to its end (tests, recorded sessions). A live
source is read by a background thread that keeps only the newest frame (so the
till never lags behind the camera), and is reopened with a growing delay when
it disappears: the shopkeeper sees what is going on in words (``CameraState``:
no camera found, camera lost, reconnecting), never a crash. OpenCV's and FFmpeg's
own warnings ("can't open camera by index", "Connection refused") are silenced:
they say the same thing, in English, on a terminal nobody at the till reads.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

LIVE_PREFIXES = ("http://", "https://", "rtsp://", "rtmp://", "udp://", "tcp://")
CONNECTED, NOT_FOUND, LOST, RECONNECTING, ENDED = (
    "connected",
    "not_found",
    "lost",
    "reconnecting",
    "ended",
)


def silence_opencv() -> None:
    """OpenCV's log and FFmpeg's (read when a capture opens) say nothing."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    with contextlib.suppress(AttributeError):  # an OpenCV build without its logging module
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


silence_opencv()


@dataclass(frozen=True, slots=True)
class CameraState:
    """What the camera is doing, for the window and the terminal (see ``words``)."""

    state: str  # connected, not_found (never a picture), lost, reconnecting, ended
    camera: str
    retry_in_s: float | None = None

    def words(self, t: Callable[..., str]) -> str:
        seconds = f"{self.retry_in_s:g}" if self.retry_in_s is not None else ""
        return t(f"camera.{self.state}", camera=self.camera, seconds=seconds)


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
        on_state: Callable[[CameraState], None],
        retry_delays: tuple[float, ...] = (1, 2, 5, 10, 30),
    ) -> None:
        self.spec = spec
        self._on_state = on_state
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
        ever_connected = False
        while not self._stop.is_set():
            capture = _open(self.spec)
            got_one = False
            if capture.isOpened():
                while not self._stop.is_set():
                    ok, frame = capture.read()
                    if not ok or frame is None:
                        break
                    if not got_one:
                        self._on_state(CameraState(CONNECTED, self.spec))
                        got_one, ever_connected, failures = True, True, 0
                    with self._cond:
                        self._frame, self._serial = frame, self._serial + 1
                        self._cond.notify_all()
            capture.release()
            if self._stop.is_set():
                return
            delay = self._delays[min(failures, len(self._delays) - 1)]
            failures += 1
            state = (LOST if got_one else RECONNECTING) if ever_connected else NOT_FOUND
            self._on_state(CameraState(state, self.spec, delay))
            self._stop.wait(delay)


FrameStream = Iterator[tuple[np.ndarray, float | None]]


def frames_from(
    spec: str, *, on_state: Callable[[CameraState], None]
) -> tuple[FrameStream, Callable[[], None]]:
    """(frame, position in seconds or None if live) of ``spec``, and a function to stop it."""
    if is_live(spec):
        source = LiveSource(spec, on_state=on_state).start()
        return source.frames(), source.stop
    return file_frames(spec), lambda: None
