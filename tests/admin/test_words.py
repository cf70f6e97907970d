"""Words, not codes: refusal codes, audit entries and trust-list reasons in plain FR/NL/EN."""

from __future__ import annotations

import pytest

from keys.verify import ResultCode
from server.console.words import ACTIONS, REFUSALS, Words
from server.languages import Formats, gettext_of, ngettext_of, translations


def words(language: str) -> Words:
    catalogue = translations(language)
    return Words(
        gettext_of(catalogue), ngettext_of(catalogue), Formats(language, "Europe/Brussels")
    )


def test_every_spec_refusal_code_has_words():
    assert {c.value for c in ResultCode} - {"OK"} <= set(REFUSALS)


@pytest.mark.parametrize(
    ("language", "action", "detail"),
    [
        ("fr", "fichier SEPA téléchargé pour la banque", "total des virements: 66,64 €"),
        (
            "nl",
            "SEPA-bestand gedownload voor de bank",
            "totaal van de overschrijvingen: €\u00a066,64",
        ),
        ("en", "SEPA file downloaded for the bank", "total of the transfers: 66,64 €"),
    ],
)
def test_an_audit_entry_reads_as_words(language, action, detail):
    w = words(language)
    assert w.action("sepa.download") == action
    shown = dict(w.details({"msg_id": "SSA-1234-S1", "control_sum_cents": 6664}))
    label, value = detail.split(": ")
    assert shown[label] == value.replace(" ", "\u00a0")


def test_changes_language_and_reasons_in_words():
    w = words("fr")
    shown = w.details({"changes": {"language": [None, "nl"], "iban": ["BE71096123456769", "x"]}})
    assert ("langue", "— → Nederlands") in shown and ("IBAN", "BE71 0961 2345 6769 → X") in shown
    assert w.reason("caisse created") == "la caisse a été créée"
    assert w.reason("reconcile: 1 blocked after fraud").startswith(
        "1 membre ou portefeuille bloqué"
    )
    assert w.reason("something new") == "something new"  # a code the table does not know: as is
    assert w.refusal("MALFORMED").startswith("pas un code SSA valable")
    assert w.action("member.edit") == "données du membre modifiées"
    assert all(w.action(a) != a for a in ACTIONS)
