"""Importing members in the console from real files as Belgian offices save them
(tests/files/members): Excel in fr-BE and nl-BE, LibreOffice; a language per line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio
FILES = Path(__file__).resolve().parents[1] / "files" / "members"


async def upload(console, name: str, language: str = "fr"):
    data = (FILES / name).read_bytes()
    return await console.post(
        "/admin/members/import",
        files={"file": (name, data, "text/csv")},
        data={"language": language},
    )


def hidden_csv(html: str) -> str:
    import html as html_mod

    return html_mod.unescape(re.search(r'name="csv" value="([^"]*)"', html)[1])


async def languages(api) -> dict[str, str | None]:
    async with api.ctx.storage.read() as q:
        return {
            m["name"]: await q.console.member_language(m["member_id"]) for m in await q.members()
        }


async def test_excel_fr_be_in_windows_1252_is_previewed_then_imported(admin, accounts) -> None:
    preview = await upload(admin, "excel-fr-be-windows-1252.csv", language="en")
    assert preview.status_code == 200
    assert "3 lines can be imported, 1 line has an error." in preview.text
    assert "Émile Lefèvre" in preview.text and "Noël Œuvray" in preview.text
    assert "These columns are not imported: N° dossier CPAS" in preview.text
    assert "Language of the letter" in preview.text  # the file has a language column
    assert (await accounts.counts())["members"] == 0
    done = await admin.post(
        "/admin/members/import/confirm", {"csv": hidden_csv(preview.text), "language": "en"}
    )
    assert done.status_code == 200 and "3 members imported" in done.text
    assert "1 line was left out." in done.text
    assert await languages(accounts) == {
        "Émile Lefèvre": "fr",
        "Zoë Dubois": "nl",
        "Noël Œuvray": "en",  # no language on its line: the import's
    }
    # Each letter in its member's language.
    assert "Bonjour Émile Lefèvre," in done.text and "Beste Zoë Dubois," in done.text
    assert "Hello Noël Œuvray," in done.text


async def test_excel_nl_be_with_bom_and_an_unknown_language(admin, accounts) -> None:
    admin.client.headers["Accept-Language"] = "nl"
    preview = await upload(admin, "excel-nl-be-utf-8-bom.csv", language="fr")
    assert "2 regels kunnen geïmporteerd worden, 1 regel bevat een fout." in preview.text
    assert "Onbekende taal ‘Klingon’" in preview.text
    assert "Şahin Yılmaz" in preview.text
    done = await admin.post(
        "/admin/members/import/confirm", {"csv": hidden_csv(preview.text), "language": "fr"}
    )
    assert "2 leden geïmporteerd" in done.text
    assert await languages(accounts) == {"Şahin Yılmaz": "nl", "Jan Peeters": "fr"}


async def test_name_semicolon_email_is_read_as_two_columns(admin, accounts) -> None:
    preview = await upload(admin, "name-semicolon-email.csv")
    assert "not imported" not in preview.text
    assert "1 line can be imported, 0 lines have an error." in preview.text
    assert "ada@example.org" in preview.text


async def test_libreoffice_commas_and_a_header_without_a_name_column(admin) -> None:
    preview = await upload(admin, "libreoffice-en-utf-8.csv")
    assert "2 lines can be imported" in preview.text and "Diallo, Amina" in preview.text
    bad = await admin.post(
        "/admin/members/import",
        files={"file": ("x.csv", "prénom;courriel\nAda;a@example.org\n".encode(), "text/csv")},
    )
    assert "The first line must name the columns" in bad.text
