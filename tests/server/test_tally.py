"""The decision rules as a pure function: named cases, an exhaustive sweep against an
independent reference written with fractions, and properties found by hypothesis."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.caisse.tally import (
    Rule,
    RuleError,
    check_options,
    choices,
    combine,
    count_ballots,
    decide,
)


def yes_no(rule: Rule, eligible: int, yes: int, no: int, abstain: int = 0) -> str:
    return decide(
        rule, eligible=eligible, counts={"yes": yes, "no": no, "abstain": abstain}
    ).outcome


def reference(rule: Rule, eligible: int, yes: int, no: int, abstain: int) -> str:
    """The statutes read literally, in fractions: a second, independent reading."""
    cast = yes + no + abstain
    if eligible and Fraction(cast, eligible) < Fraction(rule.quorum_percent, 100):
        return "no-quorum"
    if rule.majority == "simple":
        return "adopted" if yes > no else "rejected"
    if rule.majority == "two-thirds":
        if yes + no == 0:
            return "rejected"
        return "adopted" if Fraction(yes, yes + no) >= Fraction(2, 3) else "rejected"
    if no == 0:
        return "adopted"
    share = Fraction(no, cast)
    return "blocked" if share >= Fraction(rule.consent_threshold_percent, 100) else "adopted"


def test_quorum_not_met_by_one_ballot() -> None:
    rule = Rule(quorum_percent=20)
    assert yes_no(rule, 100, 19, 0) == "no-quorum"
    assert yes_no(rule, 100, 19, 0, abstain=1) == "adopted"  # an abstention takes part


def test_two_thirds_just_missed_and_just_reached() -> None:
    rule = Rule(majority="two-thirds", quorum_percent=0)
    assert yes_no(rule, 50, 19, 10) == "rejected"  # 65.5 %
    assert yes_no(rule, 50, 20, 10) == "adopted"  # exactly 2/3
    assert yes_no(rule, 50, 20, 10, abstain=9) == "adopted"  # abstentions do not count
    assert yes_no(rule, 50, 0, 0, abstain=5) == "rejected"


def test_consent_blocked_when_objections_reach_the_threshold() -> None:
    rule = Rule(majority="consent", consent_threshold_percent=10, quorum_percent=0)
    assert yes_no(rule, 40, 18, 1, 1) == "adopted"  # 1 of 20 = 5 %
    assert yes_no(rule, 40, 17, 2, 1) == "blocked"  # 2 of 20 = 10 %
    strict = Rule(majority="consent", consent_threshold_percent=0, quorum_percent=0)
    assert yes_no(strict, 40, 30, 1) == "blocked"  # one objection blocks
    assert yes_no(strict, 40, 30, 0) == "adopted"


def test_simple_majority_ties_are_rejected() -> None:
    assert yes_no(Rule(quorum_percent=0), 10, 3, 3, 2) == "rejected"


@pytest.mark.parametrize("majority", ["simple", "two-thirds", "consent"])
@pytest.mark.parametrize("quorum", [0, 25, 50, 100])
@pytest.mark.parametrize("threshold", [0, 10, 34])
def test_every_small_count_matches_the_reference(majority: str, quorum: int, threshold: int):
    rule = Rule(majority=majority, quorum_percent=quorum, consent_threshold_percent=threshold)
    for eligible, yes, no, abstain in itertools.product([0, 1, 3, 7, 12], *[range(5)] * 3):
        if yes + no + abstain > eligible and eligible:
            continue
        got = yes_no(rule, eligible, yes, no, abstain)
        assert got == reference(rule, eligible, yes, no, abstain), (eligible, yes, no, abstain)


def test_a_consultation_picks_the_most_voted_option() -> None:
    rule = Rule(quorum_percent=0)
    options = ("Samedi", "Mercredi soir", "Dimanche")
    counts = {"Samedi": 4, "Mercredi soir": 6, "Dimanche": 1, "abstain": 3}
    out = decide(rule, eligible=20, counts=counts, options=options)
    assert (out.outcome, out.winner, out.ballots) == ("chosen", "Mercredi soir", 14)
    tie = decide(rule, eligible=20, counts={"Samedi": 2, "Dimanche": 2}, options=options)
    assert (tie.outcome, tie.winner) == ("tie", None)
    assert tie.tally == {"Samedi": 2, "Mercredi soir": 0, "Dimanche": 2, "abstain": 0}
    none = decide(rule, eligible=20, counts={"abstain": 2}, options=options)
    assert none.outcome == "rejected"
    strong = Rule(quorum_percent=0, majority="two-thirds")
    assert decide(strong, eligible=20, counts=counts, options=options).outcome == "rejected"


def test_bad_rules_and_counts_are_refused() -> None:
    with pytest.raises(RuleError, match="majority"):
        Rule(majority="unanimous")
    with pytest.raises(RuleError, match="quorum_percent"):
        Rule(quorum_percent=101)
    with pytest.raises(RuleError, match="unknown rule fields"):
        Rule.from_json({"quorum": 5})
    with pytest.raises(RuleError, match="not a choice"):
        decide(Rule(), eligible=3, counts={"maybe": 1})
    with pytest.raises(RuleError, match="whole numbers"):
        decide(Rule(), eligible=3, counts={"yes": -1})
    with pytest.raises(RuleError, match="consent"):
        decide(Rule(majority="consent"), eligible=3, counts={}, options=("a", "b"))
    with pytest.raises(RuleError, match="2 to"):
        check_options(["only one"])
    with pytest.raises(RuleError, match="distinct"):
        check_options(["Oui", "oui"])
    assert Rule.from_json(Rule(quorum_percent=5).to_json()) == Rule(quorum_percent=5)
    assert choices() == ("yes", "no", "abstain") and choices(("a", "b"))[-1] == "abstain"


rules = st.builds(
    Rule,
    majority=st.sampled_from(["simple", "two-thirds", "consent"]),
    quorum_percent=st.integers(0, 100),
    consent_threshold_percent=st.integers(0, 100),
)
counts = st.fixed_dictionaries(
    {"yes": st.integers(0, 500), "no": st.integers(0, 500), "abstain": st.integers(0, 500)}
)


@given(rules, counts, st.integers(0, 2000))
def test_matches_the_reference_on_any_count(rule: Rule, c: dict, extra: int) -> None:
    eligible = sum(c.values()) + extra
    assert decide(rule, eligible=eligible, counts=c).outcome == reference(
        rule, eligible, c["yes"], c["no"], c["abstain"]
    )


@given(rules, counts, st.integers(0, 2000))
def test_one_more_yes_never_defeats_and_one_more_no_never_carries(rule, c, extra) -> None:
    eligible = sum(c.values()) + extra + 1
    before = decide(rule, eligible=eligible, counts=c)
    more_yes = decide(rule, eligible=eligible, counts={**c, "yes": c["yes"] + 1})
    more_no = decide(rule, eligible=eligible, counts={**c, "no": c["no"] + 1})
    if before.adopted:
        assert more_yes.adopted
    if before.quorum_met and not before.adopted:
        assert not more_no.adopted
    assert more_yes.quorum_met >= before.quorum_met and more_no.quorum_met >= before.quorum_met


@given(st.lists(st.sampled_from(["a", "b", "c", "abstain"]), max_size=60), st.randoms())
def test_the_winner_does_not_depend_on_the_order_of_options_or_ballots(ballots, rnd) -> None:
    options = ["a", "b", "c"]
    shuffled = options[:]
    rnd.shuffle(shuffled)
    first = decide(
        Rule(quorum_percent=0), eligible=60, counts=count_ballots(ballots), options=options
    )
    rnd.shuffle(ballots)
    second = decide(
        Rule(quorum_percent=0), eligible=60, counts=count_ballots(ballots), options=shuffled
    )
    assert (first.outcome, first.winner, first.ballots) == (
        second.outcome,
        second.winner,
        second.ballots,
    )


@given(st.lists(counts, min_size=1, max_size=4))
def test_channels_add_up_in_any_order(channels: list[dict]) -> None:
    total = combine(*channels)
    assert total == combine(*reversed(channels))
    assert sum(total.values()) == sum(sum(c.values()) for c in channels)
