"""Planning (admins): the fund's runway at the current pace, and scenarios for a council.

The runway is ``server.ledger.runway`` as it is: the months recorded and the budget
engine's forecast from this month on, a sentence ("au rythme actuel, le fonds tient
jusqu'en mars 2028"), a chart of money in and out with the balance, and a warning
when the money runs out within the caisse's ``budget.warning_months``. Below, the
caisse written as a scenario (TOML) that an alderman may change and simulate; the
result is the council report (``server.console.council``), on the page or as a file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from starlette.responses import Response

from server.console import council
from server.console.call import Call, problem
from server.console.i18n import LANGUAGES, NAMES
from server.console.planning_chart import ChartRow, money_chart
from server.ledger import runway as runway_mod
from server.ledger.runway import Runway, RunwayError
from server.ledger.scenario import ScenarioError, read_scenario, scenario_toml
from server.ledger.simulation import Result, SimulationError, simulate
from server.periods import period_at

MAX_SCENARIO = 100_000  # characters of TOML: hundreds of household groups


def runway_sentence(call: Call, r: Runway) -> str:
    fmt = call.site.pages.formats[call.language]
    if r.runway_months is None:
        last = r.forecast.per_month[-1].period
        return call._(
            "At the current pace, the fund lasts beyond %(month)s.", month=fmt.month(last)
        )
    if r.runway_months == 0:
        return call._(
            "At the current pace, the fund is short from %(month)s.", month=fmt.month(r.period)
        )
    assert r.lasts_until is not None
    return call._(
        "At the current pace, the fund lasts until %(month)s.", month=fmt.month(r.lasts_until)
    )


def _rows(call: Call, r: Runway) -> list[ChartRow]:
    words = council.Words(call.language)
    rows = [
        ChartRow(words.short_month(a.period), a.in_cents, a.payouts_cents, a.balance_cents)
        for a in r.history
    ]
    rows += [
        ChartRow(words.short_month(m.period), m.in_cents, m.out_cents, m.balance_cents, True)
        for m in r.forecast.per_month
    ]
    return rows


def _this_month(call: Call) -> str:
    return period_at(call.now(), ZoneInfo(call.ctx.config.timezone)).name


async def _runway(call: Call) -> Runway:
    async with call.ctx.storage.read() as q:
        return await runway_mod.runway(q, call.ctx.config, _this_month(call))


def _comment(call: Call) -> str:
    return call._(
        "The caisse as it is this month: change the figures, then simulate. "
        "The keys are explained in docs/simulation.md."
    )


async def _page(
    call: Call,
    *,
    scenario_text: str | None = None,
    error: str = "",
    simulated: Result | None = None,
    report_lang: str | None = None,
    status: int = 200,
) -> Response:
    fmt = call.site.pages.formats[call.language]
    try:
        r = await _runway(call)
    except RunwayError as exc:
        return problem(call, 500, str(exc))
    rows = _rows(call, r)
    chart = money_chart(
        rows,
        title=call._("Money in and out per month"),
        description=call._(
            "Bars: money in and out each month, the forecast on a grey band; line: the "
            "balance. The table below gives the same figures."
        ),
        names=(call._("Money in"), call._("Money out"), call._("Balance"), call._("Forecast")),
        money=fmt.money,
    )
    first = r.forecast.per_month[0] if r.forecast.per_month else None
    if scenario_text is None:
        scenario_text = scenario_toml(r.forecast.scenario, _comment(call))
    return call.render(
        "planning.html",
        {
            "r": r,
            "sentence": runway_sentence(call, r),
            "chart": chart,
            "table": [
                (fmt.month(a.period), a.in_cents, a.payouts_cents, a.balance_cents, False)
                for a in r.history
            ]
            + [
                (fmt.month(m.period), m.in_cents, m.out_cents, m.balance_cents, True)
                for m in r.forecast.per_month
            ],
            "households": sum(g.count for g in r.forecast.scenario.groups),
            "first": first,
            "coverage": council.Words(call.language).percent(r.forecast.coverage),
            "scenario_text": scenario_text,
            "error": error,
            # on the page in the page's language; the files in the one chosen
            "simulated": None if simulated is None else council.facts(simulated, call.language),
            "report_lang": report_lang or call.language,
            "report_languages": LANGUAGES,
            "language_names": NAMES,
            "council_share": council.Words(call.language).share_bp,
        },
        status=status,
    )


async def dashboard_warning(call: Call) -> str | None:
    """The runway's sentence when the money runs out within the caisse's threshold (for the
    dashboard); None otherwise, or when the budget settings cannot be read (the planning
    page says why)."""
    try:
        r = await _runway(call)
    except RunwayError:
        return None
    return runway_sentence(call, r) if r.warning else None


async def planning(call: Call) -> Response:
    return await _page(call)


def _read(call: Call) -> tuple[str, Result | None, str]:
    """(the scenario's text, its result or None, the error in the page's words)."""
    text = call.field("scenario", MAX_SCENARIO + 1)
    if not text:
        return text, None, call._("Paste a scenario (TOML) to simulate.")
    if len(text) > MAX_SCENARIO:
        return text[:MAX_SCENARIO], None, call._("This scenario is too long.")
    try:
        return text, simulate(read_scenario(text, "scenario")), ""
    except (ScenarioError, SimulationError) as exc:
        return text, None, str(exc)


def _language(call: Call) -> str:
    wanted = call.field("report_lang", 5)
    return wanted if wanted in LANGUAGES else call.language


async def simulate_scenario(call: Call) -> Response:
    text, result, error = _read(call)
    language = _language(call)
    if result is None:
        return await _page(call, scenario_text=text, error=error, report_lang=language, status=400)
    return await _page(call, scenario_text=text, simulated=result, report_lang=language)


async def report(call: Call) -> Response:
    text, result, error = _read(call)
    language = _language(call)
    if result is None:
        return await _page(call, scenario_text=text, error=error, report_lang=language, status=400)
    if call.field("format", 10) == "pdf":
        created = datetime.fromtimestamp(call.now(), UTC)
        body = council.report_pdf(result, language, created=created)
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="budget-{language}.pdf"'},
        )
    html = council.report_html(
        result, language, stylesheet_href=call.url("admin_static", path="/council.css")
    )
    return Response(html, media_type="text/html; charset=utf-8")
