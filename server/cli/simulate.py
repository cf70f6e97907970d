"""``ssa-admin simulate SCENARIO.toml``: a pilot's budget month by month (registered by ``admin``).

Needs no caisse: the scenario file says everything (docs/simulation.md). A readable
table by default, one JSON object with ``--json``; ``--solve subsidy`` and
``--solve allowance [--months N]`` answer a council's two questions, ``--compare``
puts a second scenario beside the first, ``--report FILE.html|FILE.pdf`` writes the
one-page report for a council (``--lang fr|nl|en``). Exit status: 0 done, 1 the
scenario is refused (the message names the line), 2 usage error.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.cli.output import now, out, say
from server.ledger import simulation
from server.ledger.scenario import ScenarioError, read_scenario
from server.ledger.simulation import Result, Scenario, SimulationError

ERRORS = (ScenarioError, SimulationError)
LANGUAGES = ("fr", "nl", "en")


def eur(cents: int | None) -> str:
    """12345678 → '123 456.78' (a narrow, unambiguous table figure)."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole = f"{abs(cents) // 100:,}".replace(",", " ")
    return f"{sign}{whole}.{abs(cents) % 100:02d}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _load(path: str, months: int | None = None) -> Scenario:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("not UTF-8 text", None, path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot be read: {exc.strerror or exc}", None, path) from None
    return read_scenario(text, Path(path).name, months=months)


# -- the readable table -----------------------------------------------------------------

COLUMNS = ("period", "allowances", "contributions", "subsidies", "costs", "balance")


def _grid(rows: list[list[str]], left: int = 1) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[c]) if c < left else cell.rjust(widths[c])
            for c, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def runway_sentence(result: Result) -> str:
    if result.runway_months is None:
        return (
            f"the balance stays at or above zero for the {len(result.per_month)} months "
            f"(lowest {eur(result.lowest_balance_cents)} EUR)"
        )
    if result.runway_months == 0:
        return f"the balance is below zero from the first month ({result.runs_out_in})"
    return (
        f"the money lasts {result.runway_months} months, until {result.lasts_until}; "
        f"below zero in {result.runs_out_in}"
    )


def table(result: Result) -> str:
    s = result.scenario
    lines = [
        f"{s.title or 'Scenario'}: {s.run.start}, {s.run.months} months, "
        f"fund {eur(s.run.fund_cents)} EUR (amounts in EUR)",
        "",
    ]
    rows = [list(COLUMNS)]
    for m in result.per_month:
        rows.append(
            [
                m.period,
                eur(m.allowances_cents),
                eur(m.contributions_cents),
                eur(m.subsidies_cents),
                eur(m.costs_cents),
                eur(m.balance_cents),
            ]
        )
    rows.append(
        [
            "total",
            eur(result.total("allowances_cents")),
            eur(result.total("contributions_cents")),
            eur(result.total("subsidies_cents")),
            eur(result.total("costs_cents")),
            eur(result.net_cents),
        ]
    )
    lines += _grid(rows)
    lines += [
        "",
        f"coverage (contributions / allowances): {percent(result.coverage)}",
        f"subsidy needed: {eur(result.subsidy_needed_cents_per_year)} EUR a year "
        f"(on top of the subsidies listed: {eur(result.subsidy_gap_cents_per_year)})",
        f"runway: {runway_sentence(result)}",
        "",
        "by household (each, a month):",
    ]
    groups = [["household", "count", "allowance", "contribution", "net received"]]
    for g in result.by_household:
        shape = f"{g.adults} adult{'s' if g.adults > 1 else ''}"
        if g.children:
            shape += f", {g.children} child{'ren' if g.children > 1 else ''}"
        if g.label:
            shape = f"{g.label} ({shape})"
        groups.append(
            [
                shape,
                str(g.count),
                eur(g.allowance_cents),
                eur(g.contribution_cents),
                eur(g.net_transfer_cents),
            ]
        )
    lines += _grid(groups) if len(groups) > 1 else ["(no household)"]
    return "\n".join(lines)


HEADLINES = (
    ("allowances a month", lambda r: _average(r, "allowances_cents"), eur),
    ("contributions a month", lambda r: _average(r, "contributions_cents"), eur),
    ("subsidies a month", lambda r: _average(r, "subsidies_cents"), eur),
    ("total allowances", lambda r: r.total("allowances_cents"), eur),
    ("total contributions", lambda r: r.total("contributions_cents"), eur),
    ("total subsidies", lambda r: r.total("subsidies_cents"), eur),
    ("total costs", lambda r: r.total("costs_cents"), eur),
    ("net", lambda r: r.net_cents, eur),
    ("subsidy needed a year", lambda r: r.subsidy_needed_cents_per_year, eur),
    ("runway (months)", lambda r: r.runway_months, lambda v: "never out" if v is None else str(v)),
)


def _average(result: Result, name: str) -> int:
    return result.total(name) // max(len(result.per_month), 1)


def compare_table(names: list[str], results: list[Result]) -> str:
    rows = [["", *names, "difference"]]
    for label, get, show in HEADLINES:
        a, b = get(results[0]), get(results[1])
        diff = "" if a is None or b is None else show(b - a) if show is eur else str(b - a)
        rows.append([label, show(a), show(b), diff])
    cov = [percent(r.coverage) for r in results]
    rows.append(["coverage", *cov, ""])
    return "\n".join(_grid(rows))


# -- the command ------------------------------------------------------------------------


def compare_json(names: list[str], results: list[Result]) -> dict[str, Any]:
    docs = [{"source": n, **r.to_json()} for n, r in zip(names, results, strict=True)]
    difference = {key: docs[1]["totals"][key] - docs[0]["totals"][key] for key in docs[0]["totals"]}
    difference["subsidy_needed_cents_per_year"] = (
        docs[1]["subsidy_needed_cents_per_year"] - docs[0]["subsidy_needed_cents_per_year"]
    )
    return {"compare": docs, "difference": difference}


async def cmd_simulate(args: argparse.Namespace) -> int:
    if args.compare and (args.solve or args.report):
        say("ssa-admin simulate: --compare shows two scenarios; --solve and --report take one")
        return 2
    scenario = _load(args.scenario, args.months)
    if args.compare:
        other = _load(args.compare, args.months)
        names = [Path(args.scenario).name, Path(args.compare).name]
        results = [simulation.simulate(scenario), simulation.simulate(other)]
        if args.json:
            out(compare_json(names, results))
        else:
            print(compare_table(names, results))
        return 0
    if args.solve == "subsidy":
        return _solve_subsidy(args, scenario)
    if args.solve == "allowance":
        return _solve_allowance(args, scenario)
    result = simulation.simulate(scenario)
    if args.report:
        _write_report(args, result)
    if args.json:
        out(result.to_json())
    elif not args.report:
        print(table(result))
    return 0


def _solve_subsidy(args: argparse.Namespace, scenario: Scenario) -> int:
    first = simulation.simulate(scenario)
    gap = first.subsidy_gap_cents_per_year
    checked = simulation.simulate(simulation.with_subsidy(scenario, gap, replace_listed=False))
    answer = {
        "solve": "subsidy",
        "subsidy_needed_cents_per_year": first.subsidy_needed_cents_per_year,
        "subsidy_gap_cents_per_year": gap,
        "result": checked.to_json(),
    }
    if args.json:
        out(answer)
        return 0
    print(
        f"yearly subsidy that keeps the balance at or above zero for {scenario.run.months} "
        f"months: {eur(first.subsidy_needed_cents_per_year)} EUR alone, or "
        f"{eur(gap)} EUR on top of the subsidies listed (spread monthly from "
        f"{scenario.run.start}). With it:\n"
    )
    print(table(checked))
    return 0


def _solve_allowance(args: argparse.Namespace, scenario: Scenario) -> int:
    answer = simulation.solve_allowance(scenario, args.months)
    if args.json:
        out({"solve": "allowance", **answer.to_json()})
        return 0 if answer.scale_ppm is not None else 1
    if answer.scale_ppm is None:
        say(
            f"no allowance lasts {answer.months} months: even with one cent a household "
            "the costs are more than the money in"
        )
        return 1
    rules = ", ".join(
        f"from {r.from_period}: first adult {eur(r.first_adult_cents)}, "
        f"other adult {eur(r.extra_adult_cents)}, child {eur(r.child_cents)}"
        + ("" if r.max_household_cents is None else f", at most {eur(r.max_household_cents)}")
        for r in answer.rules
    )
    limit = "" if answer.bounded else " (the engine's maximum: money is not what limits it)"
    print(
        f"largest allowance lasting {answer.months} months: x{answer.scale_ppm / 1e6:.6f} "
        f"of the rules{limit} -> {rules} EUR. With it:\n"
    )
    assert answer.result is not None
    print(table(answer.result))
    return 0


def _write_report(args: argparse.Namespace, result: Result) -> None:
    from server.console import council

    path = Path(args.report)
    if path.suffix.lower() == ".pdf":
        created = datetime.fromtimestamp(now(), UTC)
        path.write_bytes(council.report_pdf(result, args.lang, created=created))
    else:
        path.write_text(council.report_html(result, args.lang), encoding="utf-8")
    say(f"report written to {path} ({args.lang})")


def add_commands(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(
        "simulate",
        help="a pilot's budget month by month, from a scenario file (no caisse needed)",
    )
    sim.add_argument("scenario", help="the scenario, a TOML file (docs/simulation.md)")
    sim.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    sim.add_argument(
        "--solve",
        choices=("subsidy", "allowance"),
        help="subsidy: the yearly subsidy that keeps the balance at or above zero; "
        "allowance: the largest scaling of the allowance that lasts --months",
    )
    sim.add_argument("--months", type=int, help="the horizon, instead of the scenario's")
    sim.add_argument("--compare", metavar="OTHER.toml", help="a second scenario, side by side")
    sim.add_argument("--report", metavar="FILE", help="write the council report (.html or .pdf)")
    sim.add_argument("--lang", choices=LANGUAGES, default="fr", help="the report's language")
    sim.set_defaults(run=cmd_simulate, needs_caisse=False, needs_data=False)


__all__ = ["ERRORS", "add_commands", "compare_table", "table"]
