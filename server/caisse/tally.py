"""How a vote is decided: the caisse's statutes as data, ballots in, an outcome out.

Pure: no I/O, no clock. ``Rule`` is one decision rule of the statutes (who
decides, quorum, majority, window, proxies, review); ``decide`` turns the
counted ballots of every channel (wallet, assembly, proxies — already added
up by ``combine``) into an ``Outcome``. The arithmetic is in integers, so a
two-thirds majority or a quorum of 20 % is exact, never a rounded float.

- **Quorum**: ``ballots * 100 >= quorum_percent * eligible``, where ``ballots``
  counts every ballot cast, abstentions included (an abstention is taking part).
- **simple**: adopted when yes > no (abstentions do not count either way).
- **two-thirds**: adopted when yes >= 2/3 of yes + no, and yes > 0.
- **consent**: adopted unless the objections (``no``) reach
  ``consent_threshold_percent`` of the ballots cast; 0 % means a single
  objection blocks.
- **A choice among options** (a consultation): the option with the most votes;
  ``two-thirds`` also asks it to hold 2/3 of the votes for an option. Two
  options level at the top are a ``tie``; no vote for any option is ``rejected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

YES, NO, ABSTAIN = "yes", "no", "abstain"
YES_NO = (YES, NO, ABSTAIN)
DECIDERS = ("members", "committee", "panel")
MAJORITIES = ("simple", "two-thirds", "consent")

ADOPTED, REJECTED, BLOCKED, NO_QUORUM = "adopted", "rejected", "blocked", "no-quorum"
CHOSEN, TIE = "chosen", "tie"
MAX_OPTIONS = 12
MAX_OPTION_LEN = 120


class RuleError(ValueError):
    """A decision rule or a count that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One decision rule of the statutes. Percentages are whole numbers 0-100."""

    deciders: str = "members"
    quorum_percent: int = 10
    majority: str = "simple"
    consent_threshold_percent: int = 10
    window_days: int = 14
    proxy_cap: int = 2
    review_months: int = 12

    def __post_init__(self) -> None:
        if self.deciders not in DECIDERS:
            raise RuleError(f"deciders must be one of {', '.join(DECIDERS)}")
        if self.majority not in MAJORITIES:
            raise RuleError(f"majority must be one of {', '.join(MAJORITIES)}")
        for name, low, high in (
            ("quorum_percent", 0, 100),
            ("consent_threshold_percent", 0, 100),
            ("window_days", 1, 366),
            ("proxy_cap", 0, 20),
            ("review_months", 1, 120),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise RuleError(f"{name} must be a whole number from {low} to {high}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        if not isinstance(data, Mapping):
            raise RuleError("a rule is a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise RuleError(f"unknown rule fields: {', '.join(unknown)}")
        return cls(**dict(data))

    def with_(self, **changes: Any) -> Rule:
        values = self.to_json()
        values.update({k: v for k, v in changes.items() if v is not None})
        return Rule(**values)


@dataclass(frozen=True, slots=True)
class Outcome:
    eligible: int
    ballots: int
    tally: dict[str, int] = field(default_factory=dict)
    quorum_met: bool = False
    outcome: str = NO_QUORUM
    winner: str | None = None  # a consultation's chosen option

    @property
    def adopted(self) -> bool:
        return self.outcome == ADOPTED

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_options(options: Sequence[str] | None) -> tuple[str, ...]:
    """A consultation's options, cleaned: 2 to 12 distinct short texts, not ``abstain``."""
    if options is None:
        return ()
    cleaned = tuple(o.strip() for o in options if isinstance(o, str))
    if len(cleaned) != len(options) or not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise RuleError(f"a consultation has 2 to {MAX_OPTIONS} options")
    if any(not o or len(o) > MAX_OPTION_LEN or any(ord(c) < 32 for c in o) for o in cleaned):
        raise RuleError(f"each option is 1 to {MAX_OPTION_LEN} characters")
    if len({o.casefold() for o in cleaned}) != len(cleaned) or ABSTAIN in cleaned:
        raise RuleError("options must be distinct, and 'abstain' is always offered")
    return cleaned


def choices(options: Sequence[str] = ()) -> tuple[str, ...]:
    """What a ballot may say: yes/no/abstain, or one of the options or abstain."""
    return (*options, ABSTAIN) if options else YES_NO


def combine(*counts: Mapping[str, int]) -> dict[str, int]:
    """The sum of several channels' counts (wallet ballots, assembly counts, proxies)."""
    total: dict[str, int] = {}
    for count in counts:
        for choice, n in count.items():
            total[choice] = total.get(choice, 0) + n
    return total


def count_ballots(ballot_choices: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for choice in ballot_choices:
        out[choice] = out.get(choice, 0) + 1
    return out


def decide(
    rule: Rule, *, eligible: int, counts: Mapping[str, int], options: Sequence[str] = ()
) -> Outcome:
    """The outcome of a vote under ``rule`` from the counts of all its channels."""
    allowed = choices(options)
    unknown = sorted(set(counts) - set(allowed))
    if unknown:
        raise RuleError(f"not a choice of this vote: {', '.join(unknown)}")
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in counts.values()):
        raise RuleError("counts are whole numbers, 0 or more")
    if not isinstance(eligible, int) or eligible < 0:
        raise RuleError("eligible is a whole number, 0 or more")
    if options and rule.majority == "consent":
        raise RuleError("consent decides a yes/no question, not a choice among options")
    tally = {choice: int(counts.get(choice, 0)) for choice in allowed}
    ballots = sum(tally.values())
    quorum_met = ballots * 100 >= rule.quorum_percent * eligible
    base = {"eligible": eligible, "ballots": ballots, "tally": tally, "quorum_met": quorum_met}
    if not quorum_met:
        return Outcome(**base, outcome=NO_QUORUM)  # type: ignore[arg-type]
    if options:
        outcome, winner = _choose(rule, tally, options)
        return Outcome(**base, outcome=outcome, winner=winner)  # type: ignore[arg-type]
    return Outcome(**base, outcome=_yes_no(rule, tally[YES], tally[NO], ballots))  # type: ignore[arg-type]


def _yes_no(rule: Rule, yes: int, no: int, ballots: int) -> str:
    if rule.majority == "simple":
        return ADOPTED if yes > no else REJECTED
    if rule.majority == "two-thirds":
        return ADOPTED if yes > 0 and 3 * yes >= 2 * (yes + no) else REJECTED
    blocked = no > 0 and no * 100 >= rule.consent_threshold_percent * ballots
    return BLOCKED if blocked else ADOPTED


def _choose(rule: Rule, tally: Mapping[str, int], options: Sequence[str]) -> tuple[str, str | None]:
    votes = {o: tally[o] for o in options}
    top = max(votes.values())
    if top == 0:
        return REJECTED, None
    leaders = [o for o in options if votes[o] == top]
    if len(leaders) > 1:
        return TIE, None
    if rule.majority == "two-thirds" and 3 * top < 2 * sum(votes.values()):
        return REJECTED, None
    return CHOSEN, leaders[0]


__all__ = [
    "ABSTAIN",
    "NO",
    "YES",
    "Outcome",
    "Rule",
    "RuleError",
    "check_options",
    "choices",
    "combine",
    "count_ballots",
    "decide",
]
