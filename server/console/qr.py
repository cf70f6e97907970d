"""QR codes as inline SVG markup (the ``qrcode`` package's matrix, drawn as one path).

Inline SVG needs no ``data:`` image source, so the console's CSP stays
``img-src 'self'``; the path is black on white with a four-module quiet zone,
so a phone reads it from the screen or from the printed letter.
"""

from __future__ import annotations

from html import escape

import qrcode
from markupsafe import Markup
from qrcode.constants import ERROR_CORRECT_M


def qr_svg(text: str, *, label: str, size_px: int = 220) -> Markup:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the border
    n = len(matrix)
    path = "".join(
        f"M{x} {y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return Markup(
        f'<svg class="qr" viewBox="0 0 {n} {n}" width="{size_px}" height="{size_px}" '
        f'role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
