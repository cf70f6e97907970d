"""The pure engines: allowance rules, shares with exact cents, contribution schemes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.caisse import allowance, contributions
from server.caisse.allowance import AllowanceError, Shape
from server.caisse.contributions import ContributionError, SelfAssessment

GIRONDE = {
    "from": "2026-01",
    "first_adult_cents": 15000,
    "extra_adult_cents": 7500,
    "child_cents": 7500,
}
GENEVA = {
    "from": "2026-01",
    "first_adult_cents": 15000,
    "extra_adult_cents": 15000,
    "child_cents": 7500,
}
GRENOBLE = {
    "from": "2026-01",
    "first_adult_cents": 10000,
    "extra_adult_cents": 5000,
    "child_cents": 5000,
    "max_household_cents": 20000,
}


@pytest.mark.parametrize(
    ("rule", "shape", "cents"),
    [
        (GIRONDE, Shape(1, 0), 15000),
        (GIRONDE, Shape(2, 2), 15000 + 3 * 7500),
        (GENEVA, Shape(2, 1), 30000 + 7500),
        (GENEVA, Shape(1, 3), 15000 + 3 * 7500),
        (GRENOBLE, Shape(1, 0), 10000),
        (GRENOBLE, Shape(2, 0), 15000),
        (GRENOBLE, Shape(1, 1), 15000),
        (GRENOBLE, Shape(2, 1), 20000),
        (GRENOBLE, Shape(3, 4), 20000),
    ],
)
def test_the_pilots_rules_give_their_published_amounts(rule, shape, cents):
    assert allowance.household_allowance(allowance.parse_rule(rule), shape) == cents


def test_the_rule_in_force_is_the_latest_not_after_the_period():
    rules = allowance.parse_rules([{**GIRONDE, "from": "2026-05"}, GRENOBLE])
    assert allowance.rule_for(rules, "2025-12") is None
    assert allowance.rule_for(rules, "2026-04").first_adult_cents == 10000
    assert allowance.rule_for(rules, "2026-05").first_adult_cents == 15000
    assert allowance.rule_for(rules, "2031-01").first_adult_cents == 15000


@pytest.mark.parametrize(
    "bad",
    [
        {**GIRONDE, "firts_adult_cents": 1},
        {**GIRONDE, "from": "2026-13"},
        {**GIRONDE, "child_cents": -1},
        {**GIRONDE, "first_adult_cents": 0},
        {**GIRONDE, "extra_adult_cents": 1.5},
        {**GRENOBLE, "max_household_cents": 5000},
    ],
)
def test_a_bad_rule_is_refused_with_a_reason(bad):
    with pytest.raises(AllowanceError):
        allowance.parse_rule(bad)


def test_two_rules_in_one_month_are_refused():
    with pytest.raises(AllowanceError, match="same month"):
        allowance.parse_rules([GIRONDE, GENEVA])


def test_odd_cents_are_shared_exactly_and_fairly():
    assert allowance.split_cents(10001, [1, 1]) == [5001, 5000]
    assert allowance.split_cents(10000, [1, 1, 1]) == [3334, 3333, 3333]
    assert allowance.split_cents(22500, [2, 1]) == [15000, 7500]
    assert allowance.split_cents(101, [1, 0, 1]) == [51, 0, 50]
    assert allowance.split_cents(99, [0, 0]) == [99, 0]
    assert allowance.split_cents(5, []) == []


@given(
    total=st.integers(0, 10_000_000),
    weights=st.lists(st.integers(0, 1000), min_size=1, max_size=12),
)
def test_shares_always_add_up_to_the_cent_and_follow_the_weights(total, weights):
    shares = allowance.split_cents(total, weights)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    weight_sum = sum(weights)
    if weight_sum:
        for share, weight in zip(shares, weights, strict=True):
            assert abs(share * weight_sum - total * weight) < weight_sum  # within one cent
            if weight == 0:
                assert share == 0


@given(
    adults=st.integers(1, 30),
    children=st.integers(0, 30),
    first=st.integers(1, 100_000),
    extra=st.integers(0, 100_000),
    child=st.integers(0, 100_000),
    cap=st.one_of(st.none(), st.integers(100_000, 3_000_000)),
)
def test_household_allowance_grows_with_the_household_up_to_the_cap(
    adults, children, first, extra, child, cap
):
    rule = allowance.AllowanceRule("2026-01", first, extra, child, cap)
    amount = allowance.household_allowance(rule, Shape(adults, children))
    assert amount >= min(first, cap or first)
    assert amount <= allowance.household_allowance(rule, Shape(adults, children + 1))
    if cap is not None:
        assert amount <= cap
    holders = [(f"m{i}", 1) for i in range(adults)]
    assert sum(allowance.shares(rule, Shape(adults, children), holders).values()) == amount


# -- contributions ------------------------------------------------------------------------

FREE = {
    "from": "2026-01",
    "kind": "free",
    "floor_household_cents": 1000,
    "floor_extra_person_cents": 500,
    "suggestions": [
        {"up_to_income_cents": 100000, "cents": 1000},
        {"up_to_income_cents": 200000, "cents": 4000},
        {"up_to_income_cents": None, "cents": 8000},
    ],
}
PROPORTIONAL = {
    "from": "2026-01",
    "kind": "proportional",
    "rate_bp": 250,
    "per_consumption_unit": True,
    "floor_household_cents": 1000,
    "cap_cents": 15000,
}
BRACKETS = {
    "from": "2026-01",
    "kind": "brackets",
    "brackets": [
        {"up_to_income_cents": 120000, "cents": 500},
        {"up_to_income_cents": 250000, "cents": 3000},
        {"up_to_income_cents": None, "cents": 9000},
    ],
    "cpas_cents": 200,
}


def test_the_gironde_floor_is_ten_euros_and_five_per_extra_person():
    scheme = contributions.parse_scheme(FREE)
    assert contributions.floor_cents(scheme, Shape(1, 0)) == 1000
    assert contributions.floor_cents(scheme, Shape(2, 2)) == 2500
    with pytest.raises(ContributionError, match="below this household's floor of 2500"):
        contributions.check_choice(scheme, Shape(2, 2), 2499)
    assert contributions.check_choice(scheme, Shape(2, 2), 2500) == 2500


def test_a_free_scheme_suggests_from_disposable_income_per_consumption_unit():
    scheme = contributions.parse_scheme(FREE)
    # 3000 € income - 600 € fixed costs, 2 adults + 1 child = 1.8 units: 1333.33 € each.
    answer = contributions.assess(
        scheme, SelfAssessment(Shape(2, 1), income_cents=300000, fixed_costs_cents=60000)
    )
    assert (answer.suggested_cents, answer.band, answer.binding) == (4000, "s2", False)
    low = contributions.assess(scheme, SelfAssessment(Shape(3, 3), income_cents=50000))
    assert low.suggested_cents == low.floor_cents == 1000 + 5 * 500


def test_a_proportional_scheme_takes_its_rate_per_unit_between_floor_and_cap():
    scheme = contributions.parse_scheme(PROPORTIONAL)
    assert scheme.keeps_income
    one = contributions.assess(scheme, SelfAssessment(Shape(1, 0), income_cents=200000))
    assert (one.suggested_cents, one.binding) == (5000, True)  # 2.5 % of 2000 €
    two = contributions.assess(scheme, SelfAssessment(Shape(2, 0), income_cents=300000))
    assert two.suggested_cents == 5000  # 2.5 % of 3000 € / 1.5
    assert (
        contributions.assess(scheme, SelfAssessment(Shape(1), income_cents=0)).suggested_cents
        == 1000
    )
    assert (
        contributions.assess(
            scheme, SelfAssessment(Shape(1), income_cents=9_000_000)
        ).suggested_cents
        == 15000
    )
    with pytest.raises(ContributionError, match="needs the declared income"):
        contributions.assess(scheme, SelfAssessment(Shape(1)))


def test_brackets_give_a_band_and_a_cpas_attestation_stands_in_for_income():
    scheme = contributions.parse_scheme(BRACKETS)
    assert not scheme.keeps_income
    answer = contributions.assess(scheme, SelfAssessment(Shape(1), income_cents=130000))
    assert (answer.suggested_cents, answer.band) == (3000, "b2")
    cpas = contributions.assess(scheme, SelfAssessment(Shape(2, 3), cpas=True))
    assert (cpas.suggested_cents, cpas.band) == (200, "cpas")


@pytest.mark.parametrize(
    "bad",
    [
        {**FREE, "kind": "voluntary"},
        {**FREE, "flor_household_cents": 1},
        {**PROPORTIONAL, "rate_bp": 0},
        {**BRACKETS, "brackets": [{"up_to_income_cents": 1, "cents": 1}]},
        {
            **BRACKETS,
            "brackets": [
                {"up_to_income_cents": None, "cents": 1},
                {"up_to_income_cents": None, "cents": 2},
            ],
        },
    ],
)
def test_a_bad_scheme_is_refused(bad):
    with pytest.raises(ContributionError):
        contributions.parse_scheme(bad)


def test_payments_cover_the_oldest_month_first_and_an_overpayment_shows_as_credit():
    dues = [("2026-01", 1000), ("2026-02", 1000), ("2026-03", 2000)]
    assert contributions.allocate(dues, 1500) == [
        ("2026-01", 1000, 1000),
        ("2026-02", 1000, 500),
        ("2026-03", 2000, 0),
    ]
    assert contributions.allocate(dues, 5000)[-1] == ("2026-03", 2000, 3000)
    assert contributions.allocate(dues, -700) == [(p, d, 0) for p, d in dues]


@given(
    dues=st.lists(st.integers(0, 100_000), min_size=1, max_size=24),
    paid=st.integers(-100_000, 3_000_000),
)
def test_allocation_never_loses_or_invents_a_cent(dues, paid):
    months = [(f"2026-{i:02d}", d) for i, d in enumerate(dues, start=1)]
    lines = contributions.allocate(months, paid)
    assert sum(p for _, _, p in lines) == max(0, paid)
    assert all(0 <= p <= d for _, d, p in lines[:-1])


def test_arrears_count_only_months_unpaid_for_more_than_a_month():
    choices = [("2026-01", 1000)]
    assert not contributions.in_arrears(choices, 0, "2026-02")  # January: a month late at most
    assert contributions.in_arrears(choices, 0, "2026-03")
    assert not contributions.in_arrears(choices, 1000, "2026-03")
    assert contributions.in_arrears(choices, 1000, "2026-04")
    assert not contributions.in_arrears([], 0, "2026-04")
    assert contributions.months("2026-11", "2027-02") == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert contributions.due_by_period([("2026-01", 5), ("2026-03", 7)], "2026-04") == [
        ("2026-01", 5),
        ("2026-02", 5),
        ("2026-03", 7),
        ("2026-04", 7),
    ]
