"""The committee's monthly meeting in the console, through real HTTP on SQLite and
PostgreSQL: a proposal entered for a member, a proxy and an assembly's count recorded,
wallet ballots, the close showing what to hand the shopkeeper, the auditor's recount."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import ADMIN, OPERATOR, Console

pytestmark = pytest.mark.anyio
BRUSSELS = ZoneInfo("Europe/Brussels")
CODE = re.compile(r'id="enrolment-code">([^<]+)<')


def day(api, offset: int = 0) -> str:
    return (datetime.fromtimestamp(api.now, BRUSSELS).date() + timedelta(days=offset)).isoformat()


async def login(api, who: tuple[str, str]) -> Console:
    """A fresh session (the clock jumps over the night: the earlier ones have ended)."""
    console = Console(api)
    assert (await console.login(*who)).status_code == 303
    await console.get("/admin/")
    return console


def next_morning(api) -> int:
    d = datetime.fromtimestamp(api.now, BRUSSELS).date() + timedelta(days=1)
    return int(datetime(d.year, d.month, d.day, 9, tzinfo=BRUSSELS).timestamp())


async def test_a_vote_run_from_the_console_approves_a_shop(admin, operator) -> None:
    api = admin.api
    voters = [await api.activate() for _ in range(2)]
    grantor = await api.add_member("Sans téléphone")
    r = await operator.post(
        "/admin/proposals/new",
        {
            "kind": "shop-approval",
            "title": "Agréer Bio Marolles",
            "proposed_by": "AG de mars",
            "shop_name": "Bio Marolles",
            "iban": "BE71 0961 2345 6769",
            "scope": "fruits et légumes",
            "address": "Rue Blaes 100",
            "opens": day(api),
            "closes": day(api),
        },
    )
    assert r.status_code == 303, r.text
    pid = r.headers["location"].split("/")[-1].split("?")[0]
    page = await operator.get(f"/admin/proposals/{pid}?done=proposal_added")
    assert "Agréer Bio Marolles" in page.text and "The proposal is entered." in page.text
    assert (
        "Record an assembly&#39;s count" in page.text or "Record an assembly's count" in page.text
    )

    r = await operator.post(
        f"/admin/proposals/{pid}/proxy",
        {"grantor": grantor.member_id, "holder": voters[0].member_id},
    )
    assert r.status_code == 303, r.text
    r = await operator.post(
        f"/admin/proposals/{pid}/proxy",
        {"grantor": grantor.member_id, "holder": voters[1].member_id},
    )
    assert r.status_code == 409 and "already given a proxy" in r.text
    r = await operator.post(
        f"/admin/proposals/{pid}/assembly",
        {"meeting": "AG de mars", "count_0": "4", "count_1": "x"},
    )
    assert r.status_code == 400 and "whole number" in r.text
    r = await operator.post(
        f"/admin/proposals/{pid}/assembly",
        {"meeting": "AG de mars", "count_0": "1", "count_1": "0"},
    )
    assert r.status_code == 303, r.text
    for m in voters:
        signed = await api.signed(
            "POST", "/api/v1/wallet/ballots", m.key, {"proposal_id": pid, "choice": "yes"}
        )
        assert signed.status_code == 200
    signed = await api.signed(
        "POST",
        "/api/v1/wallet/ballots",
        voters[0].key,
        {"proposal_id": pid, "choice": "no", "on_behalf_of": grantor.member_id},
    )
    assert signed.status_code == 200, signed.text
    page = await operator.get(f"/admin/proposals/{pid}")
    assert "3 ballots in the wallets" in page.text and "Assembly AG de mars:" in page.text
    assert "Close the vote" not in page.text  # still open

    api.clock.t = next_morning(api)
    operator, admin = await login(api, OPERATOR), await login(api, ADMIN)
    r = await operator.post(f"/admin/proposals/{pid}/close")
    assert r.status_code == 200, r.text
    assert "Result: adopted" in r.text and "Hand this to the shopkeeper" in r.text
    code = CODE.search(r.text)[1]
    assert '<svg class="qr"' in r.text and "fruits et légumes" in r.text
    listed = await operator.get("/admin/proposals")
    assert "closed" in listed.text
    shops = await operator.get("/admin/shops")
    assert "Bio Marolles" in shops.text
    again = await operator.post(f"/admin/proposals/{pid}/close")
    assert again.status_code == 409
    assert code not in (await operator.get(f"/admin/proposals/{pid}")).text  # shown once

    assert (await operator.get(f"/admin/proposals/{pid}/recount")).status_code == 403
    recount = await admin.get(f"/admin/proposals/{pid}/recount")
    assert "The recount matches the published result." in recount.text

    audit = await admin.get("/admin/audit")
    assert "proposal.close" in audit.text and "assembly.count" in audit.text
    await operator.close()
    await admin.close()


async def test_the_committee_screens_a_members_proposal(operator) -> None:
    api = operator.api
    member = await api.activate()
    r = await api.signed(
        "POST",
        "/api/v1/wallet/proposals",
        member.key,
        {
            "kind": "consultation",
            "title": "Quel jour pour l'AG ?",
            "options": ["Samedi", "Mercredi soir"],
        },
    )
    pid = r.json()["proposal_id"]
    page = await operator.get(f"/admin/proposals/{pid}")
    assert "Screening by the committee" in page.text
    r = await operator.post(f"/admin/proposals/{pid}/screen", {"decision": "set-aside", "note": ""})
    assert r.status_code == 400 and "say why" in r.text
    r = await operator.post(
        f"/admin/proposals/{pid}/screen",
        {"decision": "schedule", "opens": day(api), "closes": day(api, 3)},
    )
    assert r.status_code == 303
    page = await operator.get(f"/admin/proposals/{pid}", headers={"Accept-Language": "nl"})
    assert "stemming open" in page.text


async def test_a_bad_proposal_form_says_what_to_fix(operator) -> None:
    r = await operator.post("/admin/proposals/new", {"kind": "shop-approval", "title": ""})
    assert r.status_code == 400 and "Give the proposal a title." in r.text
    r = await operator.post(
        "/admin/proposals/new",
        {
            "kind": "shop-approval",
            "title": "Sans IBAN",
            "shop_name": "X",
            "opens": day(operator.api),
            "closes": day(operator.api),
        },
    )
    assert r.status_code == 400 and "IBAN" in r.text
    assert (await operator.get("/admin/proposals/p-00000000")).status_code == 404
