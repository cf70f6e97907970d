"""The live caisse's runway on SQLite and PostgreSQL: the budget engine fed with the caisse's
households gives what their credentials carry, and the books make the fund's balance."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from nacl.signing import SigningKey

from keys import tokens
from server.caisse import dues, households, members
from server.ledger import books
from server.ledger.runway import RunwayError, parse_budget, runway
from server.ledger.scenario import read_scenario, scenario_toml
from server.ledger.simulation import add_months, simulate
from server.periods import period_at

from .conftest import Harness, Member, make_caisse

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
# Grenoble's 100 / 150 / 200 € with a child at an odd amount, so shares split unevenly.
RULE = {
    "from": "2020-01",
    "first_adult_cents": 10000,
    "extra_adult_cents": 5000,
    "child_cents": 5001,
    "max_household_cents": 20000,
}
SCHEME = {"from": "2020-01", "kind": "free", "floor_household_cents": 100}


async def start(tmp_path, backend, key_material, clock, **config) -> Harness:
    cfg = await make_caisse(
        tmp_path / "data",
        backend,
        key_material,
        int(clock()),
        allowance_rules=[RULE],
        contribution_schemes=[SCHEME],
        **config,
    )
    harness = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    return harness


@pytest.fixture
async def caisse_api(tmp_path, backend, key_material, clock):
    harness = await start(
        tmp_path,
        backend,
        key_material,
        clock,
        budget={
            "opening_balance_cents": 50000,
            "warning_months": 6,
            "horizon_months": 12,
            "subsidies": [{"name": "Ville", "cents_per_year": 240000}],
            "costs": {"coordination_cents_per_month": 1000},
        },
    )
    try:
        yield harness
    finally:
        await harness.stop()


async def household(api: Harness, adults: int, children: int, wallets: int) -> int:
    async with api.ctx.storage.transaction() as q:
        made = await households.add_household(
            q, api.cfg, adults=adults, children=children, period="2026-01", now=api.now
        )
    for n in range(wallets):
        async with api.ctx.storage.transaction() as q:
            out = await members.add_member(
                q, api.cfg, name=f"M{n}", email=None, now=api.now, household_id=made.household_id
            )
        await api.activate(Member(out.member_id, out.activation_code, SigningKey.generate()))
    return made.household_id


async def choose(api: Harness, household_id: int, cents: int, period: str) -> None:
    async with api.ctx.storage.transaction() as q:
        await dues.set_contribution(
            q, api.cfg, household_id, monthly_cents=cents, from_period=period,
            current_period=period, actor="test", now=api.now,
        )  # fmt: skip


async def test_the_engine_gives_what_the_credentials_carry(caisse_api):
    api = caisse_api
    period = period_at(api.now, TZ).name
    shapes = [(1, 0, 1), (1, 1, 1), (2, 1, 2), (3, 2, 1), (2, 3, 2), (1, 0, 0)]
    for adults, children, wallets in shapes:
        await household(api, adults, children, wallets)
    async with api.ctx.storage.read() as q:
        issued = 0
        for m in await q.members():
            for row in await q.credentials_of(m["member_id"], period):
                credential = tokens.decode_credential(bytes(row["cose"]))
                assert isinstance(credential, tokens.Credential)
                issued += credential.allowance_cents
        forecast = (await runway(q, api.cfg, period)).forecast
    # 100 + 150.01 + 200 (capped from 250.01) + 200 (capped) + 200 (capped); no wallet: nothing
    assert issued == 10000 + 15001 + 20000 + 20000 + 20000
    assert forecast.per_month[0].allowances_cents == issued
    assert forecast.per_month[0].households == 5
    kinds = sorted((g.adults, g.children, g.count) for g in forecast.by_household)
    assert kinds == [(1, 0, 1), (1, 1, 1), (2, 1, 1), (2, 3, 1), (3, 2, 1)]
    # the live caisse written as a scenario gives the same months again
    again = read_scenario(scenario_toml(forecast.scenario), "caisse.toml")
    assert simulate(again).per_month == forecast.per_month


async def test_the_runway_counts_the_books_and_forecasts(caisse_api):
    api = caisse_api
    period = period_at(api.now, TZ).name
    last, before = add_months(period, -1), add_months(period, -2)
    one = await household(api, 1, 0, 1)
    two = await household(api, 1, 1, 1)
    await choose(api, one, 2500, period)
    await choose(api, two, 4000, period)
    async with api.ctx.storage.transaction() as q:
        await dues.record_payment(
            q, household_id=one, amount_cents=2500, channel="cash", received_on=f"{before}-12",
            source=None, note=None, actor="test", now=api.now,
        )  # fmt: skip
        await dues.record_payment(
            q, household_id=two, amount_cents=4000, channel="cash", received_on=f"{last}-03",
            source=None, note=None, actor="test", now=api.now,
        )  # fmt: skip
        await books.add_subsidy(
            q, source="commune", amount_cents=30000, received_on=f"{last}-20", note=None,
            actor="test", now=api.now,
        )  # fmt: skip
        # money recorded long before the window still counts in the balance
        await books.add_subsidy(
            q, source="donor", amount_cents=7000, received_on=f"{add_months(period, -30)}-01",
            note=None, actor="test", now=api.now,
        )  # fmt: skip
    async with api.ctx.storage.read() as q:
        r = await runway(q, api.cfg, period)
    assert [(a.period, a.in_cents, a.balance_cents) for a in r.history] == [
        (before, 2500, 50000 + 7000 + 2500),
        (last, 34000, 50000 + 7000 + 2500 + 34000),
    ]
    assert r.fund_cents == 93500
    month = r.forecast.per_month[0]
    assert month.allowances_cents == 10000 + 15001
    assert month.contributions_cents == 6500
    assert month.subsidies_cents == 20000 and month.costs_cents == 1000
    # each month: 6500 + 20000 - 25001 - 1000 = 499 more
    assert [m.balance_cents for m in r.forecast.per_month[:2]] == [93999, 94498]
    assert r.runway_months is None and not r.warning
    assert r.lasts_until == add_months(period, 11)


async def test_a_short_runway_warns(tmp_path, backend, key_material, clock):
    api = await start(
        tmp_path, backend, key_material, clock,
        budget={"opening_balance_cents": 30000, "warning_months": 3},
    )  # fmt: skip
    try:
        await household(api, 1, 0, 1)  # 100 € a month, no contribution chosen
        period = period_at(api.now, TZ).name
        async with api.ctx.storage.read() as q:
            r = await runway(q, api.cfg, period)
        assert r.history == () and r.fund_cents == 30000
        assert [m.balance_cents for m in r.forecast.per_month[:4]] == [20000, 10000, 0, -10000]
        assert r.runway_months == 3 and r.lasts_until == add_months(period, 2)
        assert not r.warning  # three months is the threshold itself
        async with api.ctx.storage.read() as q:
            shorter = await runway(q, api.cfg.with_(budget={"warning_months": 4}), period)
        assert shorter.warning and shorter.fund_cents == 0 and shorter.runway_months == 0
    finally:
        await api.stop()


def test_budget_settings_are_checked():
    assert parse_budget(None).warning_months == 3
    with pytest.raises(RunwayError, match="unknown settings colour"):
        parse_budget({"colour": 1})
    with pytest.raises(RunwayError, match="warning_months must be a whole number"):
        parse_budget({"warning_months": -1})
    with pytest.raises(RunwayError, match=r"budget in config.json: .*cents_per_year or cents_once"):
        parse_budget({"subsidies": [{"name": "Ville"}]})
    budget = parse_budget({"subsidies": [{"name": "Ville", "cents_per_year": 12}]})
    assert budget.subsidies[0].cents_per_year == 12
