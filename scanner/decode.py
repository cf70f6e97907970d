"""The scanner's image pipeline: QR texts in a camera frame or an image file.

Built from measurements (docs/scanner-decoding.md, `python -m bench decode`):
zxing-cpp reads the most codes and is the fastest library by far (pyzbar and
OpenCV's two detectors read nothing it misses on the till frames, at 5-10x its
time), so every frame goes to zxing-cpp first, as is. Only when it finds
nothing do the fallbacks run, in the order of what they recovered per
millisecond:

1. crops around the symbols zxing-cpp located but could not decode, and around
   the most edge-dense regions (image_roi): enlarged, which reads codes too small
   or too blurred for its finder search, then also sharpened, then enlarged more;
2. the whole picture median-filtered, binarised with a global histogram: codes
   printed over textures (aerial photos, stone, paper grain);
3. for pictures with transparency: the code composited over black instead of white.

A frame where zxing-cpp reads the code costs what zxing-cpp costs; the
fallbacks only spend time on frames that would otherwise give nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from functools import partial
from os import PathLike

import cv2
import numpy as np
import zxingcpp

from .image_header import sniff
from .image_roi import Rect, box_around, dense_regions, overlap

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 48 MP phone photo; decoded as BGR that is 150 MB
MIN_SIDE = 21  # the smallest QR code (version 1) is 21 modules: nothing below can hold one
CROP_PIXELS = 1_500_000  # an enlarged crop never exceeds this (time of one more zxing pass)
MAX_REGIONS = 2

_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_PLAIN = zxingcpp.TextMode.Plain  # raw content as text: no GS1/ISO 15434 reformatting


class ImageUnreadable(ValueError):
    """The file is not an image the scanner can read (missing, not an image, truncated, too big)."""


def decode_file(path: str | PathLike[str]) -> list[str]:
    """Distinct QR texts in an image file (PNG, JPEG, WebP or BMP); ImageUnreadable otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImageUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImageUnreadable(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB")
    header = sniff(data)
    if header is None:
        raise ImageUnreadable(f"{path}: not a PNG, JPEG, WebP or BMP image")
    kind, width, height = header
    if width * height > MAX_PIXELS:
        raise ImageUnreadable(f"{path}: {width}x{height} {kind} is larger than {MAX_PIXELS} pixels")
    if width == 0 or height == 0:
        raise ImageUnreadable(f"{path}: empty {kind} image")
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        image = None
    if image is None:
        raise ImageUnreadable(f"{path}: corrupt or truncated {kind} image")
    return decode_frame(image)


def decode_frame(frame: np.ndarray, *, budget_ms: float | None = None) -> list[str]:
    """Distinct QR texts in a frame (gray, BGR or BGRA array); [] for anything unusable.

    `budget_ms` bounds the fallbacks for a live camera: none starts once that much
    time has passed since the call (the first zxing-cpp pass always runs). None runs
    them all, so the result does not depend on the machine's load.
    """
    started = time.perf_counter()
    try:
        views = _grays(frame)
    except (cv2.error, ValueError, TypeError):  # an array OpenCV cannot convert: nothing to read
        return []
    if not views:
        return []
    texts: list[str] = []
    for step in _steps(views):
        found = step()
        for text in found:
            if text not in texts:
                texts.append(text)
        if texts:
            break
        if budget_ms is not None and (time.perf_counter() - started) * 1000 > budget_ms:
            break
    return texts


# -- the cascade ---------------------------------------------------------------


class _Pass:
    """One zxing-cpp pass over the main view, remembering where it saw unreadable symbols."""

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self.unreadable: list[Rect] = []

    def __call__(self) -> list[str]:
        height, width = self.gray.shape
        texts = []
        for barcode in _read(self.gray, return_errors=True):
            if barcode.valid:
                texts.append(barcode.text)
            else:
                p = barcode.position
                corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
                box = box_around([(c.x, c.y) for c in corners], width, height)
                if box[2] > box[0] and box[3] > box[1]:
                    self.unreadable.append(box)
        return texts


def _steps(views: list[np.ndarray]) -> Iterator[Callable[[], list[str]]]:
    gray = views[0]
    first = _Pass(gray)
    yield first
    for box in _regions(gray, first.unreadable):
        crop = gray[box[1] : box[3], box[0] : box[2]]
        yield from _crop_steps(crop)
    yield partial(_texts, cv2.medianBlur(gray, 3), binarizer=zxingcpp.Binarizer.GlobalHistogram)
    for other in views[1:]:
        yield partial(_texts, other)


def _regions(gray: np.ndarray, unreadable: list[Rect]) -> list[Rect]:
    """Symbols zxing-cpp located but could not read first, then dense regions; no near-repeats.

    The largest located symbol comes first: zxing-cpp also reports fragments (a lone
    finder pattern) inside the real one, which must not take its place.
    """
    by_size = sorted(unreadable, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)
    chosen: list[Rect] = []
    for box in by_size + dense_regions(gray, MAX_REGIONS):
        if all(overlap(box, other) < 0.5 for other in chosen):
            chosen.append(box)
        if len(chosen) == MAX_REGIONS:
            break
    return chosen


def _crop_steps(crop: np.ndarray) -> Iterator[Callable[[], list[str]]]:
    """Enlarge (x2), enlarge and sharpen, enlarge more (x3): each recovers codes the others miss."""
    area = crop.shape[0] * crop.shape[1]
    if area == 0:
        return
    limit = math.sqrt(CROP_PIXELS / area)
    for factor, sharpen in ((2.0, False), (2.0, True), (3.0, False)):
        factor = min(factor, limit)
        if factor < 1.25 and not sharpen:
            continue
        yield partial(_enlarged_texts, crop, factor, sharpen)


def _enlarged_texts(crop: np.ndarray, factor: float, sharpen: bool) -> list[str]:
    return _texts(_enlarge(crop, factor, sharpen))


def _enlarge(crop: np.ndarray, factor: float, sharpen: bool) -> np.ndarray:
    big = crop
    if factor >= 1.25:
        big = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    if sharpen:  # unsharp mask: restores module edges softened by defocus or a small code
        soft = cv2.GaussianBlur(big, (0, 0), max(1.0, factor))
        big = cv2.addWeighted(big, 2.5, soft, -1.5, 0)
    return big


# -- zxing-cpp -----------------------------------------------------------------


def _read(gray: np.ndarray, **options) -> list:
    try:
        return zxingcpp.read_barcodes(gray, formats=_QR, text_mode=_PLAIN, **options)
    except (ValueError, RuntimeError, TypeError):
        return []


def _texts(gray: np.ndarray, **options) -> list[str]:
    return [barcode.text for barcode in _read(gray, **options) if barcode.valid]


# -- input normalisation ---------------------------------------------------------


def _grays(frame: object) -> list[np.ndarray]:
    """The frame as 8-bit gray views to decode: the main one, plus alternatives for transparency."""
    if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or frame.size == 0:
        return []
    if frame.ndim == 3 and frame.shape[2] not in (1, 2, 3, 4):
        return []
    if frame.shape[0] < MIN_SIDE or frame.shape[1] < MIN_SIDE:
        return []
    if frame.shape[0] * frame.shape[1] > MAX_PIXELS:
        step = math.ceil(math.sqrt(frame.shape[0] * frame.shape[1] / MAX_PIXELS))
        frame = frame[::step, ::step]
    pixels = _to_uint8(frame)
    if pixels is None:
        return []
    if pixels.ndim == 2:
        return [np.ascontiguousarray(pixels)]
    channels = pixels.shape[2]
    if channels == 1:
        return [np.ascontiguousarray(pixels[:, :, 0])]
    if channels == 3:
        return [cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_BGR2GRAY)]
    color = pixels[:, :, 0] if channels == 2 else cv2.cvtColor(pixels[:, :, :3], cv2.COLOR_BGR2GRAY)
    alpha = pixels[:, :, -1].astype(np.uint16)
    if alpha.min() == 255:
        return [np.ascontiguousarray(color)]
    on_white = ((color * alpha + 255 * (255 - alpha)) // 255).astype(np.uint8)
    on_black = ((color * alpha) // 255).astype(np.uint8)
    return [on_white, on_black]  # a code drawn on a transparent background: either contrast


def _to_uint8(frame: np.ndarray) -> np.ndarray | None:
    """8-bit pixels from any numeric array: 16-bit scaled down, floats in 0..1 or 0..255."""
    kind = frame.dtype.kind
    if frame.dtype == np.uint8:
        return frame
    if kind == "b":
        return frame.astype(np.uint8) * 255
    if frame.dtype == np.uint16:
        return (frame >> 8).astype(np.uint8)
    if kind in "iu":
        return np.clip(frame, 0, 255).astype(np.uint8)
    if kind == "f":
        values = np.nan_to_num(frame.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        if values.max(initial=0.0) <= 1.0:
            values = values * 255.0
        return np.clip(values, 0, 255).astype(np.uint8)
    return None
