"""The caisse's settings in the console: a round trip through config.json (only the changed
keys written, the file still editable by hand), validated, audited, applied at once; the
logo on the letters and the statements. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from server import config as config_mod

from .test_money_pages import _settled

pytestmark = pytest.mark.anyio
SETTINGS = {
    "base_url": "https://caisse.example.be/",
    "display_name": "Caisse alimentaire de Schaerbeek",
    "contact": "02 123 45 67 · caisse@example.be",
    "opening_hours": "Mardi 17:00–19:00\nRue Haute 12, 1030 Schaerbeek",
    "sepa_debtor_name": "ASBL Caisse Schaerbeek",
    "sepa_debtor_iban": "BE68 5390 0754 7034",
    "sepa_debtor_bic": "",
}


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 111, 67)).save(out, format="PNG")
    return out.getvalue()


async def test_the_settings_round_trip_through_config_json(admin, operator, accounts) -> None:
    config_file = accounts.cfg.data_dir / "config.json"
    document = json.loads(config_file.read_text())
    document["max_token_age_s"] = 601  # a line the caisse wrote by hand
    config_file.write_text(json.dumps(document, indent=2))
    assert (await operator.get("/admin/settings")).status_code == 403
    form = await admin.get("/admin/settings")
    assert form.status_code == 200 and 'name="sepa_debtor_iban"' in form.text

    r = await admin.post("/admin/settings", SETTINGS)
    assert r.status_code == 303 and "done=settings_saved" in r.headers["location"]
    saved = json.loads(config_file.read_text())
    assert saved["display_name"] == SETTINGS["display_name"]
    assert saved["sepa_debtor_iban"] == "BE68539007547034"  # compact, as banks read it
    assert saved.get("sepa_debtor_bic") is None and saved["max_token_age_s"] == 601  # untouched
    loaded = config_mod.load(accounts.cfg.data_dir, accounts.cfg.database_url)
    assert (
        loaded.opening_hours == SETTINGS["opening_hours"]
        and loaded.display == SETTINGS["display_name"]
    )
    # Applied at once: the header, the form and the letters of this very server.
    page = await admin.get(r.headers["location"])
    assert "Caisse alimentaire de Schaerbeek" in page.text
    assert 'value="BE68 5390 0754 7034"' in page.text
    letter = await admin.post("/admin/members/new", {"name": "Ada", "language": "fr"})
    assert "Caisse alimentaire de Schaerbeek —" in letter.text and "02 123 45 67" in letter.text
    assert 'id="activation-link">https://caisse.example.be/wallet/#activate=' in letter.text
    assert saved["base_url"] == "https://caisse.example.be"
    assert "Rue Haute 12, 1030 Schaerbeek" in letter.text
    async with accounts.ctx.storage.read() as q:
        (entry,), _ = await q.console.audit_page(limit=5, offset=0, action="settings.edit")
    changes = json.loads(entry["detail"])["changes"]
    assert changes["sepa_debtor_iban"] == [None, "BE68539007547034"]
    assert set(changes) == {f for f, v in SETTINGS.items() if v}
    assert changes["base_url"] == ["http://127.0.0.1:8000", "https://caisse.example.be"]
    # The same form again writes nothing.
    again = await admin.post("/admin/settings", SETTINGS)
    assert "done=unchanged" in again.headers["location"]


async def test_bad_settings_are_refused_field_by_field_and_nothing_is_written(admin, accounts):
    config_file = accounts.cfg.data_dir / "config.json"
    before = config_file.read_bytes()
    r = await admin.post(
        "/admin/settings",
        {**SETTINGS, "sepa_debtor_iban": "BE68 5390 0754 7035", "sepa_debtor_bic": "NOPE",
         "display_name": "x" * 101},
    )  # fmt: skip
    assert r.status_code == 400
    for name in ("sepa_debtor_iban", "sepa_debtor_bic", "display_name"):
        assert f'href="#f-{name}"' in r.text
    assert config_file.read_bytes() == before
    bad_logo = await admin.post(
        "/admin/settings", SETTINGS, files={"logo": ("logo.gif", b"GIF89a....", "image/gif")}
    )
    assert bad_logo.status_code == 400 and 'href="#f-logo"' in bad_logo.text


async def test_the_logo_goes_on_letters_and_statements(admin, operator, accounts) -> None:
    r = await admin.post(
        "/admin/settings", SETTINGS, files={"logo": ("logo.png", png(1200, 300), "image/png")}
    )
    assert r.status_code == 303
    stored = Image.open(accounts.cfg.data_dir / "logo.png")
    assert stored.size == (600, 150)  # shrunk into 600 × 200
    served = await operator.get("/admin/settings/logo.png")
    assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
    letter = await operator.post("/admin/members/new", {"name": "Ada"})
    assert re.search(r'<img class="letter-logo" src="/admin/settings/logo.png"', letter.text)
    shop, sid, _ = await _settled(admin, accounts)
    pdf = await admin.get(f"/admin/settlements/{sid}/statements/{shop.merchant_id}?format=pdf")
    assert b"/Subtype /Image" in pdf.content
    removed = await admin.post("/admin/settings", {**SETTINGS, "remove_logo": "yes"})
    assert removed.status_code == 303 and not (accounts.cfg.data_dir / "logo.png").exists()
    assert (await operator.get("/admin/settings/logo.png")).status_code == 404


async def test_the_dashboard_warns_until_the_public_address_is_set(admin, accounts) -> None:
    warned = await admin.get("/admin/")  # the console is opened as http://testserver
    assert "the server's own machine: phones cannot open it" in warned.text
    for bad in ("http://caisse.example.be", "https://caisse.example.be/wallet", "caisse.be", ""):
        r = await admin.post("/admin/settings", {**SETTINGS, "base_url": bad})
        assert r.status_code == 400 and 'href="#f-base_url"' in r.text, bad
    await admin.post("/admin/settings", SETTINGS)
    assert "phones cannot open it" not in (await admin.get("/admin/")).text
