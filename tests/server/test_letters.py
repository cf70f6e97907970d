"""Activation letters in bulk: one page per member still to activate, a new code on each (the
old one refused by the server), with the caisse, the allowance, the contribution and the shops."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from nacl.signing import SigningKey
from pypdf import PdfReader

from keys.signed_request import b64url_encode
from server.caisse import channels, dues, households, letters
from server.caisse.letters import LetterError
from server.periods import period_at

from .conftest import Harness, make_caisse
from .test_households import enrol

pytestmark = pytest.mark.anyio
TZ = ZoneInfo("Europe/Brussels")
GIRONDE = {"from": "2020-01", "first_adult_cents": 15000, "extra_adult_cents": 7500,
           "child_cents": 7500}  # fmt: skip
SCHEME = {"from": "2020-01", "kind": "free", "floor_household_cents": 1000,
          "floor_extra_person_cents": 500}  # fmt: skip


@pytest.fixture
async def caisse_api(tmp_path, backend, key_material, clock):
    cfg = await make_caisse(
        tmp_path / "data", backend, key_material, int(clock()),
        allowance_rules=[GIRONDE], contribution_schemes=[SCHEME],
        caisse_name="Caisse alimentaire d'Anderlecht",
        caisse_contact="Rue Wayez 1, 1070 Anderlecht — 02 555 00 00",
        caisse_hours="mardi 14h-17h, samedi 10h-12h",
        sepa_debtor_name="Caisse alimentaire ASBL", sepa_debtor_iban="BE71096123456769",
    )  # fmt: skip
    api = await Harness(cfg, backend, key_material, clock).start()
    clock.advance(60)
    try:
        yield api
    finally:
        await api.stop()


async def make_letters(api: Harness, member_ids=None) -> list[letters.Letter]:
    async with api.ctx.storage.transaction() as q:
        return await letters.activation_letters(
            q, api.cfg, member_ids=member_ids, period=period_at(api.now, TZ).name,
            actor="test", now=api.now,
        )  # fmt: skip


async def activate(api: Harness, code: str, key) -> int:
    r = await api.client.post(
        "/api/v1/wallet/activate",
        json={"code": code, "public_key": b64url_encode(bytes(key.verify_key))},
    )
    return r.status_code


async def test_bulk_letters_one_page_each_and_reprints_refuse_old_codes(caisse_api, tmp_path):
    api = caisse_api
    await api.add_shop("Épicerie Nour")
    await api.add_shop("Boulangerie Ősz")
    async with api.ctx.storage.transaction() as q:
        home = await households.add_household(
            q, api.cfg, adults=2, period=period_at(api.now, TZ).name, now=api.now
        )
        await dues.set_contribution(
            q, api.cfg, home.household_id, monthly_cents=2000,
            from_period=period_at(api.now, TZ).name, current_period=period_at(api.now, TZ).name,
            actor="test", now=api.now,
        )  # fmt: skip
    sahin = await enrol(api, home.household_id, "Şahin Yılmaz")
    other = await enrol(api, home.household_id, "Anne Peeters")
    paper = await api.add_member("Paper Only")
    active = await api.activate()
    async with api.ctx.storage.transaction() as q:
        await channels.set_channel(
            q, api.cfg, None, paper.member_id, "paper", actor="test", now=api.now
        )
        await channels.set_channel(
            q, api.cfg, None, other.member_id, "both", 5000, actor="test", now=api.now
        )

    batch = await make_letters(api)
    # still to activate and using a wallet: not the paper-only member, not the active one
    assert {x.member_id for x in batch} == {sahin.member_id, other.member_id}
    assert active.member_id not in {x.member_id for x in batch}
    by_id = {x.member_id: x for x in batch}
    assert by_id[sahin.member_id].allowance_cents == 11250  # (150 + 75) / 2
    assert by_id[other.member_id].paper_cents == 5000
    assert by_id[sahin.member_id].contribution_cents == 2000
    assert by_id[sahin.member_id].shops == ("Boulangerie Ősz", "Épicerie Nour")

    pdf = tmp_path / "letters.pdf"
    pdf.write_bytes(letters.render_letters(api.cfg, batch, printed_at=api.now))
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2
    text = reader.pages[[x.member_id for x in batch].index(sahin.member_id)].extract_text()
    text = text.replace("\xa0", " ")
    for expected in (
        "Caisse alimentaire d'Anderlecht",
        "Rue Wayez 1",
        "mardi 14h-17h",
        "Şahin Yılmaz",
        "112,50 €",
        "20,00 €",
        home.reference,
        "BE71 0961 2345 6769",
        "Boulangerie Ősz",
        "Épicerie Nour",
        by_id[sahin.member_id].code,
    ):
        assert expected in text, expected

    # reprinted: a new code replaces the old one, which the server now refuses
    (again,) = await make_letters(api, [sahin.member_id])
    assert again.code != by_id[sahin.member_id].code
    key = SigningKey.generate()
    assert await activate(api, by_id[sahin.member_id].code, key) != 200
    assert await activate(api, again.code, key) == 200
    async with api.ctx.storage.read() as q:
        log, _ = await q.console.audit_page(limit=20, offset=0, action="member.letter")
    assert len(log) == 3


async def test_a_paper_only_member_asked_by_name_is_refused(caisse_api):
    api = caisse_api
    member = await api.add_member("Paper")
    async with api.ctx.storage.transaction() as q:
        await channels.set_channel(
            q, api.cfg, None, member.member_id, "paper", actor="test", now=api.now
        )
    with pytest.raises(LetterError):
        await make_letters(api, [member.member_id])
    with pytest.raises(LetterError):
        await make_letters(api, ["0" * 16])


async def test_a_caisse_without_rules_states_its_flat_allowance(api: Harness) -> None:
    member = await api.add_member("Flat")
    (letter,) = await make_letters(api, [member.member_id])
    assert letter.allowance_cents == 15000 and letter.contribution_cents is None
    assert letters.render_letters(api.cfg, [letter], printed_at=api.now).startswith(b"%PDF")
