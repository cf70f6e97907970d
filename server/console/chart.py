"""The dashboard chart: allowances issued and spent per month, as server-side SVG.

No script, no library: rectangles and text with CSS classes (styled by the
console's stylesheet), a title and a description for screen readers, and the
same figures in a table next to it (the text alternative).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 272
LEFT, BOTTOM, TOP = 72, 76, 16
CHAR_W = 7.2  # an average 12px character, to lay the legend out without overlap


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (cents)."""
    if value <= 0:
        return 100
    step = 1
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return value


def bar_chart(
    rows: list[tuple[str, int, int]],
    *,
    title: str,
    description: str,
    series: tuple[str, str],
    money: Callable[[int], str],
) -> Markup:
    """Grouped bars: rows of (label, issued cents, spent cents); a label may hold a line break."""
    top = _nice_max(max([max(a, b) for _, a, b in rows] or [0]))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - 8) / max(len(rows), 1)
    bar = min(28.0, slot / 3)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(money(value))}</text>"
        )
    for n, (label, issued, spent) in enumerate(rows):
        x0 = LEFT + slot * n + (slot - 2 * bar - 4) / 2
        for k, value in enumerate((issued, spent)):
            h = plot_h * value / top
            out.append(
                f'<rect class="bar s{k}" x="{x0 + k * (bar + 4):.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"/>'
            )
        # "mars" above "2026": a label a third of the width of "septembre 2026" fits its slot.
        middle = x0 + bar + 2
        lines = label.split("\n")
        spans = "".join(
            f'<tspan x="{middle:.1f}" dy="{0 if i == 0 else 14}">{escape(text)}</tspan>'
            for i, text in enumerate(lines)
        )
        out.append(
            f'<text class="axis" x="{middle:.1f}" y="{TOP + plot_h + 18}" '
            f'text-anchor="middle">{spans}</text>'
        )
    x = float(LEFT)
    for k, name in enumerate(series):
        y = HEIGHT - 22
        out.append(f'<rect class="bar s{k}" x="{x:.1f}" y="{y}" width="12" height="12"/>')
        out.append(f'<text class="legend" x="{x + 17:.1f}" y="{y + 11}">{escape(name)}</text>')
        x += 17 + len(name) * CHAR_W + 28
    out.append("</svg>")
    return Markup("".join(out))
