"""The draw by lot, recomputed by an independent implementation of its published
procedure (docs/democracy.md), plus its properties."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.caisse.sortition import Candidate, SortitionError, commitment, draw, quotas

SEED = "loterie-nationale-2026-03-07:04-11-23-30-41"


def independent_draw(seed: str, eligible: dict[str, dict[str, str]], size: int, strata: list[str],
                     declined: set[str] = frozenset()) -> list[str]:  # fmt: skip
    """What a member with a spreadsheet would do, from the published inputs only."""
    rank = sorted(eligible, key=lambda p: hashlib.sha256(f"{seed}\n{p}".encode()).hexdigest())
    group_of = {p: tuple(eligible[p].get(s, "unknown") for s in strata) for p in eligible}
    sizes = Counter(group_of.values())
    whole = {g: size * n // len(eligible) for g, n in sizes.items()}
    rest = size - sum(whole.values())
    # largest remainder first (compared exactly as size*n mod N), ties to the first group
    for g in sorted(sizes, key=lambda g: (-(size * sizes[g] % len(eligible)), g))[:rest]:
        whole[g] += 1
    seats, unfilled = set(), 0
    for g in sorted(sizes):
        free = [p for p in rank if group_of[p] == g and p not in declined]
        seats.update(free[: whole[g]])
        unfilled += max(0, whole[g] - len(free))
    for p in rank:
        if unfilled and p not in seats and p not in declined:
            seats.add(p)
            unfilled -= 1
    return [p for p in rank if p in seats]


def population(n: int) -> dict[str, dict[str, str]]:
    ages, homes = ["18-29", "30-49", "50-64", "65+"], ["seul", "famille", "monoparental"]
    return {
        hashlib.sha256(str(i).encode()).hexdigest()[:16]: {
            "age_band": ages[i % 4],
            "household": homes[(i // 4) % 3],
        }
        for i in range(n)
    }


def candidates(pop: dict[str, dict[str, str]]) -> list[Candidate]:
    return [Candidate.of(p, s) for p, s in pop.items()]


def test_the_published_draw_recomputes_from_its_inputs() -> None:
    pop = population(97)
    result = draw(SEED, candidates(pop), 12, ["age_band", "household"])
    assert result.commitment == hashlib.sha256(SEED.encode()).hexdigest()
    assert list(result.members) == independent_draw(SEED, pop, 12, ["age_band", "household"])
    assert len(result.members) == 12
    drawn_ages = Counter(pop[p]["age_band"] for p in result.members)
    assert max(drawn_ages.values()) - min(drawn_ages.values()) <= 1  # four even bands of 12


def test_declines_are_replaced_in_draw_order_within_their_stratum() -> None:
    pop = population(40)
    first = draw(SEED, candidates(pop), 8, ["age_band"])
    out = first.members[0]
    again = draw(SEED, candidates(pop), 8, ["age_band"], declined={out})
    assert out not in again.members and len(again.members) == 8
    (replacement,) = set(again.members) - set(first.members)
    assert pop[replacement]["age_band"] == pop[out]["age_band"]
    same_band = [p for p in first.order if pop[p]["age_band"] == pop[out]["age_band"]]
    chosen_band = [p for p in same_band if p in first.members]
    assert replacement == same_band[len(chosen_band)]  # the next one of that band
    assert list(again.members) == independent_draw(SEED, pop, 8, ["age_band"], {out})


def test_a_different_seed_gives_a_different_draw() -> None:
    pop = population(60)
    a = draw(SEED, candidates(pop), 10)
    b = draw(SEED + "!", candidates(pop), 10)
    assert a.members != b.members
    assert list(a.members) == independent_draw(SEED, pop, 10, [])


def test_impossible_draws_are_refused() -> None:
    pop = population(5)
    with pytest.raises(SortitionError, match="cannot draw 6"):
        draw(SEED, candidates(pop), 6)
    with pytest.raises(SortitionError, match="seed"):
        draw("short", candidates(pop), 2)
    with pytest.raises(SortitionError, match="once"):
        draw(SEED, candidates(pop) * 2, 2)
    with pytest.raises(SortitionError, match="not eligible"):
        draw(SEED, candidates(pop), 2, declined={"nobody"})
    with pytest.raises(SortitionError):
        commitment("")


def test_quotas_are_hamilton() -> None:
    assert quotas({("a",): 5, ("b",): 3, ("c",): 2}, 4) == {("a",): 2, ("b",): 1, ("c",): 1}
    assert quotas({("a",): 1, ("b",): 1}, 1) == {("a",): 1, ("b",): 0}  # tie: first group


@given(
    st.integers(1, 80).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.text(min_size=8, max_size=40),
    st.lists(st.sampled_from(["age_band", "household"]), unique=True),
    st.data(),
)
def test_any_draw_is_recomputable_and_well_formed(n_size, seed, strata, data) -> None:
    n, size = n_size
    pop = population(n)
    declined = set(data.draw(st.lists(st.sampled_from(sorted(pop)), max_size=5)))
    result = draw(seed, candidates(pop), size, strata, declined)
    assert list(result.members) == independent_draw(seed, pop, size, strata, declined)
    assert len(result.members) == min(size, n - len(declined))
    assert not set(result.members) & declined
    assert sorted(result.order) == sorted(pop)
    assert sum(seats for _, seats in result.quotas) == size
