"""Drawing a committee or a panel by lot: a published, deterministic function anyone can rerun.

Pure: no I/O, no clock, no randomness of its own. The procedure (docs/democracy.md):

1. Before the draw the caisse announces ``commitment = hex(SHA-256(UTF-8(seed)))``;
   the seed itself is revealed only at the draw, so nobody (the caisse included)
   could pick a seed once the list of eligible members was known.
2. Each eligible pseudonym gets ``score = hex(SHA-256(UTF-8(seed) || 0x0A ||
   UTF-8(pseudonym)))``; the draw order is ascending score.
3. Strata (age band, household type, contribution band, ...): members are
   grouped by their values of the chosen strata, in that order; each group gets
   a quota proportional to its size, by largest remainder (Hamilton): first the
   whole part of ``size * group / eligible``, then one more seat to the largest
   remainders, ties to the group that sorts first.
4. A group's seats go to its first members in draw order. A member who declines
   is replaced by the next member of the same group in draw order; a seat that
   its group can no longer fill goes to the first member, in the overall draw
   order, who is neither drawn nor declined.

Everything the function reads is published with the result (seed, the eligible
pseudonyms with their strata values, size, strata, declines), so the draw can be
recomputed by anyone, with any SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

UNKNOWN = "unknown"
MAX_SEED = 500


class SortitionError(ValueError):
    """A draw that cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class Candidate:
    pseudonym: str
    strata: tuple[tuple[str, str], ...] = ()  # (stratum, value) pairs

    @classmethod
    def of(cls, pseudonym: str, strata: Mapping[str, str | None] | None = None) -> Candidate:
        pairs = tuple(sorted((k, v or UNKNOWN) for k, v in (strata or {}).items()))
        return cls(pseudonym, pairs)

    def group(self, strata: Sequence[str]) -> tuple[str, ...]:
        values = dict(self.strata)
        return tuple(values.get(name) or UNKNOWN for name in strata)


@dataclass(frozen=True, slots=True)
class Draw:
    seed: str
    commitment: str
    size: int
    strata: tuple[str, ...]
    order: tuple[str, ...]  # every eligible pseudonym, in draw order
    quotas: tuple[tuple[tuple[str, ...], int], ...]  # (group, seats), groups sorted
    members: tuple[str, ...]  # who sits, in draw order
    declined: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "commitment": self.commitment,
            "size": self.size,
            "strata": list(self.strata),
            "quotas": [{"group": list(g), "seats": n} for g, n in self.quotas],
            "order": list(self.order),
            "members": list(self.members),
            "declined": list(self.declined),
        }


def commitment(seed: str) -> str:
    """What is announced before the draw: the SHA-256 of the seed, in hex."""
    return hashlib.sha256(check_seed(seed).encode()).hexdigest()


def check_seed(seed: str) -> str:
    if not isinstance(seed, str) or not 8 <= len(seed) <= MAX_SEED:
        raise SortitionError(
            f"the seed is 8 to {MAX_SEED} characters (the more unpredictable, the better)"
        )
    return seed


def score(seed: str, pseudonym: str) -> str:
    return hashlib.sha256(seed.encode() + b"\n" + pseudonym.encode()).hexdigest()


def quotas(groups: Mapping[tuple[str, ...], int], size: int) -> dict[tuple[str, ...], int]:
    """Seats per group by largest remainder (Hamilton); ties to the group that sorts first."""
    total = sum(groups.values())
    if not 0 <= size <= total:
        raise SortitionError(f"cannot draw {size} from {total} eligible members")
    if total == 0:
        return {}
    exact = {g: Fraction(size * n, total) for g, n in groups.items()}
    seats = {g: int(q) for g, q in exact.items()}
    left = size - sum(seats.values())
    by_remainder = sorted(exact, key=lambda g: (-(exact[g] - seats[g]), g))
    for g in by_remainder[:left]:
        seats[g] += 1
    return seats


def draw(
    seed: str,
    candidates: Sequence[Candidate],
    size: int,
    strata: Sequence[str] = (),
    declined: Collection[str] = (),
) -> Draw:
    """Draw ``size`` members among ``candidates`` (see the module's procedure)."""
    check_seed(seed)
    names = [c.pseudonym for c in candidates]
    if len(set(names)) != len(names):
        raise SortitionError("each eligible pseudonym appears once")
    if len(set(strata)) != len(strata):
        raise SortitionError("each stratum is named once")
    unknown = sorted(set(declined) - set(names))
    if unknown:
        raise SortitionError(f"declined but not eligible: {', '.join(unknown)}")
    scores = {c.pseudonym: score(seed, c.pseudonym) for c in candidates}
    ordered = sorted(candidates, key=lambda c: (scores[c.pseudonym], c.pseudonym))
    groups: dict[tuple[str, ...], list[str]] = {}
    for c in ordered:
        groups.setdefault(c.group(strata), []).append(c.pseudonym)
    seats = quotas({g: len(m) for g, m in groups.items()}, size)
    refused = set(declined)
    chosen: set[str] = set()
    unfilled = 0
    for g in sorted(groups):
        available = [p for p in groups[g] if p not in refused]
        chosen.update(available[: seats[g]])
        unfilled += max(0, seats[g] - len(available))
    for c in ordered:
        if unfilled == 0:
            break
        if c.pseudonym not in chosen and c.pseudonym not in refused:
            chosen.add(c.pseudonym)
            unfilled -= 1
    order = tuple(c.pseudonym for c in ordered)
    return Draw(
        seed=seed,
        commitment=commitment(seed),
        size=size,
        strata=tuple(strata),
        order=order,
        quotas=tuple(sorted(seats.items())),
        members=tuple(p for p in order if p in chosen),
        declined=tuple(p for p in order if p in refused),
    )


__all__ = ["Candidate", "Draw", "SortitionError", "commitment", "draw", "quotas", "score"]
