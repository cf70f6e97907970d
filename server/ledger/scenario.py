"""A budget scenario file (TOML) read into a ``simulation.Scenario``, errors naming the line.

The format is described, with a commented example, in docs/simulation.md. The
``[allowance]`` and ``[contributions]`` tables take exactly the keys of the caisse's
``allowance_rules`` and ``contribution_schemes`` (config.json) and are checked by
the same functions (``allowance.parse_rule``, ``contributions.parse_scheme``); each
may be an array of tables (``[[allowance]]``) for versions taking effect later, like
the config's. ``from`` defaults to the run's start.

Pure: the caller reads the file; ``read_scenario`` takes its text. Every refusal is a
``ScenarioError`` whose message names the file, the line and the key.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from server.caisse import allowance, contributions
from server.caisse.allowance import AllowanceError, check_period
from server.caisse.contributions import ContributionError
from server.ledger.simulation import (
    FULL_BP,
    MAX_COUNT,
    MAX_MONEY,
    MAX_MONTHS,
    SCHEDULES,
    Costs,
    Group,
    Run,
    Scenario,
    SimulationError,
    Subsidy,
    add_months,
    simulate,
)

TABLES = {"allowance", "contributions", "households", "subsidies", "costs", "run"}
TOP_KEYS = {"title"}
GROUP_KEYS = {
    "count",
    "adults",
    "children",
    "contribution_cents",
    "declared_income_cents",
    "fixed_costs_cents",
    "cpas",
    "label",
    "from",
    "until",
}
SUBSIDY_KEYS = {"name", "cents_per_year", "cents_once", "from", "until", "schedule"}
COST_KEYS = {"coordination_cents_per_month", "other_cents_per_month", "start_up_cents"}
RUN_KEYS = {"start", "months", "fund_cents", "spent_bp", "collected_bp"}
MAX_TEXT = 100

Where = Callable[[str, int, str | None], int | None]


class ScenarioError(ValueError):
    """The scenario cannot be read or run; ``line`` is where (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None, source: str = "scenario") -> None:
        self.message, self.line, self.source = message, line, source
        where = source if line is None else f"{source}, line {line}"
        super().__init__(f"{where}: {message}")


# -- where each key is ------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')\s*[.=]")


def line_index(text: str) -> Where:
    """A finder of the line of (table, index in its array, key) in TOML ``text``.

    A light reading of the layout, enough to point at a line: table headers, and
    ``key =`` at the start of a line (the first time in each table).
    """
    found: dict[tuple[str, int, str | None], int] = {}
    counts: dict[str, int] = {}
    table, index = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            name = header[2].replace('"', "").replace("'", "").replace(" ", "")
            head, _, sub = name.partition(".")
            if header[1] == "[[" and not sub:
                counts[name] = counts.get(name, 0) + 1
                table, index = name, counts[name] - 1
            elif sub:  # [[contributions.suggestions]]: a key of its parent table
                table, index = head, max(counts.get(head, 1) - 1, 0)
                found.setdefault((table, index, sub.split(".")[0]), number)
                continue
            else:
                table, index = name, 0
            found.setdefault((table, index, None), number)
            continue
        key = _KEY.match(raw)
        if key:
            found.setdefault((table, index, key[1].strip("\"'")), number)
    return lambda t, i, k: found.get((t, i, k)) or found.get((t, i, None))


# -- reading ----------------------------------------------------------------------------


class _Reader:
    def __init__(self, where: Where, source: str) -> None:
        self.where, self.source = where, source

    def fail(self, message: str, table: str, index: int = 0, key: str | None = None) -> Exception:
        return ScenarioError(message, self.where(table, index, key), self.source)

    def engine_error(self, exc: Exception, table: str, index: int, keys: Any) -> Exception:
        """An engine's refusal, pointed at the first key of the table its message names."""
        text = str(exc)
        named = [(text.find(k), k) for k in sorted(keys, key=len, reverse=True) if k in text]
        key = min(named)[1] if named else None
        return self.fail(text, table, index, key)

    def table_name(self, table: str, index: int, many: bool) -> str:
        return f"[[{table}]] {index + 1}" if many else f"[{table}]"

    def known(
        self, doc: Mapping[str, Any], keys: set[str], table: str, index: int, many: bool
    ) -> None:
        unknown = sorted(set(doc) - keys)
        if unknown:
            hint = _hint(table, unknown[0])
            raise self.fail(
                f"{self.table_name(table, index, many)}: unknown key {unknown[0]!r}{hint}; "
                f"the keys are {', '.join(sorted(keys))}",
                table,
                index,
                unknown[0],
            )

    def whole(
        self,
        doc: Mapping[str, Any],
        key: str,
        table: str,
        index: int = 0,
        *,
        default: int | None = 0,
        low: int = 0,
        high: int = MAX_MONEY,
    ) -> int | None:
        value = doc.get(key, default)
        if value is None and default is None:
            return None
        if type(value) is not int or not low <= value <= high:
            raise self.fail(
                f"{key} must be a whole number from {low} to {high}, not {value!r:.40}",
                table,
                index,
                key,
            )
        return value

    def month(self, doc: Mapping[str, Any], key: str, table: str, index: int = 0) -> str | None:
        value = doc.get(key)
        if value is None:
            return None
        try:
            return check_period(value, key)
        except AllowanceError as exc:
            raise self.fail(f'{exc} (in quotes: {key} = "2027-01")', table, index, key) from None

    def text(self, doc: Mapping[str, Any], key: str, table: str, index: int = 0) -> str | None:
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
            raise self.fail(f"{key} is a text of at most {MAX_TEXT} characters", table, index, key)
        return value.strip() or None

    def tables(self, doc: Mapping[str, Any], name: str) -> tuple[list[Mapping[str, Any]], bool]:
        """A table or an array of tables; (items, written as an array)."""
        value = doc.get(name)
        if value is None:
            return [], False
        if isinstance(value, Mapping):
            return [value], False
        if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            return list(value), True
        raise self.fail(f"{name} must be a table ([{name}] or [[{name}]])", name)


def _hint(table: str, key: str) -> str:
    if table == "contributions" and key == "mode":
        return ' (the scheme\'s kind is written kind = "free", as in config.json)'
    if table == "contributions" and key == "floor_cents":
        return " (the floor is floor_household_cents, plus floor_extra_person_cents a person)"
    return ""


def _run(r: _Reader, doc: Mapping[str, Any], months: int | None) -> Run:
    raw = doc.get("run")
    if not isinstance(raw, Mapping):
        raise r.fail('a scenario needs its [run] table with start = "YYYY-MM"', "run")
    r.known(raw, RUN_KEYS, "run", 0, False)
    start = r.month(raw, "start", "run")
    if start is None:
        raise r.fail('[run] needs start = "YYYY-MM", the first month simulated', "run")
    horizon = r.whole(raw, "months", "run", default=12, low=1, high=MAX_MONTHS)
    assert horizon is not None
    return Run(
        start=start,
        months=horizon if months is None else months,
        fund_cents=r.whole(raw, "fund_cents", "run", low=-MAX_MONEY) or 0,
        spent_bp=r.whole(raw, "spent_bp", "run", default=FULL_BP, high=FULL_BP) or 0,
        collected_bp=r.whole(raw, "collected_bp", "run", default=FULL_BP, high=FULL_BP) or 0,
    )


def _versions(
    r: _Reader,
    doc: Mapping[str, Any],
    name: str,
    keys: set[str],
    parse: Callable[[Any], Any],
    error: type[Exception],
    start: str,
) -> tuple[Any, ...]:
    items, many = r.tables(doc, name)
    parsed = []
    for index, item in enumerate(items):
        r.known(item, keys, name, index, many)
        try:
            parsed.append((parse({"from": start, **item}), index))
        except error as exc:
            raise r.engine_error(exc, name, index, keys) from None
    parsed.sort(key=lambda pair: pair[0].from_period)
    for (one, _), (other, index) in itertools.pairwise(parsed):
        if one.from_period == other.from_period:
            raise r.fail(f"two [[{name}]] take effect in {one.from_period}", name, index, "from")
    if parsed and parsed[0][0].from_period > start:
        raise r.fail(
            f"the first [{name}] takes effect in {parsed[0][0].from_period}, after the start "
            f"({start}): a month would have no {name} rule",
            name,
            parsed[0][1],
            "from",
        )
    return tuple(p for p, _ in parsed)


def _groups(r: _Reader, doc: Mapping[str, Any], has_scheme: bool) -> tuple[Group, ...]:
    items, _ = r.tables(doc, "households")
    out = []
    for i, item in enumerate(items):
        r.known(item, GROUP_KEYS, "households", i, True)
        count = r.whole(item, "count", "households", i, default=None, high=MAX_COUNT)
        if count is None:
            raise r.fail("each [[households]] needs its count", "households", i, "count")
        try:
            shape = allowance.check_shape(item.get("adults", 1), item.get("children", 0))
        except AllowanceError as exc:
            key = "children" if "children" in str(exc) else "adults"
            raise r.fail(str(exc), "households", i, key) from None
        cpas = item.get("cpas", False)
        if not isinstance(cpas, bool):
            raise r.fail("cpas must be true or false", "households", i, "cpas")
        chosen = r.whole(item, "contribution_cents", "households", i, default=None)
        income = r.whole(item, "declared_income_cents", "households", i, default=None)
        if not has_scheme:
            for key in ("contribution_cents", "declared_income_cents", "cpas"):
                if key in item:
                    raise r.fail(
                        f"{key} needs a [contributions] scheme (without one, nobody contributes)",
                        "households",
                        i,
                        key,
                    )
        group = Group(
            count=count,
            shape=shape,
            contribution_cents=chosen,
            declared_income_cents=income,
            fixed_costs_cents=r.whole(item, "fixed_costs_cents", "households", i) or 0,
            cpas=cpas,
            label=r.text(item, "label", "households", i),
            from_period=r.month(item, "from", "households", i),
            until=r.month(item, "until", "households", i),
        )
        if group.from_period and group.until and group.until < group.from_period:
            raise r.fail("until is before from", "households", i, "until")
        out.append(group)
    return tuple(out)


def _subsidies(r: _Reader, doc: Mapping[str, Any]) -> tuple[Subsidy, ...]:
    items, many = r.tables(doc, "subsidies")
    out = []
    for i, item in enumerate(items):
        r.known(item, SUBSIDY_KEYS, "subsidies", i, many)
        yearly = r.whole(item, "cents_per_year", "subsidies", i, default=None)
        once = r.whole(item, "cents_once", "subsidies", i, default=None)
        if (yearly is None) == (once is None):
            raise r.fail(
                "a subsidy gives either cents_per_year or cents_once (a one-off grant)",
                "subsidies",
                i,
                "cents_per_year" if yearly is not None else None,
            )
        schedule = item.get("schedule", "monthly")
        if schedule not in SCHEDULES:
            raise r.fail(f"schedule is one of {', '.join(SCHEDULES)}", "subsidies", i, "schedule")
        if once is not None and "schedule" in item:
            raise r.fail("a one-off grant has no schedule", "subsidies", i, "schedule")
        subsidy = Subsidy(
            name=r.text(item, "name", "subsidies", i) or f"subsidy {i + 1}",
            cents_per_year=yearly or 0,
            cents_once=once or 0,
            from_period=r.month(item, "from", "subsidies", i),
            until=r.month(item, "until", "subsidies", i),
            schedule=schedule,
        )
        if subsidy.from_period and subsidy.until and subsidy.until < subsidy.from_period:
            raise r.fail("until is before from", "subsidies", i, "until")
        out.append(subsidy)
    return tuple(out)


def _costs(r: _Reader, doc: Mapping[str, Any]) -> Costs:
    raw = doc.get("costs", {})
    if not isinstance(raw, Mapping):
        raise r.fail("costs must be a table ([costs])", "costs")
    r.known(raw, COST_KEYS, "costs", 0, False)
    return Costs(**{key: r.whole(raw, key, "costs") or 0 for key in sorted(COST_KEYS)})


def parse_document(
    doc: Mapping[str, Any],
    where: Where | None = None,
    source: str = "scenario",
    *,
    months: int | None = None,
) -> Scenario:
    """A scenario from its parsed TOML (or JSON) document; checked by running it once."""
    r = _Reader(where or (lambda t, i, k: None), source)
    for key, value in doc.items():
        if key in TABLES:
            continue
        if key not in TOP_KEYS:
            kind = "table" if isinstance(value, Mapping | list) else "key"
            raise r.fail(f"unknown {kind} {key!r}; the tables are {', '.join(sorted(TABLES))}", key)
    run = _run(r, doc, months)
    if "allowance" not in doc:
        raise r.fail("a scenario needs its [allowance] rule", "allowance")
    rules = _versions(
        r,
        doc,
        "allowance",
        allowance.RULE_FIELDS,
        allowance.parse_rule,
        AllowanceError,
        run.start,
    )
    schemes = _versions(
        r,
        doc,
        "contributions",
        contributions.SCHEME_FIELDS,
        contributions.parse_scheme,
        ContributionError,
        run.start,
    )
    scenario = Scenario(
        rules=rules,
        run=run,
        schemes=schemes,
        groups=_groups(r, doc, bool(schemes)),
        subsidies=_subsidies(r, doc),
        costs=_costs(r, doc),
        title=r.text(doc, "title", ""),
    )
    check(scenario, r)
    return scenario


def check(scenario: Scenario, reader: _Reader | None = None) -> None:
    """Run the scenario once: a household whose amount the scheme refuses is named."""
    r = reader or _Reader(lambda t, i, k: None, "scenario")
    try:
        simulate(scenario)
    except SimulationError as exc:
        match = re.match(r"households group (\d+), (\d{4}-\d\d): (.*)", str(exc))
        if not match:
            raise ScenarioError(str(exc), None, r.source) from None
        index = int(match[1]) - 1
        group = scenario.groups[index]
        key = (
            "contribution_cents"
            if group.contribution_cents is not None
            else "declared_income_cents"
        )
        message = f"[[households]] {index + 1} in {match[2]}: {match[3]}"
        raise r.fail(message, "households", index, key) from None


_TOML_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_scenario(text: str, source: str = "scenario", *, months: int | None = None) -> Scenario:
    """The scenario in TOML ``text`` (``source`` names it in errors); ``months`` replaces
    the run's horizon (``--solve allowance --months N``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_LINE.search(message)
        if found:
            where = _TOML_LINE.sub("", message)
            raise ScenarioError(
                f"not valid TOML: {where} (column {found[2]})", int(found[1]), source
            ) from None
        raise ScenarioError(f"not valid TOML: {message}", None, source) from None
    if months is not None and not 1 <= months <= MAX_MONTHS:
        raise ScenarioError(f"--months must be 1 to {MAX_MONTHS}", None, source)
    return parse_document(doc, line_index(text), source, months=months)


def parse_subsidies(items: Any, source: str) -> tuple[Subsidy, ...]:
    """``[[subsidies]]`` given as a JSON list (config.json's budget)."""
    return _subsidies(_Reader(lambda t, i, k: None, source), {"subsidies": items or []})


def parse_costs(document: Any, source: str) -> Costs:
    """``[costs]`` given as a JSON object (config.json's budget)."""
    return _costs(_Reader(lambda t, i, k: None, source), {"costs": document or {}})


# -- writing ----------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[\n" + "".join(f"  {_toml(v)},\n" for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _bands(bands: Any) -> list[dict[str, int]]:
    return [
        {"cents": b.cents}
        if b.up_to_income_cents is None
        else {"up_to_income_cents": b.up_to_income_cents, "cents": b.cents}
        for b in bands
    ]


def scenario_toml(scenario: Scenario, comment: str | None = None) -> str:
    """The scenario as a file ``read_scenario`` reads back to the same scenario."""
    lines = [f"# {line}" for line in (comment or "").splitlines()]
    if scenario.title:
        lines.append(f"title = {_toml(scenario.title)}")

    def table(name: str, items: Mapping[str, Any], many: bool = True) -> None:
        lines.extend(["", f"[[{name}]]" if many else f"[{name}]"])
        lines.extend(f"{k} = {_toml(v)}" for k, v in items.items() if v is not None)

    for rule in scenario.rules:
        table("allowance", {**rule.to_json(), "from": rule.from_period})
    for scheme in scenario.schemes:
        table(
            "contributions",
            {
                "from": scheme.from_period,
                "kind": scheme.kind,
                "floor_household_cents": scheme.floor_household_cents,
                "floor_extra_person_cents": scheme.floor_extra_person_cents,
                "suggestions": _bands(scheme.suggestions) or None,
                "rate_bp": scheme.rate_bp or None,
                "per_consumption_unit": scheme.per_consumption_unit or None,
                "cap_cents": scheme.cap_cents,
                "brackets": _bands(scheme.brackets) or None,
                "cpas_cents": scheme.cpas_cents,
            },
        )
    for group in scenario.groups:
        table(
            "households",
            {
                "label": group.label,
                "count": group.count,
                "adults": group.shape.adults,
                "children": group.shape.children,
                "contribution_cents": group.contribution_cents,
                "declared_income_cents": group.declared_income_cents,
                "fixed_costs_cents": group.fixed_costs_cents or None,
                "cpas": group.cpas or None,
                "from": group.from_period,
                "until": group.until,
            },
        )
    for subsidy in scenario.subsidies:
        table(
            "subsidies",
            {
                "name": subsidy.name,
                "cents_per_year": subsidy.cents_per_year if not subsidy.cents_once else None,
                "cents_once": subsidy.cents_once or None,
                "from": subsidy.from_period,
                "until": subsidy.until,
                "schedule": None if subsidy.cents_once else subsidy.schedule,
            },
        )
    costs = scenario.costs
    table(
        "costs",
        {
            "coordination_cents_per_month": costs.coordination_cents_per_month,
            "other_cents_per_month": costs.other_cents_per_month,
            "start_up_cents": costs.start_up_cents,
        },
        many=False,
    )
    run = scenario.run
    table(
        "run",
        {
            "start": run.start,
            "months": run.months,
            "fund_cents": run.fund_cents,
            "spent_bp": run.spent_bp,
            "collected_bp": run.collected_bp,
        },
        many=False,
    )
    return "\n".join(lines).lstrip("\n") + "\n"


def with_months(scenario: Scenario, months: int) -> Scenario:
    return replace(scenario, run=replace(scenario.run, months=months))


__all__ = [
    "ScenarioError",
    "add_months",
    "check",
    "line_index",
    "parse_costs",
    "parse_document",
    "parse_subsidies",
    "read_scenario",
    "scenario_toml",
    "with_months",
]
