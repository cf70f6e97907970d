"""The browser till's tests' helpers: watching a page, and a fake camera for Chromium
(`--use-file-for-fake-video-capture`): a .y4m video of a phone's screen — a real wallet's
QR, screenshotted — held over a shop counter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def counter_frame(png: bytes, size: tuple[int, int] = (640, 480), qr_px: int = 360) -> np.ndarray:
    """The screenshot, scaled so the QR spans ``qr_px``, on a grey counter (BGR)."""
    shot = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    width, height = size
    frame = np.full((height, width, 3), 110, np.uint8)
    scale = min(qr_px / shot.shape[0], qr_px / shot.shape[1])
    shot = cv2.resize(shot, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y, x = (height - shot.shape[0]) // 2, (width - shot.shape[1]) // 2
    frame[y : y + shot.shape[0], x : x + shot.shape[1]] = shot
    return frame


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """Frames (BGR, one size) as YUV4MPEG2 4:2:0, the format Chromium's fake camera reads."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def watch(page, errors: list[str], origin: str) -> None:
    """Every console error, page error and request to another origin fails the test."""

    def console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith((origin, "data:", "blob:")) else errors.append(r.url),
    )
