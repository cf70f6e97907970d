"""The planning chart: money in and out per month as bars, the balance as a line, as SVG.

Like ``chart.py``: no script, no library, a title and a description for screen
readers, the same figures in a table beside it. Colours are SVG presentation
attributes (not CSS), so the chart looks the same in the console (whose policy
allows no inline style) and in a council report saved as a file. Forecast months
sit on a grey band, their bars paler and the balance line dashed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 8, 14, 58
IN, OUT, LINE, BAND, GRID, INK = "#1f6b3a", "#b05a00", "#1d2330", "#eceef2", "#d5dae2", "#1d2330"


@dataclass(frozen=True, slots=True)
class ChartRow:
    label: str
    in_cents: int
    out_cents: int
    balance_cents: int
    forecast: bool = False


def nice_step(span: int) -> int:
    """A round grid step (1, 2 or 5 × 10ⁿ cents) giving about four intervals over ``span``."""
    target = max(span // 4, 1)
    step = 1
    while step * 10 <= target:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= target:
            return factor * step
    return 10 * step


def axis(rows: Sequence[ChartRow]) -> tuple[int, int, int]:
    """(bottom, top, step) in cents: zero always shown, every value inside."""
    values = [0] + [v for r in rows for v in (r.in_cents, r.out_cents, r.balance_cents)]
    low, high = min(values), max(values)
    if high == low:
        high = low + 100
    step = nice_step(high - low)
    bottom = -(-low // step) * step if low >= 0 else (low // step) * step
    top = -(-high // step) * step
    return min(bottom, 0), max(top, 0), step


def money_chart(
    rows: Sequence[ChartRow],
    *,
    title: str,
    description: str,
    names: tuple[str, str, str, str],  # money in, money out, balance, forecast
    money: Callable[[int], str],
    element_id: str = "plan-chart",
) -> Markup:
    bottom, top, step = axis(rows)
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y(cents: int) -> float:
        return TOP + plot_h * (top - cents) / (top - bottom)

    slot = plot_w / max(len(rows), 1)
    bar = max(min(14.0, slot / 2.6), 0.6)
    out = [
        f'<svg class="chart plan-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(description)}</desc>',
    ]
    first_forecast = next((i for i, r in enumerate(rows) if r.forecast), None)
    if first_forecast is not None:
        x = LEFT + slot * first_forecast
        out.append(
            f'<rect x="{x:.1f}" y="{TOP}" width="{LEFT + plot_w - x:.1f}" height="{plot_h}" '
            f'fill="{BAND}"/>'
        )
        out.append(
            f'<text x="{x + 4:.1f}" y="{TOP + 11}" font-size="11" fill="{INK}">'
            f"{escape(names[3])}</text>"
        )
    value = bottom
    while value <= top:
        gy = y(value)
        width = 1.6 if value == 0 else 1
        colour = INK if value == 0 else GRID
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" '
            f'stroke="{colour}" stroke-width="{width}"/>'
        )
        out.append(
            f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{escape(money(value))}</text>'
        )
        value += step
    every = max(1, -(-len(rows) // 12))
    zero = y(0)
    points = []
    for n, r in enumerate(rows):
        x0 = LEFT + slot * n + slot / 2 - bar - 1
        opacity = ' fill-opacity="0.55"' if r.forecast else ""
        for k, (cents, colour) in enumerate(((r.in_cents, IN), (r.out_cents, OUT))):
            top_y, h = (y(cents), zero - y(cents)) if cents >= 0 else (zero, y(cents) - zero)
            out.append(
                f'<rect x="{x0 + k * (bar + 2):.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
                f'height="{max(h, 0):.1f}" fill="{colour}"{opacity}/>'
            )
        points.append((LEFT + slot * n + slot / 2, y(r.balance_cents)))
        if n % every == 0:
            out.append(
                f'<text x="{LEFT + slot * n + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 15}" '
                f'text-anchor="middle" font-size="11" fill="{INK}">{escape(r.label)}</text>'
            )
    split = len(rows) if first_forecast is None else max(first_forecast, 1)
    for part, dash in ((points[:split], ""), (points[split - 1 :], ' stroke-dasharray="5 4"')):
        if len(part) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in part)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"{dash}/>'
            )
    if len(points) == 1:
        px, py = points[0]
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{LINE}"/>')
    legend_y = HEIGHT - 14
    for k, (name, colour) in enumerate(((names[0], IN), (names[1], OUT))):
        x = LEFT + k * 170
        out.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 14}" y="{legend_y}" font-size="12" fill="{INK}">{escape(name)}</text>'
        )
    x = LEFT + 340
    out.append(
        f'<line x1="{x}" x2="{x + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
        f'stroke="{LINE}" stroke-width="2"/>'
    )
    out.append(
        f'<text x="{x + 22}" y="{legend_y}" font-size="12" fill="{INK}">{escape(names[2])}</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))
