"""Till-like camera frames holding real SSA1 payment QR codes, for the decode benchmark and tests.

A shop's webcam sees a member's phone held over the counter: tilted, turned, moving,
reflecting the ceiling light, sometimes in dark mode, sometimes far away. Each frame
here is one such picture, built deterministically from a seed, with the exact QR text
it holds so a decoder's answer can be checked byte for byte.

The scene is rendered at twice the target size and area-downsampled, so module edges
are anti-aliased like a real camera's, then degraded by the frame's condition and a
camera's JPEG compression.

    .venv/bin/python -m bench.till_frames OUTDIR [COUNT]   # writes PNGs to look at
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import qrcode
from nacl.signing import SigningKey

from keys import tokens

CONDITIONS = (
    "clean",
    "tilt",
    "rotation",
    "motion_blur",
    "defocus",
    "glare",
    "low_contrast",
    "small",
    "noise_jpeg",
    "dark_mode",
    "dark_scene",
)
SIZES = ((1280, 720), (640, 480))
NOW = 1_767_225_600  # 2026-01-01, fixed so frames do not change from one day to the next


@dataclass(frozen=True)
class TillFrame:
    image: np.ndarray  # BGR uint8, height x width x 3
    text: str  # the exact QR text in the picture
    condition: str  # one of CONDITIONS


def payment_text(rng: np.random.Generator) -> str:
    """A real SSA1 payment (with its embedded credential), signed by fresh seeded keys."""
    issuer = SigningKey(rng.bytes(32))
    member = SigningKey(rng.bytes(32))
    credential = tokens.encode_credential(
        iss="be-bxl-class",
        sub=rng.bytes(8),
        cti=rng.bytes(16),
        nbf=NOW - 86_400,
        exp=NOW + 30 * 86_400,
        allowance_cents=15_000,
        member_public_key=bytes(member.verify_key),
        issuer_key=issuer,
    )
    amount = int(rng.integers(100, 9_000))
    payment = tokens.encode_payment(
        credential_cose=credential,
        amount_cents=amount,
        seq=int(rng.integers(1, 30)),
        cumulative_cents=amount + int(rng.integers(0, 5_000)),
        iat=NOW,
        member_key=member,
        aud=None if rng.random() < 0.5 else "shop-0042",
    )
    return tokens.to_qr(payment)


def qr_modules(text: str) -> np.ndarray:
    """The code's modules with a 4-module quiet zone: True = dark, EC level M as the wallet."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def _phone(modules: np.ndarray, module_px: int, dark_mode: bool, rng: np.random.Generator):
    """A phone (bezel + screen with the wallet's QR and a few UI bars); returns image, corners."""
    qr_px = modules.shape[0] * module_px
    screen_w = int(qr_px * 1.15)
    screen_h = int(screen_w * 2.0)
    bezel = max(4, screen_w // 25)
    light, dark = (int(rng.integers(215, 250)), int(rng.integers(10, 40)))
    fg, bg = (light, dark) if dark_mode else (dark, light)
    screen = np.full((screen_h, screen_w), bg, np.uint8)
    qr = np.where(modules, fg, bg).astype(np.uint8)
    qr = cv2.resize(qr, (qr_px, qr_px), interpolation=cv2.INTER_NEAREST)
    top = int(screen_h * 0.3)
    left = (screen_w - qr_px) // 2
    screen[top : top + qr_px, left : left + qr_px] = qr
    mid = (int(fg) + int(bg)) // 2
    for y, w in ((0.08, 0.6), (0.14, 0.4), (0.22, 0.5)):  # amount, shop, "show this to the till"
        bar_h = max(2, screen_w // 30)
        y0 = int(screen_h * y)
        screen[y0 : y0 + bar_h, int(screen_w * 0.1) : int(screen_w * (0.1 + w))] = mid
    phone = np.full((screen_h + 2 * bezel, screen_w + 2 * bezel), 12, np.uint8)
    phone[bezel:-bezel, bezel:-bezel] = screen
    h, w = phone.shape
    x0, y0 = bezel + left, bezel + top
    qr_corners = np.float32(
        [[x0, y0], [x0 + qr_px, y0], [x0 + qr_px, y0 + qr_px], [x0, y0 + qr_px]]
    )
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return cv2.cvtColor(phone, cv2.COLOR_GRAY2BGR), corners, qr_corners


def _background(width: int, height: int, dark: bool, rng: np.random.Generator) -> np.ndarray:
    """A counter and shelves: smooth gradient, coloured boxes, low-frequency noise (at 1/2 size)."""
    lo, hi = (15, 70) if dark else (70, 200)
    w, h = width // 2, height // 2
    base = rng.uniform(lo, hi, size=3).astype(np.float32)
    gx = np.linspace(0, rng.uniform(-40, 40), w, dtype=np.float32)[None, :]
    gy = np.linspace(0, rng.uniform(-40, 40), h, dtype=np.float32)[:, None]
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    img += (gx + gy)[..., None]
    for _ in range(int(rng.integers(4, 12))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(w // 20, w // 3)), y0 + int(rng.integers(10, 100))
        color = tuple(float(c) for c in base * rng.uniform(0.6, 1.4, size=3))
        cv2.rectangle(img, (x0, y0), (x1, y1), color, -1)
    noise = rng.normal(0, 6, size=(h // 32 + 1, w // 32 + 1)).astype(np.float32)
    img += cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)


def _pose(points: np.ndarray, size, tilt_deg: float, roll_deg: float, rng) -> np.ndarray:
    """Points of the phone seen by a pinhole camera after tilting it and turning it."""
    w, h = size
    pts = np.column_stack([points - [w / 2, h / 2], np.zeros(len(points))])
    phi = rng.uniform(0, 2 * np.pi)  # direction of the tilt axis
    ax, ay = np.radians(tilt_deg * np.array([np.cos(phi), np.sin(phi)]))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    r = np.radians(roll_deg)
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    pts = pts @ (rz @ ry @ rx).T
    f = 1.6 * max(w, h)  # focal length: a webcam's field of view at arm's length
    z = pts[:, 2] + 2.0 * max(w, h)
    return (pts[:, :2] * (f / z)[:, None]).astype(np.float32)


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    c = length // 2
    dx, dy = np.cos(np.radians(angle)) * c, np.sin(np.radians(angle)) * c
    cv2.line(k, (int(c - dx), int(c - dy)), (int(c + dx), int(c + dy)), 1.0, 1)
    return k / k.sum()


def _disc_kernel(radius: float) -> np.ndarray:
    n = int(np.ceil(radius)) * 2 + 1
    yy, xx = np.mgrid[0:n, 0:n] - n // 2
    k = (xx**2 + yy**2 <= radius**2).astype(np.float32)
    return k / k.sum()


def render(text: str, condition: str, size: tuple[int, int], rng: np.random.Generator):
    """One frame of `size` (width, height) showing `text` under `condition`."""
    width, height = size
    modules = qr_modules(text)
    n = modules.shape[0]
    # pixels per module in the frame, whatever its size: blur and glare are in module units
    ppm = rng.uniform(1.6, 2.1) if condition == "small" else rng.uniform(2.6, 4.0)
    qr_side = ppm * n
    phone, corners, qr_corners = _phone(modules, 8, condition == "dark_mode", rng)
    tilt = rng.uniform(25, 50) if condition == "tilt" else rng.uniform(0, 10)
    roll = rng.uniform(0, 360) if condition == "rotation" else rng.uniform(-12, 12)
    posed = _pose(np.vstack([corners, qr_corners]), corners[2], tilt, roll, rng)
    zoom = 2 * qr_side / (n * 8)  # render at twice the final size, then area-downsample
    posed *= zoom
    # the whole QR stays in view, anywhere in the frame; the phone's body may leave it
    qr = posed[4:]
    room = np.maximum(np.array([2 * width, 2 * height]) - (qr.max(0) - qr.min(0)), 1)
    posed += -qr.min(0) + rng.uniform(0.05, 0.95, size=2) * room
    dst, qr = posed[:4], posed[4:]
    dark_scene = condition == "dark_scene"
    canvas = _background(2 * width, 2 * height, dark_scene, rng)
    m = cv2.getPerspectiveTransform(corners, dst)
    warped = cv2.warpPerspective(phone, m, (2 * width, 2 * height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(phone.shape[:2], 255, np.uint8), m, (2 * width, 2 * height))
    cv2.copyTo(warped, (mask > 127).astype(np.uint8), canvas)
    img = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    center = qr.mean(0) / 2

    if dark_scene:  # exposure set for the dark shop: the screen saturates and blooms
        gain = rng.uniform(1.6, 2.6)
        bright = np.clip(img * gain, 0, 255)
        bloom = cv2.GaussianBlur(bright, (0, 0), rng.uniform(0.5, 1.2) * ppm)
        img = np.clip(0.6 * bright + 0.6 * bloom, 0, 255)
    if condition == "glare":  # a ceiling light reflected on the screen
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        gx, gy = center + rng.uniform(-0.25, 0.25, size=2) * qr_side
        sigma = rng.uniform(0.12, 0.25) * qr_side
        blob = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * sigma**2))
        img = np.clip(img + rng.uniform(170, 260) * blob[..., None], 0, 255)
    if condition == "low_contrast":
        c = rng.uniform(0.12, 0.25)
        img = img.mean() + (img - img.mean()) * c + rng.uniform(-30, 30)
    if condition == "motion_blur":
        length = max(3, round(rng.uniform(0.6, 2.0) * ppm))
        img = cv2.filter2D(img, -1, _motion_kernel(length, rng.uniform(0, 180)))
    if condition == "defocus":
        img = cv2.filter2D(img, -1, _disc_kernel(rng.uniform(0.35, 0.8) * ppm))
    sigma_noise = rng.uniform(8, 18) if condition == "noise_jpeg" else rng.uniform(1, 4)
    img += rng.normal(0, sigma_noise, size=img.shape[:2]).astype(np.float32)[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    quality = int(rng.integers(12, 30)) if condition == "noise_jpeg" else int(rng.integers(70, 92))
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


def frames(count: int, size: tuple[int, int] = (1280, 720), seed: int = 0) -> Iterator[TillFrame]:
    """`count` frames cycling through CONDITIONS; the same seed gives the same frames."""
    for i in range(count):
        rng = np.random.default_rng([seed, i, size[0]])
        condition = CONDITIONS[i % len(CONDITIONS)]
        text = payment_text(rng)
        yield TillFrame(render(text, condition, size, rng), text, condition)


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    count = int(argv[1]) if len(argv) > 1 else len(CONDITIONS)
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        for i, frame in enumerate(frames(count, size)):
            cv2.imwrite(
                str(out / f"{size[0]}x{size[1]}-{i:03d}-{frame.condition}.png"), frame.image
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
