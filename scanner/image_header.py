"""Format and size of an image file from its header, before anything is decompressed.

A few hundred bytes of PNG can declare a 30000x30000 picture (gigabytes once
decoded), and OpenCV's own pixel limit is fixed when the library loads. So the
scanner reads the declared size first and refuses what it could not hold, and
accepts only the formats a phone or a screenshot tool produces (PNG, JPEG, WebP,
BMP): fewer decoders exposed to files from strangers.
"""

from __future__ import annotations

import struct

# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic...), which carry the size
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xDA)}  # markers without a length field (RSTn, SOI, EOI, TEM)


def sniff(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) declared by the header, or None when not a supported image."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return "png", width, height
        if data.startswith(b"\xff\xd8"):
            return _jpeg(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
        if data.startswith(b"BM") and len(data) >= 26:
            width, height = struct.unpack("<ii", data[18:26])
            return "bmp", abs(width), abs(height)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            i += 2
            continue
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "jpeg", width, height
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        i += 2 + length
    return None


def _webp(data: bytes) -> tuple[str, int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return "webp", width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return "webp", width, height
    return None
