"""Democratic conventionnement end to end, over real HTTP with real member keys, on SQLite
and PostgreSQL: proposals put by ``ssa-admin``, ballots signed by wallets, proxies and an
assembly's count, the close and what it changes (a merchant, a withdrawal, a rule)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from nacl.signing import SigningKey

from keys.signed_request import b64url_decode, b64url_encode
from keys.tokens import Credential, decode_credential
from server.caisse.issuing import allowance_for
from server.cli.admin import main

from .conftest import PASSPHRASE, Member, Shop
from .reconcile_helpers import run, scan

pytestmark = pytest.mark.anyio
BRUSSELS = ZoneInfo("Europe/Brussels")
IBAN = "BE71096123456769"


@pytest.fixture
def admin(api, backend, monkeypatch, capsys):
    """``ssa-admin`` on the harness's own caisse, on its clock; (exit code, JSON lines, stderr)."""
    monkeypatch.setenv("SSA_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("server.cli.admin_democracy.now", lambda: api.now)
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]

    async def call(*argv: str) -> tuple[int, list[dict], str]:
        code = await anyio.to_thread.run_sync(main, ["--data", str(api.cfg.data_dir), *db, *argv])
        captured = capsys.readouterr()
        return code, [json.loads(x) for x in captured.out.splitlines() if x.strip()], captured.err

    return call


def day(api, days: int = 0) -> str:
    return (datetime.fromtimestamp(api.now, BRUSSELS).date() + timedelta(days=days)).isoformat()


def after_day(api, days: int, hours: int = 1) -> int:
    """An instant ``hours`` into the local day ``days`` from the clock's day."""
    d = datetime.fromtimestamp(api.now, BRUSSELS).date() + timedelta(days=days)
    return int(datetime(d.year, d.month, d.day, hours, tzinfo=BRUSSELS).timestamp())


async def proposals_of(api, member: Member) -> list[dict]:
    r = await api.signed("GET", "/api/v1/wallet/proposals", member.key)
    assert r.status_code == 200, r.text
    return r.json()["proposals"]


async def vote(api, member: Member, proposal_id: str, choice: str, **extra: Any):
    return await api.signed(
        "POST",
        "/api/v1/wallet/ballots",
        member.key,
        {"proposal_id": proposal_id, "choice": choice, **extra},
    )


async def voted(api, member: Member, proposal_id: str, choice: str, **extra: Any) -> dict:
    r = await vote(api, member, proposal_id, choice, **extra)
    assert r.status_code == 200, r.text
    return r.json()


async def shop_approval(admin, api, *extra: str, closes: int = 2) -> str:
    code, (made,), err = await admin(
        "proposal",
        "add",
        "--kind",
        "shop-approval",
        "--title",
        "Épicerie Le Panier",
        "--shop-name",
        "Le Panier",
        "--iban",
        IBAN,
        "--scope",
        "fruits et légumes",
        "--address",
        "Rue Haute 12, 1000 Bruxelles",
        "--hours",
        "mar-sam 9h-18h",
        "--opens",
        day(api),
        "--closes",
        day(api, closes),
        *extra,
    )
    assert code == 0, err
    assert made["status"] == "open" and made["options"] == ["yes", "no", "abstain"]
    return made["proposal_id"]


async def close(admin, api, proposal_id: str, *, days: int = 3) -> dict:
    api.clock.t = after_day(api, days)
    code, (closed,), err = await admin("proposal", "close", proposal_id)
    assert code == 0, err
    return closed


async def test_a_shop_approved_by_wallet_ballots_an_assembly_count_and_a_proxy(api, admin):
    online = [await api.activate() for _ in range(4)]
    offline = [await api.add_member(f"Présent {i}") for i in range(5)]  # no wallet
    grantor = await api.add_member("Ne peut pas venir")
    pid = await shop_approval(admin, api)

    listed = await proposals_of(api, online[0])
    (item,) = [p for p in listed if p["proposal_id"] == pid]
    assert {k: item[k] for k in ("kind", "title", "status", "my_choice", "options")} == {
        "kind": "shop-approval",
        "title": "Épicerie Le Panier",
        "status": "open",
        "my_choice": None,
        "options": ["yes", "no", "abstain"],
    }
    assert "iban" not in item["details"] and item["details"]["scope"] == "fruits et légumes"

    first = await voted(api, online[0], pid, "yes")
    assert set(first) == {"proposal_id", "choice", "receipt"} and len(first["receipt"]) == 64
    await voted(api, online[1], pid, "yes")
    before = await voted(api, online[2], pid, "no")
    after = await voted(api, online[2], pid, "yes")  # changed before the close
    assert after["receipt"] != before["receipt"] and after["changed"] is True
    await voted(api, online[3], pid, "abstain")
    (mine,) = [p for p in await proposals_of(api, online[2]) if p["proposal_id"] == pid]
    assert mine["my_choice"] == "yes" and mine["my_receipt"] == after["receipt"]
    assert "result" not in mine  # no running tally while the vote is open

    # A member without a phone gives their proxy to online[0], recorded by a volunteer.
    code, (proxy,), err = await admin(
        "proposal", "proxy", pid, "--grantor", grantor.member_id, "--holder", online[0].member_id
    )
    assert code == 0 and proxy["held"] == 1, err
    (held,) = [p for p in await proposals_of(api, online[0]) if p["proposal_id"] == pid]
    assert held["proxies"] == [
        {
            "member_id": grantor.member_id,
            "name": "Ne peut pas venir",
            "choice": None,
            "voted_themselves": False,
        }
    ]
    by_proxy = await voted(api, online[0], pid, "yes", on_behalf_of=grantor.member_id)
    assert by_proxy["on_behalf_of"] == grantor.member_id
    r = await vote(api, online[1], pid, "no", on_behalf_of=grantor.member_id)
    assert (r.status_code, r.json()["error"]) == (403, "NO_PROXY")

    # The monthly meeting: five members present, counted by a show of hands.
    code, _, err = await admin(
        "proposal",
        "assembly",
        pid,
        "--meeting",
        "AG du quartier",
        "--count",
        "yes=3",
        "--count",
        "no=1",
        "--count",
        "abstain=1",
    )
    assert code == 0, err

    api.clock.t = after_day(api, 3)
    late = await vote(api, online[1], pid, "no")
    assert (late.status_code, late.json()["error"]) == (409, "VOTING_CLOSED")
    code, (closed,), err = await admin("proposal", "close", pid)
    assert code == 0, err
    assert {
        k: closed[k]
        for k in ("proposal_id", "status", "eligible", "ballots", "tally", "quorum_met", "outcome")
    } == {
        "proposal_id": pid,
        "status": "closed",
        "eligible": 10,
        "ballots": 10,
        "tally": {"yes": 7, "no": 1, "abstain": 2},
        "quorum_met": True,
        "outcome": "adopted",
    }
    assert closed["channels"] == {
        "wallet": {"yes": 3, "abstain": 1},
        "proxy": {"yes": 1},
        "assembly": {"yes": 3, "no": 1, "abstain": 1},
    }
    applied = closed["applied"]
    assert applied["scope"] == "fruits et légumes" and applied["merchant_id"].startswith(
        "le-panier-"
    )
    assert after["receipt"] in closed["receipts"] and before["receipt"] not in closed["receipts"]
    assert len(closed["receipts"]) == 5 and len(offline) == 5

    # The shopkeeper enrols the till with the code handed over; it learns its scope.
    shop = Shop(applied["merchant_id"], applied["enrollment_code"], SigningKey.generate())
    r = await api.client.post(
        "/api/v1/merchant/enroll",
        json={"code": shop.code, "public_key": b64url_encode(bytes(shop.key.verify_key))},
    )
    assert r.status_code == 200 and r.json()["scope"] == "fruits et légumes"

    # Directory, page, decisions log: public, and never the enrolment code.
    (listed_shop,) = (await api.client.get("/api/v1/shops")).json()["shops"]
    assert listed_shop == {
        "merchant_id": shop.merchant_id,
        "name": "Le Panier",
        "address": "Rue Haute 12, 1000 Bruxelles",
        "hours": "mar-sam 9h-18h",
        "scope": "fruits et légumes",
        "approved_since": day(api),
        "until": None,
    }
    page = await api.client.get("/shops", headers={"Accept-Language": "fr-BE"})
    assert "Accepté pour : fruits et légumes" in page.text and "Le Panier" in page.text
    assert "script" not in page.headers["content-security-policy"]
    (logged,) = (await api.client.get("/api/v1/decisions")).json()["decisions"]
    assert logged["outcome"] == "adopted" and logged["tally"] == closed["tally"]
    assert logged["receipts"] == closed["receipts"]
    assert "enrollment_code" not in json.dumps(logged) and IBAN not in json.dumps(logged)
    assert pid in (await api.client.get("/decisions?lang=nl")).text

    # Each member sees the tally and that their own receipt was counted, nobody else's choice.
    (seen,) = [p for p in await proposals_of(api, online[3]) if p["proposal_id"] == pid]
    assert seen["result"]["tally"] == closed["tally"] and seen["result"]["my_receipt_counted"]
    assert seen["my_choice"] == "abstain" and "yes" not in json.dumps(seen.get("proxies", []))

    # The auditor recounts from the stored ballots and finds the published result.
    code, (recount,), _ = await admin("proposal", "recount", pid)
    assert recount["matches_published"] is True and recount["receipts_invalid"] == []


async def test_quorum_not_met_changes_nothing(api, admin):
    members = [await api.activate() for _ in range(3)]
    for _ in range(7):
        await api.add_member()
    pid = await shop_approval(admin, api, "--quorum-percent", "50")
    for m in members:
        await voted(api, m, pid, "yes")
    closed = await close(admin, api, pid)
    assert (closed["quorum_met"], closed["outcome"], closed["applied"]) == (False, "no-quorum", {})
    assert (await api.client.get("/api/v1/shops")).json()["shops"] == []
    assert (await api.counts())["merchants"] == 0


async def test_two_thirds_just_missed(api, admin):
    members = [await api.activate() for _ in range(2)]
    for _ in range(28):
        await api.add_member()
    pid = await shop_approval(admin, api, "--majority", "two-thirds", "--quorum-percent", "0")
    await voted(api, members[0], pid, "yes")
    await voted(api, members[1], pid, "no")
    await admin(
        "proposal", "assembly", pid, "--meeting", "AG", "--count", "yes=18", "--count", "no=9"
    )
    closed = await close(admin, api, pid)
    assert closed["tally"] == {"yes": 19, "no": 10, "abstain": 0}  # 65.5 % < 2/3
    assert (closed["outcome"], closed["applied"]) == ("rejected", {})


async def test_consent_is_blocked_by_enough_objections_and_a_rule_change_is_scheduled(api, admin):
    members = [await api.activate() for _ in range(5)]
    tz_next = datetime.fromtimestamp(api.now, BRUSSELS).replace(day=1) + timedelta(days=32)
    period = tz_next.strftime("%Y-%m")
    this_month = day(api)[:7]  # before the vote's days pass (they may cross into `period`)
    base = [
        "proposal",
        "add",
        "--kind",
        "rule-change",
        "--topic",
        "allowance",
        "--period",
        period,
        "--value",
        "17500",
        "--opens",
        day(api),
        "--closes",
        day(api),
    ]
    code, (blocked,), err = await admin(
        *base,
        "--title",
        "Allocation à 175 €",
        "--majority",
        "consent",
        "--consent-threshold-percent",
        "25",
    )
    assert code == 0, err
    code, (passed,), err = await admin(*base, "--title", "Allocation à 175 € (bis)")
    assert code == 0 and passed["rule"]["majority"] == "two-thirds", err
    for m, choice in zip(members, ["yes", "yes", "yes", "no", "abstain"], strict=True):
        await voted(api, m, blocked["proposal_id"], choice)  # 1 objection of 5 = 20 %
        await voted(api, m, passed["proposal_id"], "yes")
    await voted(api, members[4], blocked["proposal_id"], "no")  # now 2 of 5 = 40 %
    first = await close(admin, api, blocked["proposal_id"], days=1)
    assert (first["outcome"], first["tally"]["no"], first["applied"]) == ("blocked", 2, {})
    second = await close(admin, api, passed["proposal_id"], days=1)
    assert second["outcome"] == "adopted"
    assert second["applied"] == {"topic": "allowance", "period": period, "value": 17500}
    async with api.ctx.storage.read() as q:
        assert await allowance_for(q, api.cfg, period) == 17500
        assert await allowance_for(q, api.cfg, this_month) == api.cfg.allowance_cents


async def test_who_may_vote_and_when(api, admin):
    member, revoked = await api.activate(), await api.activate()
    shop = await api.enroll()
    code, (later,), _ = await admin(
        "proposal",
        "add",
        "--kind",
        "consultation",
        "--title",
        "Quel jour pour l'AG ?",
        "--option",
        "Samedi",
        "--option",
        "Mercredi soir",
        "--opens",
        day(api, 1),
        "--closes",
        day(api, 2),
    )
    assert later["status"] == "upcoming" and later["options"] == [
        "Samedi",
        "Mercredi soir",
        "abstain",
    ]
    r = await vote(api, member, later["proposal_id"], "Samedi")
    assert (r.status_code, r.json()["error"]) == (409, "VOTING_CLOSED")
    pid = await shop_approval(admin, api)
    r = await vote(api, member, pid, "peut-être")
    assert (r.status_code, r.json()["error"]) == (400, "INVALID_CHOICE")
    r = await api.signed(
        "POST", "/api/v1/wallet/ballots", shop.key, {"proposal_id": pid, "choice": "yes"}
    )
    assert (r.status_code, r.json()["error"]) == (403, "FORBIDDEN")
    r = await vote(api, member, "p-00000000", "yes")
    assert (r.status_code, r.json()["error"]) == (404, "UNKNOWN_PROPOSAL")
    await voted(api, revoked, pid, "no")
    code, _, err = await admin("member", "revoke", revoked.member_id)
    assert code == 0, err
    r = await vote(api, revoked, pid, "yes")
    assert (r.status_code, r.json()["error"]) == (403, "KEY_REVOKED")
    await voted(api, member, pid, "yes")
    closed = await close(admin, api, pid)
    assert closed["eligible"] == 1 and closed["tally"] == {"yes": 1, "no": 0, "abstain": 0}


async def test_a_member_proposes_in_the_wallet_and_the_committee_screens(api, admin):
    member = await api.activate()
    r = await api.signed(
        "POST",
        "/api/v1/wallet/proposals",
        member.key,
        {
            "kind": "shop-approval",
            "title": "La coopérative du coin",
            "details": {"shop_name": "Coop du coin", "scope": "produits laitiers"},
        },
    )
    assert r.status_code == 201 and r.json()["status"] == "screening", r.text
    pid = r.json()["proposal_id"]
    (mine,) = await proposals_of(api, member)
    assert mine["status"] == "screening" and mine["can_vote"] is False
    other = await api.activate()
    assert await proposals_of(api, other) == []  # not yet put to the vote
    code, _, err = await admin("proposal", "screen", pid, "--opens", day(api), "--closes", day(api))
    assert code == 1 and "IBAN" in err
    code, (screened,), err = await admin(
        "proposal", "screen", pid, "--opens", day(api), "--closes", day(api), "--iban", IBAN
    )
    assert code == 0 and screened["status"] == "open", err
    assert (
        screened["details"]["iban"] == IBAN
        and screened["proposed_by"] == f"member:{member.member_id}"
    )


async def current_credential(api, member: Member, at: int) -> bytes:
    """The member's credential valid at ``at`` (next month's near a month's end)."""
    r = await api.signed("GET", "/api/v1/wallet/credential", member.key)
    for text in r.json()["credentials"]:
        cose = b64url_decode(text)
        cred = decode_credential(cose)
        assert isinstance(cred, Credential)
        if cred.nbf <= at < cred.exp:
            return cose
    raise AssertionError("no credential in force")


class Payer:
    """A member's wallet paying at given instants (seq and cum kept per credential)."""

    def __init__(self, api, member: Member) -> None:
        self.api, self.member, self.counters = api, member, {}

    async def qr(self, amount: int, at: int) -> str:
        self.api.clock.t = at
        cred = await current_credential(self.api, self.member, at)
        seq, cum = self.counters.get(cred, (0, 0))
        self.counters[cred] = (seq + 1, cum + amount)
        return self.member.pay(amount, seq + 1, cum + amount, at - 30, credential=cred)


async def test_a_withdrawn_shop_is_refused_from_the_date_decided_and_paid_before(api, admin):
    voters = [await api.activate() for _ in range(2)]
    payer = Payer(api, voters[0])
    shop = await api.enroll(await api.add_shop("Supérette"))
    code, (made,), err = await admin(
        "proposal",
        "add",
        "--kind",
        "shop-withdrawal",
        "--title",
        "Retirer la Supérette",
        "--merchant",
        shop.merchant_id,
        "--effective",
        day(api, 2),
        "--reason",
        "ne respecte plus la charte",
        "--opens",
        day(api),
        "--closes",
        day(api),
    )
    assert code == 0 and made["details"]["effective"] == day(api, 2), err
    for m in voters:
        await voted(api, m, made["proposal_id"], "yes")
    closed = await close(admin, api, made["proposal_id"], days=1)
    assert closed["outcome"] == "adopted" and closed["applied"]["in_effect"] is False
    assert closed["applied"]["withdrawn_date"] == day(api, 1)  # the clock is one day on
    noon, evening, next_day = after_day(api, 0, 12), after_day(api, 0, 23) + 3400, after_day(api, 1)

    # The day before the withdrawal: paid, and so is a payment of that late evening that
    # the till uploads only the next day.
    qr1 = await payer.qr(500, noon)
    r = await api.upload(shop, [scan(qr1, noon - 10)])
    assert r.json()["received"] == 1, r.text
    qr2 = await payer.qr(300, evening)
    assert (await api.client.get("/api/v1/shops")).json()["shops"][0]["until"] == day(api, 1)

    api.clock.t = next_day
    code, (due,), err = await admin("decisions", "apply-due")
    assert code == 0 and due["withdrawn"] == [shop.merchant_id] and due["trust_list_seq"], err
    assert (await api.client.get("/api/v1/shops")).json()["shops"] == []
    r = await api.upload(shop, [scan(qr2, evening - 10)])
    assert r.status_code == 200 and r.json()["received"] == 1, r.text
    qr3 = await payer.qr(200, next_day + 60)
    r = await api.upload(shop, [scan(qr3, next_day + 50)])
    assert (r.json()["received"], r.json()["rejected"]) == (0, 1)
    async with api.ctx.storage.read() as q:
        codes = await q.conn.fetchall(
            "SELECT code FROM scans WHERE merchant_id = ? ORDER BY scanned_at", shop.merchant_id
        )
    assert [c[0] for c in codes] == ["OK", "OK", "MERCHANT_WITHDRAWN"]
    # the till learns it at its next sync, and stops accepting payments
    r = await api.signed("GET", "/api/v1/merchant/status", shop.key)
    assert (r.status_code, r.json()["error"]) == (403, "MERCHANT_WITHDRAWN")
    summary = await run(api)
    assert summary.total_cents == 800
    code, _, err = await admin("merchant", "code", shop.merchant_id)
    assert code == 1  # no new till for a withdrawn shop


def independent_draw(
    seed: str, eligible: list[dict], size: int, strata: list[str], declined: set[str]
) -> list[str]:
    """The published procedure, rewritten from docs/democracy.md, on the published inputs."""
    rank = sorted(
        (e["pseudonym"] for e in eligible),
        key=lambda p: hashlib.sha256(f"{seed}\n{p}".encode()).hexdigest(),
    )
    group = {e["pseudonym"]: tuple(e["strata"].get(s, "unknown") for s in strata) for e in eligible}
    sizes = Counter(group.values())
    n = len(eligible)
    seats = {g: size * k // n for g, k in sizes.items()}
    for g in sorted(sizes, key=lambda g: (-(size * sizes[g] % n), g))[: size - sum(seats.values())]:
        seats[g] += 1
    chosen, unfilled = set(), 0
    for g in sorted(sizes):
        free = [p for p in rank if group[p] == g and p not in declined]
        chosen |= set(free[: seats[g]])
        unfilled += max(0, seats[g] - len(free))
    for p in rank:
        if unfilled and p not in chosen and p not in declined:
            chosen.add(p)
            unfilled -= 1
    return [p for p in rank if p in chosen]


async def test_a_panel_drawn_by_lot_is_recomputed_from_what_is_published(api, admin):
    members = [await api.activate() for _ in range(12)]
    for i, m in enumerate(members):
        code, _, err = await admin(
            "member",
            "strata",
            m.member_id,
            "--age-band",
            ["18-34", "35-64", "65+"][i % 3],
            "--household",
            "famille" if i % 2 else "seul",
        )
        assert code == 0, err
    seed = "tirage-AG-2026: 07 11 23 30 41"
    commitment = hashlib.sha256(seed.encode()).hexdigest()
    code, (announced,), err = await admin(
        "panel", "announce", "--size", "4", "--strata", "age_band", "--commitment", commitment
    )
    assert code == 0, err
    panel_id = announced["panel_id"]
    code, _, err = await admin("panel", "draw", "--panel", panel_id, "--seed", seed + "x")
    assert code == 1 and "commitment" in err
    code, (drawn,), err = await admin("panel", "draw", "--panel", panel_id, "--seed", seed)
    assert code == 0 and drawn["seed"] == seed and drawn["commitment"] == commitment, err
    assert len(drawn["members"]) == 4 and drawn["announced_first"] is True

    published = (await api.client.get(f"/api/v1/panels/{panel_id}")).json()
    assert "member_id" not in json.dumps(published["eligible"])
    assert published["members"] == independent_draw(
        published["seed"], published["eligible"], published["size"], published["strata"], set()
    )
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == published["commitment"]

    code, (after,), err = await admin("panel", "decline", panel_id, drawn["members"][0])
    assert code == 0 and len(after["replaced_by"]) == 1, err
    published = (await api.client.get(f"/api/v1/panels/{panel_id}")).json()
    assert published["members"] == independent_draw(
        seed, published["eligible"], 4, ["age_band"], set(published["declined"])
    )

    # A vote by that panel: only its members may vote.
    pid = await shop_approval(admin, api, "--deciders", "panel", "--panel", panel_id)
    seated = set(after["members"])
    inside = next(m for m in members if m.member_id in seated)
    outside = next(m for m in members if m.member_id not in seated)
    await voted(api, inside, pid, "yes")
    r = await vote(api, outside, pid, "yes")
    assert (r.status_code, r.json()["error"]) == (403, "NOT_ELIGIBLE")
    closed = await close(admin, api, pid)
    assert closed["eligible"] == 4 and closed["outcome"] == "adopted"


async def test_a_withdrawal_whose_date_has_passed_takes_effect_at_the_close(api, admin):
    from server.app import _withdrawals_due

    voter = await api.activate()
    shop = await api.enroll(await api.add_shop("Ancienne épicerie"))
    code, (made,), err = await admin(
        "proposal",
        "add",
        "--kind",
        "shop-withdrawal",
        "--title",
        "Retirer l'épicerie",
        "--merchant",
        shop.merchant_id,
        "--opens",
        day(api),
        "--closes",
        day(api),
    )
    assert code == 0, err
    await voted(api, voter, made["proposal_id"], "yes")
    async with api.ctx.storage.read() as q:
        before = (await q.latest_trust_list())["seq"]
    closed = await close(admin, api, made["proposal_id"], days=1)  # default: the day after
    assert closed["applied"]["in_effect"] is True and closed["applied"]["trust_list_seq"] > before
    async with api.ctx.storage.read() as q:
        assert (await q.merchant(shop.merchant_id))["status"] == "withdrawn"
    await _withdrawals_due(api.ctx)  # the server's loop: nothing left to do, nothing twice
    async with api.ctx.storage.read() as q:
        assert (await q.latest_trust_list())["seq"] == closed["applied"]["trust_list_seq"]


async def test_an_assembly_count_cannot_exceed_the_members_taking_part(api, admin):
    members = [await api.activate() for _ in range(3)]
    pid = await shop_approval(admin, api)
    await voted(api, members[0], pid, "yes")
    code, _, err = await admin("proposal", "assembly", pid, "--meeting", "AG", "--count", "yes=3")
    assert code == 1 and "more votes than the 3 members" in err
    code, _, err = await admin("proposal", "assembly", pid, "--meeting", "AG", "--count", "yes=2")
    assert code == 0, err


async def test_the_charter_statutes_assessments_and_a_review_that_withdraws(api, admin, tmp_path):
    voters = [await api.activate() for _ in range(3)]
    code, (rule,), err = await admin("statutes", "set", "shop-approval", "--quorum-percent", "50")
    assert code == 0 and rule["rule"]["quorum_percent"] == 50, err
    code, (rules,), _ = await admin("statutes", "show")
    assert rules["shop-approval"]["quorum_percent"] == 50
    assert rules["rule-change"]["majority"] == "two-thirds"

    # A new charter, adopted by a rule change, is the next version from its month.
    month = day(api)[:7]
    charter = tmp_path / "charter.json"
    charter.write_text(
        json.dumps(
            [
                {
                    "id": "local",
                    "name": "Circuit court",
                    "description": "Producteurs à moins de 50 km.",
                    "assessment": "Liste des fournisseurs.",
                },
                {
                    "id": "prices",
                    "name": "Prix accessibles",
                    "description": "Panier de 15 produits.",
                    "assessment": "Relevé de prix.",
                },
            ]
        )
    )
    code, (change,), err = await admin(
        "proposal",
        "add",
        "--kind",
        "rule-change",
        "--title",
        "Nouvelle charte",
        "--topic",
        "charter",
        "--period",
        month,
        "--value-file",
        str(charter),
        "--opens",
        day(api),
        "--closes",
        day(api),
    )
    assert code == 0, err
    for m in voters:
        await voted(api, m, change["proposal_id"], "yes")
    closed = await close(admin, api, change["proposal_id"], days=1)
    assert closed["applied"]["charter_version"] == 1
    code, (shown,), _ = await admin("charter", "show")
    assert shown["version"] == 1 and [c["id"] for c in shown["criteria"]] == ["local", "prices"]

    # The committee assesses a shop against it; the shop is approved for a month.
    pid = await shop_approval(admin, api, "--review-months", "1", closes=0)
    assessment = tmp_path / "assessment.json"
    assessment.write_text(
        json.dumps(
            {
                "evaluations": [
                    {
                        "criterion": "local",
                        "evaluation": "meets",
                        "justification": "3 fermes du Brabant",
                    },
                ],
                "summary": "incomplet",
            }
        )
    )
    code, _, err = await admin("proposal", "assess", pid, "--file", str(assessment))
    assert code == 1 and "each criterion" in err
    assessment.write_text(
        json.dumps(
            {
                "evaluations": [
                    {
                        "criterion": "local",
                        "evaluation": "meets",
                        "justification": "3 fermes du Brabant",
                    },
                    {
                        "criterion": "prices",
                        "evaluation": "partly",
                        "justification": "légumes +8 %",
                    },
                ],
                "summary": "favorable",
            }
        )
    )
    code, (assessed,), err = await admin("proposal", "assess", pid, "--file", str(assessment))
    assert code == 0 and assessed["charter_version"] == 1, err
    code, (shown,), _ = await admin("proposal", "show", pid)
    assert shown["assessments"][0]["evaluations"][1]["evaluation"] == "partly"
    for m in voters[:2]:
        await voted(api, m, pid, "yes")  # 2 of 3: the statutes' 50 % quorum is met
    approved = await close(admin, api, pid, days=1)
    merchant_id = approved["applied"]["merchant_id"]

    # A month on, its review is due; it becomes a proposal; the members say no.
    api.clock.advance(32 * 86400)
    code, due, _ = await admin("proposal", "reviews")
    assert [d["merchant_id"] for d in due] == [merchant_id]
    code, (review,), err = await admin(
        "proposal", "reviews", "--propose", "--opens", day(api), "--closes", day(api)
    )
    assert code == 0 and review["kind"] == "shop-review", err
    code, again, _ = await admin("proposal", "reviews")
    assert again == []  # a vote is about it now
    for m in voters:
        await voted(api, m, review["proposal_id"], "no")
    ended = await close(admin, api, review["proposal_id"], days=1)
    assert ended["outcome"] == "rejected" and ended["applied"]["in_effect"] is True
    assert (await api.client.get("/api/v1/shops")).json()["shops"] == []
