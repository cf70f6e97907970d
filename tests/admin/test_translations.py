"""The console speaks French and Dutch whole: every message has its translation, and no page
shown in French or Dutch holds a message id left in English.

The messages are extracted from the sources as `pybabel extract` does (the console's Python
and templates, the ledger's documents); the pages are the console's own, with real data
behind them (members, a shop, a settlement, the audit log), fetched over HTTP.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from server.languages import LANGUAGES, translations

from .test_money_pages import _settled

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")
TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def extracted() -> dict[str | tuple[str, ...], str]:
    """Every message of the console and the ledger's documents → the file it comes from."""
    with (ROOT / "server" / "locale" / "babel_admin.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[str | tuple[str, ...], str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.setdefault(message, filename)
    return found


MESSAGES = extracted()


def _has(catalogue, msgid: str) -> bool:
    """A non-empty translation of ``msgid`` (singular) in the compiled catalogue."""
    return bool(catalogue._catalog.get(msgid) or catalogue._catalog.get((msgid, 0)))


def translated(language: str, message: str | tuple[str, ...]) -> bool:
    catalogue = translations(language)
    if isinstance(message, tuple):  # ngettext: both forms (Dutch, French, English have two)
        return all(catalogue._catalog.get((message[0], i)) for i in (0, 1))
    return _has(catalogue, message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_console_has_a_translation(language):
    missing = [f"{where}: {m!r}" for m, where in MESSAGES.items() if not translated(language, m)]
    assert missing == [], f"{len(missing)} messages have no {language} translation"


def english_phrases(language: str) -> list[str]:
    """The English of each message whose translation differs, as it would show on a page
    left untranslated: its longest run of words between placeholders (two words at least)."""
    catalogue = translations(language)
    phrases = set()
    for message in MESSAGES:
        for msgid in message if isinstance(message, tuple) else (message,):
            if catalogue.gettext(msgid) == msgid and _has(catalogue, msgid):
                continue  # the same words in both languages ("IBAN", "Date")
            chunks = [c.strip(" :,.;()—") for c in PLACEHOLDER.split(msgid)]
            longest = max(chunks, key=len)
            if len(longest.split()) >= 2 and len(longest) >= 10:
                phrases.add(longest)
    return sorted(phrases)


def visible_text(page: str) -> str:
    return " ".join(html.unescape(TAG.sub(" ", page)).split())


def english_left(page: str, phrases: list[str]) -> list[str]:
    text = visible_text(page)
    return [p for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]


def test_the_checker_finds_an_untranslated_message_on_a_page():
    phrases = english_phrases("fr")
    page = "<main><p>Ajouter un membre</p><button>Add the member</button></main>"
    assert english_left(page, phrases) == ["Add the member"]


@pytest.mark.anyio
async def test_no_page_in_french_or_dutch_holds_english(admin, accounts) -> None:
    # Real data behind the pages: a settlement, an imported and an edited member, a shop
    # whose bank no registry knows, an export (all in the audit log).
    shop, sid, _qrs = await _settled(admin, accounts)
    member = await accounts.add_member("Zoë Dubois")
    await admin.post(
        f"/admin/members/{member.member_id}/edit",
        {"name": "Zoë Dubois", "email": "zoe@example.be", "language": "nl"},
    )
    await admin.post(
        "/admin/members/import/confirm", {"csv": "nom;courriel\nAda;ada@example.org\n"}
    )
    await admin.post("/admin/shops/new", {"name": "Textbook", "iban": "BE68 5390 0754 7034"})
    await admin.get("/admin/members/export.csv")
    pages = [
        "/admin/", "/admin/members", "/admin/members?activation=pending", "/admin/members/new",
        "/admin/members/import", f"/admin/members/{member.member_id}",
        f"/admin/members/{member.member_id}/edit", "/admin/shops", "/admin/shops/new",
        f"/admin/shops/{shop.merchant_id}", f"/admin/shops/{shop.merchant_id}/edit",
        f"/admin/shops/{shop.merchant_id}/payouts", "/admin/batches", "/admin/reconciliation",
        f"/admin/settlements/{sid}", "/admin/keys", "/admin/keys/rotate", "/admin/audit",
        "/admin/report", "/admin/accounts", "/admin/accounts/new", "/admin/settings",
        "/admin/no-such-page",
        f"/admin/settlements/{sid}/statements/{shop.merchant_id}?format=html",
    ]  # fmt: skip
    found = {}
    for language in ("fr", "nl"):
        phrases = english_phrases(language)
        async with accounts.ctx.storage.transaction() as q:  # the statement in this language
            await q.conn.execute("DELETE FROM issued_documents")
            await q.update_merchant(shop.merchant_id, {"language": language})
        for path in pages:
            sep = "&" if "?" in path else "?"
            answer = await admin.get(f"{path}{sep}lang={language}")
            assert answer.status_code in (200, 404), path
            left = english_left(answer.text, phrases)
            if left:
                found[f"{language} {path}"] = left
    assert found == {}
