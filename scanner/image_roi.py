"""Where in a frame a QR code probably is, found cheaply when the decoder saw nothing.

A QR code is the densest patch of edges in a till's picture: hundreds of module
borders in a small square, against a counter, a hand and a phone's plain screen.
The energy of the Laplacian, pooled over cells, lights it up even when the code
is too small, blurred or glared for the decoder's own finder-pattern search;
cropping there and enlarging the crop is what lets the decoder read it after all
(see docs/scanner-decoding.md for the measurements).
"""

from __future__ import annotations

import cv2
import numpy as np

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), in frame pixels


def dense_regions(gray: np.ndarray, limit: int = 2) -> list[Rect]:
    """Up to `limit` boxes around the most edge-dense regions, densest first, with a margin."""
    height, width = gray.shape
    cell = max(16, max(height, width) // 80)  # 16 px at 1280x720, 8 px at 640x480
    if height < 4 * cell or width < 4 * cell:
        return []
    half = cv2.resize(gray, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    edges = np.abs(cv2.Laplacian(half, cv2.CV_16S, ksize=3)).astype(np.float32)
    energy = cv2.resize(edges, (width // cell, height // cell), interpolation=cv2.INTER_AREA)
    energy = cv2.blur(energy, (3, 3))
    peak = float(energy.max())
    if peak <= 0:
        return []
    mask = (energy > 0.5 * peak).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:limit] + 1
    boxes = []
    for label in order[:count]:
        x, y, w, h = (int(v) * cell for v in stats[label, :4])
        margin_x, margin_y = w // 4 + cell, h // 4 + cell
        boxes.append(
            (
                max(0, x - margin_x),
                max(0, y - margin_y),
                min(width, x + w + margin_x),
                min(height, y + h + margin_y),
            )
        )
    return boxes


def box_around(points: list[tuple[float, float]], width: int, height: int) -> Rect:
    """The bounding box of a detected (but unreadable) symbol's corners, with a third as margin."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    margin = max(x1 - x0, y1 - y0) / 3 + 8
    return (
        max(0, int(x0 - margin)),
        max(0, int(y0 - margin)),
        min(width, int(x1 + margin) + 1),
        min(height, int(y1 + margin) + 1),
    )


def overlap(a: Rect, b: Rect) -> float:
    """Intersection over union of two boxes: near 1.0 when they frame the same thing."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / max(union, 1)
