"""Draw the wallet's app icons (192/512, plain and maskable) into wallet_pwa/icons/.

Run once at development time (`.venv/bin/python wallet_pwa/tools/make_icons.py`);
the small PNGs it writes are committed. Maskable icons keep their mark inside the
central 80 % safe zone and fill the whole square, as the launcher may crop a circle.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

GREEN = (59, 93, 11)  # BGR of #0b5d3b, the manifest's theme colour
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "icons"


def _mark(img: np.ndarray, centre: float, radius: float) -> None:
    """A white coin with "SSA" on it: money, kept simple enough for 48 px launchers."""
    size = img.shape[0]
    c = (round(centre * size), round(centre * size))
    r = round(radius * size)
    cv2.circle(img, c, r, WHITE, -1, cv2.LINE_AA)
    cv2.circle(img, c, round(r * 0.86), GREEN, max(2, size // 64), cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_DUPLEX
    thickness = max(2, size // 40)
    scale = 1.0
    (w, h), _ = cv2.getTextSize("SSA", font, scale, thickness)
    scale = 1.25 * r / w
    (w, h), _ = cv2.getTextSize("SSA", font, scale, thickness)
    cv2.putText(
        img, "SSA", (c[0] - w // 2, c[1] + h // 2), font, scale, GREEN, thickness, cv2.LINE_AA
    )


def icon(size: int, *, maskable: bool) -> np.ndarray:
    img = np.zeros((size, size, 4), np.uint8)
    if maskable:
        img[:, :] = (*GREEN, 255)
        bgr = np.ascontiguousarray(img[:, :, :3])
        _mark(bgr, 0.5, 0.33)
    else:
        bgr = np.zeros((size, size, 3), np.uint8)
        bgr[:] = GREEN
        corner = size // 6
        alpha = np.zeros((size, size), np.uint8)
        cv2.rectangle(alpha, (corner, 0), (size - corner, size), 255, -1)
        cv2.rectangle(alpha, (0, corner), (size, size - corner), 255, -1)
        for x in (corner, size - corner - 1):
            for y in (corner, size - corner - 1):
                cv2.circle(alpha, (x, y), corner, 255, -1, cv2.LINE_AA)
        img[:, :, 3] = alpha
        _mark(bgr, 0.5, 0.40)
    img[:, :, :3] = bgr
    return img


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for size in (192, 512):
        for maskable in (False, True):
            name = f"icon-{'maskable-' if maskable else ''}{size}.png"
            cv2.imwrite(
                str(OUT / name), icon(size, maskable=maskable), [cv2.IMWRITE_PNG_COMPRESSION, 9]
            )
            print(name)


if __name__ == "__main__":
    main()
