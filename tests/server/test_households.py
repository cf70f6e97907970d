"""Households and their shares of the allowance, in real credentials, on SQLite and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from nacl.signing import SigningKey

from keys import tokens
from server.caisse import households, members
from server.caisse.households import HouseholdError
from server.caisse.issuing import credentials_for
from server.periods import period_at

from .conftest import Harness, Member, make_caisse

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
# Geneva's rule with a child at an odd amount, so shares have a cent left over.
ODD = {
    "from": "2020-01",
    "first_adult_cents": 15000,
    "extra_adult_cents": 15000,
    "child_cents": 7501,
}


def allowance_of(credential: bytes) -> int:
    decoded = tokens.decode_credential(credential)
    assert isinstance(decoded, tokens.Credential)
    return decoded.allowance_cents


@pytest.fixture
async def rules_api(tmp_path, backend, key_material, clock):
    current = period_at(clock(), TZ)
    later = {
        "from": current.next(TZ).name,
        "first_adult_cents": 20000,
        "extra_adult_cents": 10000,
        "child_cents": 5000,
    }
    cfg = await make_caisse(
        tmp_path / "data", backend, key_material, int(clock()), allowance_rules=[ODD, later]
    )
    harness = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    try:
        yield harness
    finally:
        await harness.stop()


async def enrol(api: Harness, household_id: int | None, name: str = "M") -> Member:
    async with api.ctx.storage.transaction() as q:
        out = await members.add_member(
            q, api.cfg, name=name, email=None, now=api.now, household_id=household_id
        )
    assert out.household_id is not None
    return Member(out.member_id, out.activation_code, SigningKey.generate())


async def new_household(api: Harness, adults: int, children: int = 0) -> households.Household:
    async with api.ctx.storage.transaction() as q:
        return await households.add_household(
            q, api.cfg, adults=adults, children=children, period="2026-01", now=api.now
        )


async def test_a_household_allowance_is_shared_among_its_wallets_to_the_cent(rules_api):
    api = rules_api
    house = await new_household(api, adults=2, children=1)
    assert house.allowance_cents == 37501
    ada, bob = await enrol(api, house.household_id, "Ada"), await enrol(api, house.household_id)
    first, second = await api.activate(ada), await api.activate(bob)
    shares = [allowance_of(first.credential), allowance_of(second.credential)]
    assert sorted(shares) == [18750, 18751] and sum(shares) == 37501
    async with api.ctx.storage.read() as q:
        fixed = await q.households.household_shares(house.household_id, period_at(api.now, TZ).name)
    assert sum(r["share_cents"] for r in fixed) == 37501
    # A third adult cannot join: two adults, both hold a wallet.
    with pytest.raises(HouseholdError, match="all with a wallet"):
        await enrol(api, house.household_id)


async def test_shares_the_household_chooses_and_changes_wait_for_the_next_month(rules_api):
    api = rules_api
    house = await new_household(api, adults=2)
    ada, bob = await enrol(api, house.household_id), await enrol(api, house.household_id)
    async with api.ctx.storage.transaction() as q:
        await households.edit_household(
            q,
            api.cfg,
            house.household_id,
            weights={ada.member_id: 2, bob.member_id: 1},
            period="2026-01",
            now=api.now,
        )
    ada, bob = await api.activate(ada), await api.activate(bob)
    assert (allowance_of(ada.credential), allowance_of(bob.credential)) == (20000, 10000)
    # Even shares from now on: this month's credentials keep their amounts.
    async with api.ctx.storage.transaction() as q:
        await households.edit_household(
            q,
            api.cfg,
            house.household_id,
            weights={ada.member_id: 1, bob.member_id: 1},
            children=2,
            period="2026-01",
            now=api.now,
        )
        again = await credentials_for(
            q,
            api.cfg,
            api.ctx.keyring,
            member_id=ada.member_id,
            sub=bytes.fromhex(ada.member_id),
            public_key=bytes(ada.key.verify_key),
            now=api.now,
        )
    assert again[0] == ada.credential


async def test_a_rule_change_takes_effect_at_the_next_period_never_mid_month(rules_api):
    api = rules_api
    house = await new_household(api, adults=2, children=1)
    ada = await api.activate(await enrol(api, house.household_id))
    assert allowance_of(ada.credential) == 37501  # alone with a wallet: the whole allowance
    current = period_at(api.now, TZ)
    # An edit of config.json that would change the current month changes nothing now.
    hasty = api.cfg.with_(
        allowance_rules=[
            ODD,
            {
                "from": current.name,
                "first_adult_cents": 1000,
                "extra_adult_cents": 0,
                "child_cents": 0,
            },
        ]
    )
    carol = await enrol(api, None)
    async with api.ctx.storage.transaction() as q:
        creds = await credentials_for(
            q,
            hasty,
            api.ctx.keyring,
            member_id=carol.member_id,
            sub=bytes.fromhex(carol.member_id),
            public_key=bytes(carol.key.verify_key),
            now=api.now,
        )
    assert allowance_of(creds[0]) == 15000
    # Next month: the rule that takes effect then (20000 + 10000 + 5000).
    nxt = current.next(TZ)
    async with api.ctx.storage.transaction() as q:
        creds = await credentials_for(
            q,
            api.cfg,
            api.ctx.keyring,
            member_id=ada.member_id,
            sub=bytes.fromhex(ada.member_id),
            public_key=bytes(ada.key.verify_key),
            now=nxt.nbf + 3600,
        )
    decoded = tokens.decode_credential(creds[0])
    assert isinstance(decoded, tokens.Credential) and decoded.nbf == nxt.nbf
    assert decoded.allowance_cents == 35000


async def test_without_rules_every_member_keeps_the_flat_allowance(api):
    house = await new_household(api, adults=2, children=3)
    one = await api.activate(await enrol(api, house.household_id))
    two = await api.activate(await enrol(api, house.household_id))
    alone = await api.activate()
    assert {allowance_of(m.credential) for m in (one, two, alone)} == {api.cfg.allowance_cents}
    async with api.ctx.storage.read() as q:
        assert await q.households.member_household(alone.member_id) is not None
        assert await q.households.count() == 2


async def test_structured_communications_have_valid_check_digits():
    from stdnum.be import ogm_vcs

    for household_id in (1, 42, 96, 97, 4_294_967, 9_999_999_999):
        digits = households.reference_digits(household_id)
        assert len(digits) == 12 and ogm_vcs.is_valid(digits)
        assert int(digits[:10]) % 97 == int(digits[10:]) % 97
        text = households.format_reference(digits)
        assert ogm_vcs.compact(text) == digits and text.startswith("+++")
    assert households.reference_digits(97)[-2:] == "97"  # a multiple of 97 checks as 97


@pytest.fixture
async def suspend_api(tmp_path, backend, key_material, clock):
    cfg = await make_caisse(
        tmp_path / "data",
        backend,
        key_material,
        int(clock()),
        contribution_unpaid="suspend",
        contribution_schemes=[{"from": "2020-01", "kind": "free"}],
    )
    harness = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    try:
        yield harness
    finally:
        await harness.stop()


async def test_a_caisse_that_suspends_gives_nothing_to_a_household_two_months_behind(suspend_api):
    api = suspend_api
    from server.caisse import contributions, dues

    late, fine = await enrol(api, None), await enrol(api, None)
    current = period_at(api.now, TZ)
    two_ago = period_at(period_at(current.nbf - 1, TZ).nbf - 1, TZ).name
    assert contributions.months(two_ago, current.name)[-3] == two_ago
    async with api.ctx.storage.transaction() as q:
        for member in (late, fine):
            hid = await q.households.member_household(member.member_id)
            await q.households.insert_choice(hid, two_ago, 1000, None, None, False, "free", "t", 0)
        hid = await q.households.member_household(fine.member_id)
        await dues.record_payment(
            q,
            household_id=hid,
            amount_cents=1000,
            channel="cash",
            received_on="2020-01-01",
            source=None,
            note=None,
            actor="t",
            now=api.now,
        )
    late, fine = await api.activate(late), await api.activate(fine)
    assert allowance_of(late.credential) == 0
    assert allowance_of(fine.credential) == api.cfg.allowance_cents


async def test_before_the_first_rule_version_each_member_keeps_the_flat_allowance(
    tmp_path, backend, key_material, clock
):
    current = period_at(clock(), TZ)
    first = {
        "from": current.next(TZ).name,
        "first_adult_cents": 10000,
        "extra_adult_cents": 10000,
        "child_cents": 5000,
    }
    cfg = await make_caisse(
        tmp_path / "data", backend, key_material, int(clock()), allowance_rules=[first]
    )
    api = await Harness(cfg, backend, key_material, clock).start()
    try:
        clock.advance(60)
        house = await new_household(api, adults=2, children=2)
        ada = await api.activate(await enrol(api, house.household_id))
        assert allowance_of(ada.credential) == cfg.allowance_cents  # flat, as before rules
        async with api.ctx.storage.transaction() as q:
            creds = await credentials_for(
                q,
                cfg,
                api.ctx.keyring,
                member_id=ada.member_id,
                sub=bytes.fromhex(ada.member_id),
                public_key=bytes(ada.key.verify_key),
                now=current.exp + 3600,
            )
        assert allowance_of(creds[0]) == 30000  # the household's, all to its one wallet
    finally:
        await api.stop()
