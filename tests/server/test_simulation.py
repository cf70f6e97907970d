"""Budget simulation: hand-computed scenarios, the council's answers re-simulated, the CLI,
and scenario shapes from hypothesis (a refusal names its line, never a traceback)."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.cli.admin import main
from server.ledger import simulation
from server.ledger.scenario import ScenarioError, read_scenario, scenario_toml, with_months
from server.ledger.simulation import (
    Subsidy,
    add_months,
    scale_rules,
    simulate,
    subsidy_in,
    with_subsidy,
)

GRENOBLE_RULE = """
[allowance]
first_adult_cents = 10000
extra_adult_cents = 5000
child_cents = 5000
max_household_cents = 20000
"""

# Grenoble's first quarter: 26 one-person, 9 two-person, 2 three-or-more-person
# households at 100 / 150 / 200 €, contributing a quarter of their allowance.
GRENOBLE = (
    GRENOBLE_RULE
    + """
[contributions]
kind = "free"
floor_household_cents = 100

[[households]]
count = 26
adults = 1
contribution_cents = 2500

[[households]]
count = 9
adults = 1
children = 1
contribution_cents = 3750

[[households]]
count = 2
adults = 2
children = 1
contribution_cents = 5000

[run]
start = "2027-01"
months = 3
"""
)


def run(text: str, **kw) -> simulation.Result:
    return simulate(read_scenario(textwrap.dedent(text), "test.toml", **kw))


def scenario(body: str, run_table: str = 'start = "2027-01"\nmonths = 12') -> str:
    return GRENOBLE_RULE + textwrap.dedent(body) + f"\n[run]\n{run_table}\n"


# -- the worked example and hand-computed scenarios --------------------------------------


def test_grenoble_first_quarter():
    result = run(GRENOBLE)
    for month in result.per_month:
        assert month.allowances_cents == 26 * 10000 + 9 * 15000 + 2 * 20000 == 435_000
        assert month.contributions_cents == 108_750  # a quarter
        assert month.households == 37
    assert [m.balance_cents for m in result.per_month] == [-326_250, -652_500, -978_750]
    assert result.coverage == 0.25
    # about 3,260 € a month: exactly 3,262.50 € × 12
    assert result.subsidy_needed_cents_per_year == 326_250 * 12
    assert result.runway_months == 0 and result.runs_out_in == "2027-01"
    assert result.lasts_until is None
    lines = [(g.adults, g.children, g.count, g.allowance_cents, g.net_transfer_cents)
             for g in result.by_household]  # fmt: skip
    assert lines == [(1, 0, 26, 10000, 7500), (1, 1, 9, 15000, 11250), (2, 1, 2, 20000, 15000)]
    doc = result.to_json()
    assert doc["totals"] == {
        "allowances_cents": 1_305_000,
        "contributions_cents": 326_250,
        "subsidies_cents": 0,
        "costs_cents": 0,
        "net_cents": -978_750,
    }
    assert set(doc["per_month"][0]) >= {
        "period", "allowances_cents", "contributions_cents", "subsidies_cents",
        "costs_cents", "balance_cents",
    }  # fmt: skip
    assert set(doc["by_household"][0]) >= {
        "adults", "children", "count", "allowance_cents", "contribution_cents",
        "net_transfer_cents",
    }  # fmt: skip


def test_the_subsidy_needed_covers_the_example_exactly():
    base = read_scenario(GRENOBLE, "g.toml")
    need = simulate(base).subsidy_needed_cents_per_year
    covered = simulate(with_subsidy(base, need, replace_listed=True))
    assert [m.balance_cents for m in covered.per_month] == [0, 0, 0]
    assert covered.runway_months is None
    short = simulate(with_subsidy(base, need - 1, replace_listed=True))
    assert short.runway_months == 0


def test_the_cap_is_reached():
    result = run(
        scenario(
            """
            [[households]]
            count = 3
            adults = 3
            children = 2
            """
        )
    )
    # 100 + 2 × 50 + 2 × 50 = 300 € capped at 200 €
    assert result.by_household[0].allowance_cents == 20000
    assert result.per_month[0].allowances_cents == 60000


def test_odd_cents_add_up_exactly():
    result = run(
        scenario(
            """
            [[households]]
            count = 3
            adults = 1

            [[subsidies]]
            name = "Ville"
            cents_per_year = 100001

            [[subsidies]]
            name = "CPAS"
            cents_per_year = 7
            schedule = "quarterly"
            """,
            'start = "2027-01"\nmonths = 24\nspent_bp = 3333',
        )
    )
    ville = [subsidy_in(Subsidy("Ville", 100001), m.period, "2027-01") for m in result.per_month]
    assert sum(ville[:12]) == sum(ville[12:]) == 100001
    assert set(ville) == {8333, 8334}
    assert sorted(ville[:12]).count(8334) == 5  # 100001 = 12 × 8333 + 5
    cpas = [subsidy_in(Subsidy("CPAS", 7, schedule="quarterly"), p, "2027-01")
            for p in (m.period for m in result.per_month)]  # fmt: skip
    assert sum(cpas[:12]) == 7 and [c for c in cpas[:12] if c] == [1, 2, 2, 2]
    assert [i for i, c in enumerate(cpas[:12]) if c] == [0, 3, 6, 9]
    # 3 × 100 € spent at 33.33 %: 9999 cents, rounded down to the cent each month
    assert {m.allowances_cents for m in result.per_month} == {30000 * 3333 // 10000} == {9999}
    assert result.total("subsidies_cents") == 2 * 100001 + 2 * 7


def test_a_subsidy_starting_mid_year():
    result = run(
        scenario(
            """
            [[households]]
            count = 1

            [[subsidies]]
            name = "Région"
            cents_per_year = 120000
            from = "2027-07"

            [[subsidies]]
            name = "Fondation"
            cents_once = 50000
            from = "2027-03"

            [[subsidies]]
            name = "Ville"
            cents_per_year = 24000
            schedule = "yearly"
            until = "2027-06"
            """
        )
    )
    region = [m.subsidies_cents for m in result.per_month]
    assert region == [12000, 0, 50000, 0, 0, 0] + [10000] * 6
    assert result.total("subsidies_cents") == 60000 + 50000 + 12000  # half a year of Ville
    assert [m.balance_cents for m in result.per_month][:3] == [2000, -8000, 32000]


def test_a_fund_that_runs_out_in_month_seven():
    result = run(
        scenario(
            """
            [[households]]
            count = 9
            adults = 1

            [costs]
            coordination_cents_per_month = 10000
            """,
            'start = "2027-01"\nmonths = 12\nfund_cents = 600000',
        )
    )
    assert [m.balance_cents for m in result.per_month][5:8] == [0, -100000, -200000]
    assert result.runway_months == 6
    assert (result.lasts_until, result.runs_out_in) == ("2027-06", "2027-07")
    assert result.per_month[0].costs_cents == 10000
    assert result.lowest_balance_cents == -600000


def test_households_joining_later_and_a_rule_cut_mid_run():
    # Strasbourg: 150 € then 100 € to last longer; a second wave of households from April.
    result = run(
        """
        [[allowance]]
        first_adult_cents = 15000
        extra_adult_cents = 7500
        child_cents = 7500

        [[allowance]]
        from = "2027-03"
        first_adult_cents = 10000
        extra_adult_cents = 5000
        child_cents = 5000

        [[households]]
        count = 10

        [[households]]
        count = 5
        adults = 2
        from = "2027-04"
        until = "2027-05"

        [costs]
        start_up_cents = 30000

        [run]
        start = "2027-01"
        months = 6
        """
    )
    assert [m.allowances_cents for m in result.per_month] == [
        150000, 150000, 100000, 175000, 175000, 100000,
    ]  # fmt: skip
    assert [m.costs_cents for m in result.per_month] == [30000, 0, 0, 0, 0, 0]
    assert result.by_household[1].months == 2 and result.by_household[1].allowance_cents == 15000


def test_proportional_and_brackets_schemes_take_the_declared_income():
    result = run(
        scenario(
            """
            [[contributions]]
            kind = "proportional"
            rate_bp = 500
            floor_household_cents = 1000
            cap_cents = 8000

            [[contributions]]
            from = "2027-02"
            kind = "brackets"
            brackets = [
              { up_to_income_cents = 150000, cents = 1500 },
              { cents = 6000 },
            ]

            [[households]]
            count = 2
            declared_income_cents = 120000

            [[households]]
            count = 1
            cpas = true
            """,
            'start = "2027-01"\nmonths = 2',
        )
    )
    # 5 % of 1,200 € = 60 €; the CPAS household owes its floor (10 €, then 0: no floor)
    assert [m.contributions_cents for m in result.per_month] == [2 * 6000 + 1000, 2 * 1500]


def test_collected_share_and_an_empty_group():
    result = run(
        scenario(
            """
            [contributions]
            kind = "free"

            [[households]]
            count = 0
            contribution_cents = 100

            [[households]]
            count = 3
            contribution_cents = 333
            """,
            'start = "2027-12"\nmonths = 2\ncollected_bp = 5000',
        )
    )
    assert [m.period for m in result.per_month] == ["2027-12", "2028-01"]
    assert result.per_month[0].contributions_cents == 999 // 2
    assert result.per_month[0].households == 3


# -- refusals name the line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("count = 9", "count = -9"), 18, "count must be a whole number from 0"),
        (("contribution_cents = 3750", "contribution_cents = 50"), 21, "below this household"),
        (('kind = "free"', 'mode = "free"'), 9, "unknown key 'mode'"),
        (("child_cents = 5000", "child_cent = 5000"), 5, "unknown key 'child_cent'"),
        (('start = "2027-01"', 'start = "2027-1"'), 30, "start must be a month"),
        (('start = "2027-01"', "start = 2027-01"), 30, "not valid TOML"),
        (("adults = 2", "adults = 0"), 25, "1 to 30 adults"),
        (("max_household_cents = 20000", "max_household_cents = 100"), 6, "at least first_adult"),
        (("months = 3", "months = 0"), 31, "months must be a whole number from 1"),
        (("[run]", "[runs]"), 29, "unknown table 'runs'"),
    ],
)
def test_a_wrong_scenario_names_its_line(change, line, words):
    text = GRENOBLE.replace(*change, 1)
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "g.toml")
    assert caught.value.line == line, str(caught.value)
    assert words in caught.value.message
    assert str(caught.value).startswith(f"g.toml, line {line}: ")


def test_a_choice_where_the_scheme_sets_the_amount_is_refused():
    text = GRENOBLE.replace('kind = "free"', 'kind = "proportional"\nrate_bp = 100')
    with pytest.raises(ScenarioError) as caught:
        read_scenario(text, "g.toml")
    assert caught.value.line == 16 and "declared_income_cents" in caught.value.message


def test_a_scenario_without_its_essentials():
    with pytest.raises(ScenarioError, match="needs its \\[run\\]"):
        read_scenario(GRENOBLE_RULE)
    with pytest.raises(ScenarioError, match="needs its \\[allowance\\]"):
        read_scenario('[run]\nstart = "2027-01"\n')
    with pytest.raises(ScenarioError, match="needs a \\[contributions\\] scheme") as caught:
        read_scenario(scenario("[[households]]\ncount = 1\ncontribution_cents = 100\n"))
    assert caught.value.line == 9


# -- a council's questions, checked by re-simulating -------------------------------------

WITH_FUND = scenario(
    """
    [contributions]
    kind = "free"
    floor_household_cents = 500

    [[households]]
    count = 40
    contribution_cents = 1500

    [[households]]
    count = 7
    adults = 2
    children = 3
    contribution_cents = 4001

    [[subsidies]]
    name = "Ville"
    cents_per_year = 1400000

    [[subsidies]]
    name = "Région"
    cents_per_year = 999_999
    from = "2027-05"
    schedule = "quarterly"

    [costs]
    coordination_cents_per_month = 25000
    """,
    'start = "2027-01"\nmonths = 18\nfund_cents = 250000',
)


def test_solve_subsidy_is_the_least_that_keeps_the_balance_up():
    base = read_scenario(WITH_FUND)
    result = simulate(base)
    for listed in (True, False):
        need = result.subsidy_needed_cents_per_year if listed else result.subsidy_gap_cents_per_year
        enough = simulate(with_subsidy(base, need, replace_listed=listed))
        assert min(m.balance_cents for m in enough.per_month) >= 0
        less = simulate(with_subsidy(base, need - 1, replace_listed=listed))
        assert min(m.balance_cents for m in less.per_month) < 0


def test_solve_allowance_is_the_largest_scale_that_lasts():
    base = read_scenario(WITH_FUND)
    answer = simulation.solve_allowance(base, 24)
    assert answer.bounded and answer.scale_ppm is not None and answer.result is not None
    assert answer.result.scenario.run.months == 24
    assert answer.result.runway_months is None
    again = simulate(replace(answer.result.scenario, rules=answer.rules))
    assert again.per_month == answer.result.per_month
    longer = replace(answer.result.scenario, rules=scale_rules(base.rules, answer.scale_ppm + 1))
    assert simulate(longer).runway_months is not None
    rule = answer.rules[0]
    assert rule.first_adult_cents == 10000 * answer.scale_ppm // 1_000_000


def test_solve_allowance_when_nothing_lasts_or_nothing_limits():
    broke = read_scenario(scenario("[costs]\ncoordination_cents_per_month = 1\n"))
    assert simulation.solve_allowance(broke, 3).scale_ppm is None
    empty = read_scenario(scenario("[[subsidies]]\ncents_per_year = 12\n"))
    answer = simulation.solve_allowance(empty, 3)
    assert not answer.bounded and answer.rules[0].first_adult_cents <= 10_000_000


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def cli(capsys, tmp_path):
    def call(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        got = capsys.readouterr()
        return code, got.out, got.err

    call.dir = tmp_path  # type: ignore[attr-defined]
    return call


def test_simulate_needs_no_caisse_and_prints_json(cli, monkeypatch):
    monkeypatch.delenv("SSA_DATA", raising=False)
    path = cli.dir / "g.toml"
    path.write_text(GRENOBLE)
    code, out, err = cli("simulate", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["per_month"][0]["allowances_cents"] == 435000
    assert doc["coverage"] == 0.25 and doc["runway_months"] == 0
    code, out, _ = cli("simulate", str(path))
    assert code == 0 and "4 350.00" in out and "25.0 %" in out and "2027-03" in out


def test_simulate_refusal_is_one_line_naming_the_line(cli):
    path = cli.dir / "bad.toml"
    path.write_text(GRENOBLE.replace("count = 26", "count = -26"))
    code, out, err = cli("simulate", str(path), "--json")
    assert code == 1 and out == ""
    assert err.strip() == (
        "ssa-admin: error: bad.toml, line 13: count must be a whole number "
        "from 0 to 1000000, not -26"
    )
    code, _, err = cli("simulate", str(cli.dir / "absent.toml"))
    assert code == 1 and "absent.toml: cannot be read" in err


def test_simulate_solve_and_compare(cli):
    first, second = cli.dir / "a.toml", cli.dir / "b.toml"
    first.write_text(WITH_FUND)
    second.write_text(WITH_FUND.replace("cents_per_year = 1400000", "cents_per_year = 2800000"))
    code, out, err = cli("simulate", str(first), "--solve", "subsidy", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert min(m["balance_cents"] for m in doc["result"]["per_month"]) >= 0
    gap = simulate(read_scenario(WITH_FUND)).subsidy_gap_cents_per_year
    assert doc["subsidy_gap_cents_per_year"] == gap
    code, out, err = cli("simulate", str(first), "--solve", "allowance", "--months", "30", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["months"] == 30 and len(doc["result"]["per_month"]) == 30
    assert doc["result"]["runway_months"] is None
    code, out, _ = cli("simulate", str(first), "--solve", "allowance", "--months", "30")
    assert code == 0 and "largest allowance lasting 30 months" in out
    code, out, err = cli("simulate", str(first), "--compare", str(second), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["difference"]["subsidies_cents"] == 18 * 1400000 // 12
    assert [d["source"] for d in doc["compare"]] == ["a.toml", "b.toml"]
    code, out, _ = cli("simulate", str(first), "--compare", str(second))
    assert code == 0 and "a.toml" in out and "difference" in out


# -- hypothesis: any scenario shape is a result or a named refusal ------------------------


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def toml(doc: dict) -> str:
    lines = []
    for name, value in doc.items():
        if isinstance(value, list):
            for item in value:
                lines += [f"[[{name}]]", *(f"{k} = {toml_value(v)}" for k, v in item.items())]
        else:
            lines += [f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in value.items())]
    return "\n".join(lines) + "\n"


def mostly(good, bad):
    """Valid values four times out of five: enough scenarios run, some are refused."""
    return st.one_of(good, good, good, good, bad)


cents = mostly(st.integers(0, 30000), st.one_of(st.integers(-5, 10**12), st.just("100")))
months = mostly(
    st.sampled_from(["2026-11", "2027-01", "2027-06", "2028-02"]),
    st.sampled_from(["2027-13", "27-01"]),
)
group = st.fixed_dictionaries(
    {"count": mostly(st.integers(0, 60), st.just(-1))},
    optional={
        "adults": mostly(st.integers(1, 4), st.sampled_from([0, 31])),
        "children": mostly(st.integers(0, 4), st.sampled_from([-1, 31])),
        "contribution_cents": cents,
        "declared_income_cents": cents,
        "cpas": st.booleans(),
        "from": months,
        "until": months,
        "label": st.text(max_size=5),
    },
)
scheme = st.fixed_dictionaries(
    {"kind": mostly(st.sampled_from(["free", "proportional", "brackets"]), st.just("other"))},
    optional={
        "floor_household_cents": mostly(st.integers(0, 2000), cents),
        "floor_extra_person_cents": mostly(st.integers(0, 500), cents),
        "rate_bp": mostly(st.integers(1, 10000), st.sampled_from([-1, 0, 10001])),
        "cap_cents": cents,
        "brackets": st.just([{"up_to_income_cents": 100000, "cents": 1000}, {"cents": 3000}]),
        "suggestions": st.just([{"cents": 500}]),
        "from": months,
    },
)
subsidy = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=5),
        "cents_per_year": cents,
        "cents_once": cents,
        "from": months,
        "until": months,
        "schedule": mostly(st.sampled_from(["monthly", "quarterly", "yearly"]), st.just("weekly")),
    },
)
rule = st.fixed_dictionaries(
    {
        "first_adult_cents": mostly(st.integers(1, 30000), cents),
        "extra_adult_cents": cents,
        "child_cents": cents,
    },
    optional={"max_household_cents": cents, "from": months},
)
document = st.fixed_dictionaries(
    {
        "allowance": st.one_of(rule, st.lists(rule, min_size=1, max_size=2)),
        "run": st.fixed_dictionaries(
            {"start": months},
            optional={
                "months": mostly(st.integers(1, 40), st.sampled_from([-1, 0, 601])),
                "fund_cents": cents,
                "spent_bp": mostly(st.integers(0, 10000), st.just(10001)),
                "collected_bp": st.integers(0, 10000),
            },
        ),
    },
    optional={
        "contributions": st.one_of(scheme, st.lists(scheme, min_size=1, max_size=2)),
        "households": st.lists(group, max_size=4),
        "subsidies": st.lists(subsidy, max_size=3),
        "costs": st.fixed_dictionaries(
            {}, optional={"coordination_cents_per_month": cents, "start_up_cents": cents}
        ),
        "surprise": st.fixed_dictionaries({"colour": st.just(1)}),
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(document)
def test_any_scenario_is_a_result_or_a_named_refusal(doc):
    text = toml(doc)
    try:
        scenario_ = read_scenario(text, "fuzz.toml")
    except ScenarioError as exc:
        assert exc.line is None or 1 <= exc.line <= text.count("\n")
        return
    check_result(scenario_)


@st.composite
def valid_document(draw):
    """A scenario the reader accepts: the engine's properties hold on every one."""
    start = draw(st.sampled_from(["2026-11", "2027-01", "2028-02"]))
    later = add_months(start, draw(st.integers(1, 14)))
    first = draw(st.integers(1, 30000))
    rules = [{"first_adult_cents": first, "extra_adult_cents": draw(st.integers(0, 20000)),
              "child_cents": draw(st.integers(0, 20000))}]  # fmt: skip
    if draw(st.booleans()):
        rules[0]["max_household_cents"] = first + draw(st.integers(0, 40000))
    if draw(st.booleans()):
        cut = draw(st.integers(1, 9000 if "max_household_cents" not in rules[0] else first))
        rules.append({**rules[0], "from": later, "first_adult_cents": cut})
    kind = draw(st.sampled_from(["free", "proportional", "brackets", None]))
    floor = draw(st.integers(0, 2000))
    doc = {"allowance": rules}
    if kind:
        scheme = {"kind": kind, "floor_household_cents": floor}
        if kind == "proportional":
            scheme["rate_bp"] = draw(st.integers(1, 10000))
        if kind == "brackets":
            scheme["brackets"] = [{"up_to_income_cents": 150000, "cents": 1500}, {"cents": 6000}]
        doc["contributions"] = [scheme]
    groups = []
    for _ in range(draw(st.integers(0, 5))):
        group = {"count": draw(st.integers(0, 200)), "adults": draw(st.integers(1, 30)),
                 "children": draw(st.integers(0, 30))}  # fmt: skip
        if kind == "free" and draw(st.booleans()):
            group["contribution_cents"] = floor + draw(st.integers(0, 10000))
        elif kind:
            group["declared_income_cents"] = draw(st.integers(0, 600000))
            group["cpas"] = draw(st.booleans())
        if draw(st.booleans()):
            group["from"] = add_months(start, draw(st.integers(-3, 20)))
        groups.append(group)
    if groups:
        doc["households"] = groups
    subsidies = []
    for _ in range(draw(st.integers(0, 3))):
        subsidy = {"from": add_months(start, draw(st.integers(-14, 14)))}
        if draw(st.booleans()):
            subsidy["cents_once"] = draw(st.integers(0, 10**9))
        else:
            subsidy["cents_per_year"] = draw(st.integers(0, 10**9))
            subsidy["schedule"] = draw(st.sampled_from(["monthly", "quarterly", "yearly"]))
        if draw(st.booleans()):
            subsidy["until"] = add_months(subsidy["from"], draw(st.integers(0, 30)))
        subsidies.append(subsidy)
    if subsidies:
        doc["subsidies"] = subsidies
    doc["costs"] = {"coordination_cents_per_month": draw(st.sampled_from([0, 0, 2500, 300000])),
                    "start_up_cents": draw(st.sampled_from([0, 0, 99, 10**6]))}  # fmt: skip
    doc["run"] = {"start": start, "months": draw(st.integers(1, 40)),
                  "fund_cents": draw(st.integers(-(10**7), 10**9)),
                  "spent_bp": draw(st.integers(0, 10000)),
                  "collected_bp": draw(st.integers(0, 10000))}  # fmt: skip
    return doc


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(valid_document())
def test_the_engine_keeps_its_books_on_any_valid_scenario(doc):
    check_result(read_scenario(toml(doc), "valid.toml"))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(valid_document(), st.integers(1, 36))
def test_the_allowance_answer_lasts_and_a_millionth_more_does_not(doc, months):
    base = read_scenario(toml(doc), "valid.toml")
    answer = simulation.solve_allowance(base, months)
    if answer.scale_ppm is None:  # not even one cent lasts: the smallest allowance runs out
        low = max(-(-1_000_000 // r.first_adult_cents) for r in base.rules)
        smallest = replace(base, rules=scale_rules(base.rules, low))
        assert simulation.simulate(with_months(smallest, months)).runway_months is not None
        return
    assert answer.result is not None and answer.result.runway_months is None
    assert (
        answer.result.per_month
        == simulate(replace(with_months(base, months), rules=answer.rules)).per_month
    )
    if answer.bounded:
        more = replace(base, rules=scale_rules(base.rules, answer.scale_ppm + 1))
        assert simulate(with_months(more, months)).runway_months is not None


def check_result(scenario_):
    assert read_scenario(scenario_toml(scenario_), "again.toml") == scenario_
    result = simulate(scenario_)
    balance = scenario_.run.fund_cents
    for month in result.per_month:
        balance += (
            month.contributions_cents
            + month.subsidies_cents
            - month.allowances_cents
            - month.costs_cents
        )
        assert month.balance_cents == balance
    assert len(result.per_month) == scenario_.run.months
    json.dumps(result.to_json())
    for listed, need in (
        (True, result.subsidy_needed_cents_per_year),
        (False, result.subsidy_gap_cents_per_year),
    ):
        enough = simulate(with_subsidy(scenario_, need, replace_listed=listed))
        assert all(m.balance_cents >= 0 for m in enough.per_month)
        if need:
            short = simulate(with_subsidy(scenario_, need - 1, replace_listed=listed))
            assert any(m.balance_cents < 0 for m in short.per_month)


# -- the documented example ----------------------------------------------------------------


DOCUMENTED = (
    "totals",
    "coverage",
    "subsidy_needed_cents_per_year",
    "subsidy_gap_cents_per_year",
    "runway_months",
    "end_balance_cents",
)


def test_the_documented_example_runs_and_gives_the_documented_figures():
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "simulation.md").read_text()
    example = (root / "docs" / "examples" / "grenoble.toml").read_text()
    assert re.search(r"```toml\n(.*?)```", doc, re.S)[1] == example
    result = simulate(read_scenario(example, "grenoble.toml")).to_json()
    shown = json.loads(
        re.search(r"```json\n(\{\n  \"title\".*?)```", doc, re.S)[1].replace(', "..."', "")
    )
    for key in DOCUMENTED:
        assert result[key] == shown[key], key
    assert result["per_month"][0] == shown["per_month"][0]
    assert result["by_household"][0] == shown["by_household"][0]
