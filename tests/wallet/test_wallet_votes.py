"""The wallet's votes and "Où payer ?" in real Chromium against the real caisse server:
a ballot signed with the member's key, changed before the close, the directory with a
shop's scope, both shown again offline from the wallet's own storage."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from wallet_browser import violations, wait_offline_ready, wait_ready

from tests.conftest import now_s

BRUSSELS = ZoneInfo("Europe/Brussels")


def day(offset: int = 0) -> str:
    return (datetime.fromtimestamp(now_s(), BRUSSELS).date() + timedelta(days=offset)).isoformat()


def test_a_member_votes_changes_the_vote_and_finds_where_to_pay_offline(new_page, real_server):
    shop = real_server.admin(
        "merchant",
        "add",
        "--name",
        "Supermarché du Midi",
        "--iban",
        "BE71096123456769",
        "--address",
        "Avenue Fonsny 1, 1060 Saint-Gilles",
        "--hours",
        "lun-sam 8h-20h",
        "--scope",
        "fruits et légumes",
    )
    assert shop["scope"] == "fruits et légumes"
    proposal = real_server.admin(
        "proposal",
        "add",
        "--kind",
        "shop-approval",
        "--title",
        "Agréer la Ferme du Chant",
        "--shop-name",
        "Ferme du Chant",
        "--iban",
        "BE71096123456769",
        "--scope",
        "produits laitiers",
        "--address",
        "Rue des Champs 3, 1070 Anderlecht",
        "--opens",
        day(),
        "--closes",
        day(7),
    )
    pid = proposal["proposal_id"]
    member = real_server.admin("member", "add", "--name", "Amina")

    page = new_page(locale="fr-BE", bypass_csp=False)
    page.goto(member["activation_url"])
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    card = page.get_by_test_id(f"proposal-{pid}")
    expect(card.get_by_role("heading")).to_have_text("Agréer la Ferme du Chant")
    expect(card).to_contain_text("Accepté pour : produits laitiers")
    expect(card).to_contain_text("Vote ouvert jusqu’au")

    card.get_by_label("Oui").check()
    card.get_by_role("button", name="Voter").click()
    expect(card.get_by_test_id("my-vote")).to_have_text("Votre vote : Oui")
    expect(page.locator("#votes-status")).to_have_text("Vote enregistré.")
    receipt = card.locator(".receipt code").inner_text()
    assert len(receipt) == 64
    assert real_server.admin("proposal", "show", pid)["ballots_so_far"] == 1

    card.get_by_label("Non").check()
    card.get_by_role("button", name="Changer mon vote").click()
    expect(card.get_by_test_id("my-vote")).to_have_text("Votre vote : Non")
    assert card.locator(".receipt code").inner_text() != receipt
    assert real_server.admin("proposal", "show", pid)["ballots_so_far"] == 1  # one per member

    shops = page.get_by_test_id("shops")
    item = shops.get_by_test_id("shop-item").filter(has_text="Supermarché du Midi")
    expect(item).to_contain_text("Accepté pour : fruits et légumes")
    expect(item).to_contain_text("Avenue Fonsny 1, 1060 Saint-Gilles")
    expect(item).to_contain_text("lun-sam 8h-20h")

    # Offline: the wallet shows what it kept, and says a vote needs the network.
    wait_offline_ready(page)
    page.context.set_offline(True)
    page.reload()
    wait_ready(page)
    card = page.get_by_test_id(f"proposal-{pid}")
    expect(card.get_by_test_id("my-vote")).to_have_text("Votre vote : Non")
    expect(page.get_by_test_id("votes-note")).to_contain_text("Connectez-vous pour voter")
    expect(card.get_by_role("button", name="Changer mon vote")).to_be_disabled()
    expect(
        page.get_by_test_id("shops")
        .get_by_test_id("shop-item")
        .filter(has_text="Supermarché du Midi")
    ).to_contain_text("Accepté pour : fruits et légumes")
    expect(page.get_by_test_id("shops-note")).to_contain_text("Liste mise à jour le")

    # The same screens in Dutch.
    page.get_by_test_id("language").select_option("nl")
    expect(page.get_by_test_id("shops")).to_contain_text("Aanvaard voor: fruits et légumes")
    expect(page.get_by_test_id(f"proposal-{pid}").get_by_test_id("my-vote")).to_have_text(
        "Jouw stem: Nee"
    )


def test_the_vote_and_shop_screens_have_no_axe_violation(new_page, real_server):
    real_server.admin(
        "proposal",
        "add",
        "--kind",
        "consultation",
        "--title",
        "Quel jour pour l’assemblée ?",
        "--option",
        "Samedi matin",
        "--option",
        "Mercredi soir",
        "--opens",
        day(),
        "--closes",
        day(3),
    )
    member = real_server.admin("member", "add", "--name", "Jef")
    page = new_page(locale="nl-BE", bypass_csp=True)
    page.goto(member["activation_url"])
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    expect(page.get_by_test_id("votes")).to_contain_text("Quel jour pour l’assemblée ?")
    page.get_by_test_id("votes").get_by_label("Mercredi soir").first.check()
    assert violations(page) == [], "votes and shops"


def test_a_member_votes_for_one_who_gave_them_a_proxy(new_page, real_server):
    proposal = real_server.admin(
        "proposal",
        "add",
        "--kind",
        "shop-withdrawal",
        "--title",
        "Retirer le Supermarché",
        "--merchant",
        real_server.admin(
            "merchant", "add", "--name", "Supermarché Nord", "--iban", "BE71096123456769"
        )["merchant_id"],
        "--opens",
        day(),
        "--closes",
        day(2),
    )
    pid = proposal["proposal_id"]
    holder = real_server.admin("member", "add", "--name", "Karim")
    grantor = real_server.admin("member", "add", "--name", "Rosa sans téléphone")
    page = new_page(locale="fr-BE")
    page.goto(holder["activation_url"])
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    real_server.admin(
        "proposal", "proxy", pid, "--grantor", grantor["member_id"], "--holder", holder["member_id"]
    )
    page.get_by_role("button", name="Mettre à jour").click()
    card = page.get_by_test_id(f"proposal-{pid}")
    proxy = card.locator("fieldset").filter(has_text="Pour Rosa sans téléphone (procuration)")
    expect(proxy).to_be_visible()
    proxy.get_by_label("Non").check()
    proxy.get_by_role("button", name="Voter").click()
    expect(page.locator("#votes-status")).to_have_text("Vote enregistré.")
    expect(proxy.get_by_label("Non")).to_be_checked()
    assert real_server.admin("proposal", "show", pid)["ballots_so_far"] == 1
    expect(card.get_by_test_id("my-vote")).to_have_count(0)  # Karim's own vote is still to cast


def test_a_member_proposes_from_the_wallet_for_the_committee(new_page, real_server):
    member = real_server.admin("member", "add", "--name", "Lina")
    page = new_page(locale="fr-BE", bypass_csp=True)
    page.goto(member["activation_url"])
    wait_ready(page)
    page.get_by_test_id("balance").wait_for()
    page.get_by_text("Faire une proposition").click()
    page.get_by_label("Ma proposition").select_option("consultation")
    expect(page.get_by_label("Nom du commerce")).to_be_hidden()
    page.get_by_label("Titre").fill("Ouvrir une épicerie solidaire le dimanche ?")
    page.get_by_label("Les réponses possibles, une par ligne").fill("Oui, le matin\nNon")
    assert violations(page) == [], "the proposal form"
    page.get_by_role("button", name="Envoyer au comité").click()
    expect(page.locator("#votes-status")).to_have_text(
        "Proposition envoyée : le comité l’examinera."
    )
    expect(page.get_by_test_id("votes")).to_contain_text("Proposition en attente du comité")
    card = page.locator("#votes-list > li").filter(has_text="épicerie solidaire le dimanche")
    pid = card.get_attribute("data-testid").removeprefix("proposal-")
    shown = real_server.admin("proposal", "show", pid)
    assert shown["status"] == "screening" and shown["options"] == [
        "Oui, le matin",
        "Non",
        "abstain",
    ]
    assert shown["proposed_by"] == f"member:{member['member_id']}"
