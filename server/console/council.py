"""The one-page report for a council: a simulated scenario in French, Dutch (or English).

The scenario (allowance, contributions, subsidies, costs), the monthly balance
chart, the coverage by contributions, the subsidy needed, and who contributes and
who receives by household type: ``facts`` puts it in words once, in the console's
catalogues (``server/locale``), and ``report_html`` and ``report_pdf`` lay the same
words out. The HTML is a whole document (its stylesheet inline, or linked when the
console serves it); the PDF (fpdf2) uses DejaVu Sans when Debian's
``fonts-dejavu-core`` is installed, else the built-in Helvetica with "EUR" and
accents folded. Pure: the PDF's creation date is the caller's.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from server.console.i18n import LANGUAGES, Formats, load_translations
from server.console.planning_chart import IN as IN_COLOUR
from server.console.planning_chart import INK, LINE, ChartRow, axis, money_chart
from server.console.planning_chart import OUT as OUT_COLOUR
from server.ledger.simulation import FULL_BP, Result

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = Path(__file__).resolve().parent / "static" / "admin" / "council.css"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


@lru_cache(maxsize=len(LANGUAGES))
def latin1(text: str) -> str:
    """What the built-in PDF fonts can draw: Latin-1 kept, accents elsewhere folded."""
    out = []
    for ch in text.replace("€", "EUR"):
        if ord(ch) < 256 and (ch.isprintable() or ch == " "):
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append("".join(c for c in folded if c.isprintable()) or "?")
    return "".join(out)


def _translations(language: str) -> Translations:
    return load_translations(language)


@lru_cache(maxsize=len(LANGUAGES))
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


class Words:
    """Translated, formatted phrases in one language."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"the report is in {', '.join(LANGUAGES)}, not {language!r:.10}")
        self.language = language
        self.fmt = Formats(language, "Europe/Brussels")
        self.t = _translations(language)

    def _(self, message: str, **values: Any) -> str:
        text = self.t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self.t.ngettext(singular, plural, count) % {"n": count, **values}

    def money(self, cents: int) -> str:
        return self.fmt.money(cents)

    def month(self, period: str) -> str:
        return self.fmt.month(period)

    def short_month(self, period: str) -> str:
        day = date(int(period[:4]), int(period[5:7]), 1)
        return format_date(day, "MMM yy", locale=self.fmt.locale)

    def _percent(self, value: float | Decimal, decimals: str) -> str:
        """The locale's own percent pattern (its spacing) with up to ``decimals`` digits."""
        pattern = self.fmt.locale.percent_formats[None].pattern.replace("0", "0." + decimals, 1)
        return format_percent(value, pattern, locale=self.fmt.locale)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else self._percent(value, "#")

    def share_bp(self, bp: int) -> str:
        return self._percent(Decimal(bp) / FULL_BP, "##")


# -- what the report says -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    kind: str
    count: int
    allowance: str
    contribution: str
    net: str
    group_net: str
    gives: bool  # the household gives more than it receives


def runway_sentence(w: Words, result: Result) -> str:
    if result.runway_months is None:
        return w._(
            "The balance stays at or above zero for the %(n)s months.", n=len(result.per_month)
        )
    if result.runway_months == 0:
        return w._(
            "The balance is below zero from the first month (%(month)s).",
            month=w.month(result.per_month[0].period),
        )
    assert result.lasts_until is not None and result.runs_out_in is not None
    return w._(
        "The money lasts until %(month)s; the balance is below zero from %(first)s.",
        month=w.month(result.lasts_until),
        first=w.month(result.runs_out_in),
    )


def household_kind(w: Words, adults: int, children: int, label: str | None = None) -> str:
    kind = w.ngettext("%(n)s adult", "%(n)s adults", adults)
    if children:
        kind += ", " + w.ngettext("%(n)s child", "%(n)s children", children)
    return f"{label} ({kind})" if label else kind


def _rule_lines(w: Words, result: Result) -> list[str]:
    lines = []
    for k, rule in enumerate(result.scenario.rules):
        text = w._(
            "%(first)s for the first adult, %(adult)s for each other adult, %(child)s per child",
            first=w.money(rule.first_adult_cents),
            adult=w.money(rule.extra_adult_cents),
            child=w.money(rule.child_cents),
        )
        if rule.max_household_cents is not None:
            text += ", " + w._(
                "at most %(cap)s per household", cap=w.money(rule.max_household_cents)
            )
        if k:
            text = w._("from %(month)s", month=w.month(rule.from_period)) + ": " + text
        lines.append(text)
    return lines


def _scheme_lines(w: Words, result: Result) -> list[str]:
    lines = []
    for k, scheme in enumerate(result.scenario.schemes):
        floor = w.money(scheme.floor_household_cents)
        if scheme.kind == "free":
            text = w._(
                "free choice, at least %(floor)s (+ %(extra)s per extra person)",
                floor=floor,
                extra=w.money(scheme.floor_extra_person_cents),
            )
        elif scheme.kind == "proportional":
            rate = format_decimal(Decimal(scheme.rate_bp) / 100, locale=w.fmt.locale)
            text = w._(
                "%(rate)s %% of the declared income, at least %(floor)s", rate=rate, floor=floor
            )
            if scheme.cap_cents is not None:
                text += ", " + w._("at most %(cap)s", cap=w.money(scheme.cap_cents))
        else:
            text = w._("by income bands, at least %(floor)s", floor=floor)
        if k or scheme.from_period > result.scenario.run.start:
            text = w._("from %(month)s", month=w.month(scheme.from_period)) + ": " + text
        lines.append(text)
    return lines or [w._("No contribution")]


def _subsidy_lines(w: Words, result: Result) -> list[str]:
    lines = []
    for s in result.scenario.subsidies:
        if s.cents_once:
            parts = [w._("%(amount)s once", amount=w.money(s.cents_once))]
        else:
            parts = [w._("%(amount)s a year", amount=w.money(s.cents_per_year))]
            if s.schedule == "quarterly":
                parts.append(w._("paid quarterly"))
            elif s.schedule == "yearly":
                parts.append(w._("paid yearly"))
        if s.from_period and (s.from_period != result.scenario.run.start or s.cents_once):
            parts.append(w._("from %(month)s", month=w.month(s.from_period)))
        if s.until:
            parts.append(w._("until %(month)s", month=w.month(s.until)))
        lines.append(f"{s.name}: " + ", ".join(parts))
    return lines


def _cost_lines(w: Words, result: Result) -> list[str]:
    costs, lines = result.scenario.costs, []
    if costs.coordination_cents_per_month:
        lines.append(
            w._(
                "%(amount)s a month for coordination",
                amount=w.money(costs.coordination_cents_per_month),
            )
        )
    if costs.other_cents_per_month:
        lines.append(
            w._("%(amount)s a month of other costs", amount=w.money(costs.other_cents_per_month))
        )
    if costs.start_up_cents:
        lines.append(w._("%(amount)s to start", amount=w.money(costs.start_up_cents)))
    return lines


def chart_rows(w: Words, result: Result) -> list[ChartRow]:
    return [
        ChartRow(w.short_month(m.period), m.in_cents, m.out_cents, m.balance_cents)
        for m in result.per_month
    ]


def facts(result: Result, language: str) -> dict[str, Any]:
    """Everything the report shows, in ``language``'s words and formats."""
    w = Words(language)
    s, months = result.scenario, len(result.per_month)
    average = {
        name: result.total(name) // max(months, 1)
        for name in ("allowances_cents", "contributions_cents", "subsidies_cents")
    }
    rows = [
        HouseholdRow(
            household_kind(w, g.adults, g.children, g.label),
            g.count,
            w.money(g.allowance_cents),
            w.money(g.contribution_cents),
            w.money(g.net_transfer_cents),
            w.money(g.count * g.net_transfer_cents),
            g.net_transfer_cents < 0,
        )
        for g in result.by_household
    ]
    gap = result.subsidy_gap_cents_per_year
    return {
        "w": w,
        "lang": language,
        "heading": w._("Budget of a pilot"),
        "title": s.title or "",
        "span": w._(
            "%(start)s to %(end)s (%(n)s months)",
            start=w.month(s.run.start),
            end=w.month(result.per_month[-1].period) if months else w.month(s.run.start),
            n=months,
        ),
        "fund": w._("Fund at the start: %(amount)s", amount=w.money(s.run.fund_cents)),
        "figures": [
            (w._("Allowances a month"), w.money(average["allowances_cents"])),
            (w._("Contributions a month"), w.money(average["contributions_cents"])),
            (w._("Coverage by contributions"), w.percent(result.coverage)),
            (w._("Subsidy needed a year"), w.money(result.subsidy_needed_cents_per_year)),
        ],
        "gap": (
            w._("%(amount)s on top of the subsidies planned", amount=w.money(gap))
            if s.subsidies
            else ""
        ),
        "runway": runway_sentence(w, result),
        "runs_out": result.runway_months is not None,
        "rules": _rule_lines(w, result),
        "schemes": _scheme_lines(w, result),
        "subsidies": _subsidy_lines(w, result),
        "costs": _cost_lines(w, result),
        "households": rows,
        "households_total": sum(g.count for g in result.by_household),
        "months": [
            (
                w.month(m.period),
                w.money(m.allowances_cents),
                w.money(m.contributions_cents),
                w.money(m.subsidies_cents),
                w.money(m.costs_cents),
                w.money(m.balance_cents),
                m.balance_cents < 0,
            )
            for m in result.per_month
        ],
        "assumptions": w._(
            "Assumptions: each household spends %(spent)s of its allowance and pays "
            "%(collected)s of its contribution.",
            spent=w.share_bp(s.run.spent_bp),
            collected=w.share_bp(s.run.collected_bp),
        ),
        "chart_rows": chart_rows(w, result),
        "chart": chart(w, chart_rows(w, result)),
    }


def chart_names(w: Words) -> tuple[str, str, str, str]:
    return (w._("Money in"), w._("Money out"), w._("Balance"), w._("Forecast"))


def chart(w: Words, rows: list[ChartRow]) -> Markup:
    return money_chart(
        rows,
        title=w._("Money in and out per month"),
        description=w._(
            "Bars: money in and out each month; line: the balance. "
            "The table gives the same figures."
        ),
        names=chart_names(w),
        money=w.money,
        element_id="council-chart",
    )


# -- HTML -------------------------------------------------------------------------------


def report_html(result: Result, language: str, *, stylesheet_href: str | None = None) -> str:
    """The report as a whole HTML document (its stylesheet inline unless linked)."""
    values = facts(result, language)
    css = None if stylesheet_href else Markup(STYLESHEET.read_text(encoding="utf-8"))
    return (
        environment(language)
        .get_template("admin/council_report.html")
        .render(c=values, lang=language, css=css, stylesheet=stylesheet_href)
    )


# -- PDF --------------------------------------------------------------------------------


class _Pdf:
    """fpdf2 with DejaVu Sans when it is installed (then every character prints)."""

    def __init__(self, created: datetime, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.creation_date = created
        self.unicode = all((FONT_DIR / f).is_file() for f in FONT_FILES.values())
        if self.unicode:
            for style, name in FONT_FILES.items():
                self.pdf.add_font("DejaVu", style, str(FONT_DIR / name))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.pdf.set_title(self.text(title))
        self.pdf.set_auto_page_break(auto=True, margin=12)
        self.pdf.set_margins(14, 12, 14)
        self.pdf.add_page()

    def text(self, value: str) -> str:
        return value if self.unicode else latin1(value)

    def font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(self.family, style, size)

    def line(self, value: str, size: float = 9, style: str = "", gap: float = 0) -> None:
        self.font(size, style)
        self.pdf.multi_cell(
            0, size * 0.47, self.text(value), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        if gap:
            self.pdf.ln(gap)

    def colour(self, hex_colour: str, *, fill: bool = True) -> None:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        if fill:
            self.pdf.set_fill_color(*rgb)
        else:
            self.pdf.set_draw_color(*rgb)


def _pdf_chart(doc: _Pdf, w: Words, rows: list[ChartRow], height: float = 62) -> None:
    pdf = doc.pdf
    left, width = pdf.l_margin + 22, pdf.w - pdf.l_margin - pdf.r_margin - 22
    top = pdf.get_y() + 2
    bottom_v, top_v, step = axis(rows)

    def y(cents: int) -> float:
        return top + height * (top_v - cents) / (top_v - bottom_v)

    doc.font(6.5)
    value = bottom_v
    while value <= top_v:
        doc.colour(INK if value == 0 else "#d5dae2", fill=False)
        pdf.set_line_width(0.35 if value == 0 else 0.15)
        pdf.line(left, y(value), left + width, y(value))
        pdf.set_xy(pdf.l_margin, y(value) - 1.5)
        pdf.cell(21, 3, doc.text(w.money(value)), align="R")
        value += step
    slot = width / max(len(rows), 1)
    bar = max(min(3.2, slot / 2.6), 0.15)
    every = max(1, -(-len(rows) // 12))
    zero = y(0)
    points = []
    for n, r in enumerate(rows):
        x0 = left + slot * n + slot / 2 - bar - 0.2
        for k, (cents, colour) in enumerate(((r.in_cents, IN_COLOUR), (r.out_cents, OUT_COLOUR))):
            doc.colour(colour)
            top_y, h = (y(cents), zero - y(cents)) if cents >= 0 else (zero, y(cents) - zero)
            if h > 0:
                pdf.rect(x0 + k * (bar + 0.4), top_y, bar, h, style="F")
        points.append((left + slot * n + slot / 2, y(r.balance_cents)))
        if n % every == 0:
            pdf.set_xy(left + slot * n + slot / 2 - 8, top + height + 1)
            pdf.cell(16, 3, doc.text(r.label), align="C")
    doc.colour(LINE, fill=False)
    pdf.set_line_width(0.5)
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        pdf.line(x1, y1, x2, y2)
    legend_y = top + height + 6
    x = left
    for name, colour in zip(chart_names(w)[:2], (IN_COLOUR, OUT_COLOUR), strict=True):
        doc.colour(colour)
        pdf.rect(x, legend_y, 3, 3, style="F")
        pdf.set_xy(x + 4, legend_y)
        pdf.cell(40, 3, doc.text(name))
        x += 45
    pdf.line(x, legend_y + 1.5, x + 5, legend_y + 1.5)
    pdf.set_xy(x + 6, legend_y)
    pdf.cell(40, 3, doc.text(chart_names(w)[2]))
    pdf.set_xy(pdf.l_margin, legend_y + 5)


def report_pdf(result: Result, language: str, *, created: datetime) -> bytes:
    """The report as an A4 PDF; ``created`` is its creation date."""
    f = facts(result, language)
    w: Words = f["w"]
    doc = _Pdf(created, f"{f['heading']} {f['title']}".strip())
    pdf = doc.pdf
    doc.line(f["heading"] + (f" — {f['title']}" if f["title"] else ""), 15, "B", 1)
    doc.line(f"{f['span']} · {f['fund']}", 9, "", 2)
    cell = (pdf.w - pdf.l_margin - pdf.r_margin) / len(f["figures"])
    top = pdf.get_y()
    for k, (label, value) in enumerate(f["figures"]):
        pdf.set_xy(pdf.l_margin + k * cell, top)
        doc.font(7.5)
        pdf.multi_cell(cell - 3, 3.4, doc.text(label), align="L")
        pdf.set_xy(pdf.l_margin + k * cell, top + 7)
        doc.font(12, "B")
        pdf.cell(cell - 3, 6, doc.text(value))
    pdf.set_xy(pdf.l_margin, top + 15)
    if f["gap"]:
        doc.line(f["gap"], 8)
    doc.line(f["runway"], 10, "B", 1)
    doc.line(w._("Money in and out per month"), 10, "B")
    _pdf_chart(doc, w, f["chart_rows"])
    pdf.ln(2)
    doc.line(w._("The scenario"), 10, "B", 0.5)
    for title, lines in (
        (w._("Allowance"), f["rules"]),
        (w._("Contributions"), f["schemes"]),
        (w._("Subsidies"), f["subsidies"] or [w._("No subsidy planned.")]),
        (w._("Running costs"), f["costs"] or [w._("None.")]),
    ):
        doc.line(f"{title}: " + "; ".join(lines), 8.5)
    pdf.ln(2)
    doc.line(w._("Who contributes, who receives"), 10, "B", 0.5)
    widths = (52, 18, 28, 28, 28, 28)
    heads = (
        w._("Household"),
        w._("Households"),
        w._("Allowance a month"),
        w._("Contribution a month"),
        w._("Received net"),
        w._("Net for the group"),
    )
    doc.font(6.5, "B")
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 5, doc.text(head), border="B", align="L" if width == 52 else "R")
    pdf.ln()
    doc.font(8)
    for row in f["households"]:
        cells = (row.kind, str(row.count), row.allowance, row.contribution, row.net, row.group_net)
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 4.6, doc.text(value), align="L" if width == 52 else "R")
        pdf.ln()
    pdf.ln(1)
    doc.line(
        w._(
            "Each household, in its first month; net: allowance minus contribution "
            "(negative: it gives more than it receives)."
        ),
        7,
    )
    doc.line(f["assumptions"] + " " + w._("Simulated with ssa-vouchers."), 7)
    return bytes(pdf.output())


__all__ = ["environment", "facts", "report_html", "report_pdf", "runway_sentence"]
