"""``ssa-admin`` end to end: JSON on stdout, messages on stderr, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from keys.trust_list import open_trust_list
from server.caisse import codes
from server.caisse.setup import open_caisse
from server.cli.admin import main

from .conftest import PASSPHRASE

FILES = Path(__file__).resolve().parents[1] / "files" / "members"


@pytest.fixture
def admin(tmp_path, backend, monkeypatch, capsys):
    """Run ssa-admin on a fresh caisse directory; returns (exit code, JSON lines, stderr)."""
    monkeypatch.setenv("SSA_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("SSA_DATABASE_URL", raising=False)
    data = tmp_path / "caisse"
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]

    def run(*argv: str) -> tuple[int, list[dict], str]:
        code = main(["--data", str(data), *db, *argv])
        captured = capsys.readouterr()
        lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
        return code, lines, captured.err

    run.data = data  # type: ignore[attr-defined]
    run.db = db  # type: ignore[attr-defined]
    return run


def init(admin) -> dict:
    code, out, _ = admin(
        "init", "--caisse", "be-test", "--kdf", "interactive", "--allowance-cents", "12000"
    )
    assert code == 0
    return out[0]


def trust_list(admin, root_hex: str):
    async def latest():
        url = admin.db[1] if admin.db else None
        async with open_caisse(admin.data, url) as caisse, caisse.storage.read() as q:
            return bytes((await q.latest_trust_list())["body"])

    return open_trust_list(asyncio.run(latest()), bytes.fromhex(root_hex))


def test_init_creates_config_encrypted_keys_and_a_first_trust_list(admin):
    out = init(admin)
    assert out["caisse"] == "be-test" and out["trust_list_seq"] == 1
    config = json.loads((admin.data / "config.json").read_text())
    assert config["allowance_cents"] == 12000 and config["kdf_profile"] == "interactive"
    for key in (admin.data / "keys").iterdir():
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert "sealed_seed" in json.loads(key.read_text())
    tl = trust_list(admin, out["root_public_key"])
    assert [i.kid.hex() for i in tl.issuers] == [out["issuer_kid"]]
    code, _, err = admin("init", "--caisse", "be-test", "--kdf", "interactive")
    assert code == 1 and "already holds a caisse" in err


def test_member_add_prints_an_activation_link_to_the_wallet(admin):
    init(admin)
    code, out, err = admin("member", "add", "--name", "Ada", "--email", "ada@example.org")
    assert code == 0
    assert len(out[0]["member_id"]) == 16
    assert out[0]["activation_url"] == (
        f"http://127.0.0.1:8000/wallet/#activate={out[0]['activation_code']}"
    )
    assert "member" in err


def test_member_import_keeps_good_rows_and_reports_bad_ones_by_line(admin, tmp_path):
    init(admin)
    csv_file = tmp_path / "cpas.csv"
    csv_file.write_text(
        "name,email,national_number\n"
        "Ada Lovelace,ada@example.org,85.07.30-033.61\n"
        ",nobody@example.org,x\n"
        "Bad Mail,not-an-email,x\n"
        "Grace Hopper,,x\n"
    )
    code, out, err = admin("member", "import", str(csv_file))
    assert code == 1
    assert [(o["line"], "member_id" in o) for o in out] == [
        (2, True),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert "name" in out[1]["error"] and "e-mail" in out[2]["error"]
    assert "national_number" in err and "line 3" in err
    code, listed, _ = admin("member", "list")
    assert sorted(m["name"] for m in listed) == ["Ada Lovelace", "Grace Hopper"]
    assert all("national" not in json.dumps(m) for m in listed)


def languages_of(admin) -> dict[str, str | None]:
    async def read():
        url = admin.db[1] if admin.db else None
        async with open_caisse(admin.data, url) as caisse, caisse.storage.read() as q:
            return {
                m["name"]: await q.console.member_language(m["member_id"])
                for m in await q.members()
            }

    return asyncio.run(read())


def test_member_import_reads_excel_fr_be_windows_1252_with_a_language_per_row(admin):
    init(admin)
    code, out, err = admin("member", "import", str(FILES / "excel-fr-be-windows-1252.csv"),
                           "--language", "en")  # fmt: skip
    assert code == 1  # one e-mail is not valid
    assert [(o["line"], "member_id" in o) for o in out] == [
        (2, True),
        (3, True),
        (4, False),
        (5, True),
    ]
    assert "windows-1252" in err and "';'" in err and "N° dossier CPAS" in err
    assert "3 members imported, 1 row refused" in err
    assert languages_of(admin) == {"Émile Lefèvre": "fr", "Zoë Dubois": "nl", "Noël Œuvray": "en"}


def test_member_import_of_name_semicolon_email_takes_both_columns(admin):
    init(admin)
    code, _out, err = admin("member", "import", str(FILES / "name-semicolon-email.csv"))
    assert code == 0 and "not imported" not in err and "1 member imported, 0 rows refused" in err
    _, listed, _ = admin("member", "list")
    assert [(m["name"], m["email"]) for m in listed] == [("Ada Lovelace", "ada@example.org")]


def test_member_import_without_a_name_header_is_refused(admin, tmp_path):
    init(admin)
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("Ada,ada@example.org\n")
    code, out, _ = admin("member", "import", str(csv_file))
    assert code == 1 and out[0]["line"] == 1


def test_member_revoke_signs_a_newer_trust_list_listing_the_member(admin):
    root = init(admin)["root_public_key"]
    _, out, _ = admin("member", "add", "--name", "Eve")
    member_id = out[0]["member_id"]
    code, revoked, _ = admin("member", "revoke", member_id)
    assert code == 0 and revoked[0]["trust_list_seq"] == 2
    tl = trust_list(admin, root)
    assert tl.seq == 2 and bytes.fromhex(member_id) in tl.revoked_members
    code, _, err = admin("member", "revoke", member_id)
    assert code == 1 and "already revoked" in err


def test_member_reenrol_gives_a_new_code_and_refuses_a_revoked_member(admin):
    init(admin)
    _, out, _ = admin("member", "add", "--name", "Lost Phone")
    member_id, first_code = out[0]["member_id"], out[0]["activation_code"]
    code, out, err = admin("member", "reenrol", member_id)
    assert code == 0 and out[0]["member_id"] == member_id
    assert out[0]["activation_code"] != first_code and out[0]["credentials_revoked"] == 0
    assert "old phone is blocked" in err
    admin("member", "revoke", member_id)
    code, out, err = admin("member", "reenrol", member_id)
    assert code == 1 and out == [] and "revoked" in err


def test_merchant_add_refuses_a_bad_iban_and_stores_nothing(admin):
    init(admin)
    code, out, err = admin("merchant", "add", "--name", "Shop", "--iban", "BE71 0961 2345 6760")
    assert code == 1 and out == [] and "IBAN" in err
    code, out, _ = admin("merchant", "list")
    assert out == []
    code, out, _ = admin(
        "merchant",
        "add",
        "--name",
        "Épicerie Sainte-Marie",
        "--iban",
        "BE71 0961 2345 6769",
        "--bic",
        "GEBABEBB",
    )
    assert code == 0 and out[0]["merchant_id"].startswith("epicerie-sainte-marie-")
    assert len(out[0]["enrollment_code"]) == 24
    code, out, _ = admin("merchant", "suspend", out[0]["merchant_id"])
    assert code == 0 and out[0]["status"] == "suspended"


def test_keys_rotate_keeps_the_old_issuer_key_in_the_trust_list(admin):
    first = init(admin)
    code, out, _ = admin("keys", "rotate")
    assert code == 0 and out[0]["retired"] == 1
    tl = trust_list(admin, first["root_public_key"])
    kids = {i.kid.hex(): i for i in tl.issuers}
    assert set(kids) == {first["issuer_kid"], out[0]["issuer_kid"]}
    old = kids[first["issuer_kid"]]
    assert old.not_after > tl.issued_at  # its credentials stay verifiable until they expire


def test_a_wrong_passphrase_is_a_clear_error(admin, monkeypatch):
    init(admin)
    monkeypatch.setenv("SSA_PASSPHRASE", "wrong")
    code, out, err = admin("keys", "rotate")
    assert code == 1 and out == [] and "wrong passphrase" in err


def test_demo_keeps_the_printed_codes_while_they_work(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SSA_DATABASE_URL", raising=False)
    data = str(tmp_path / "data")

    def run(*argv: str) -> tuple[list[dict], str]:
        assert main(["--data", data, *argv]) == 0
        captured = capsys.readouterr()
        return [json.loads(line) for line in captured.out.splitlines()], captured.err

    first, err = run("demo")
    assert first[0]["created"] is True
    assert "DEMO passphrase" in err and first[0]["activation_url"] in err
    # make run again: the link printed last time still works, and is printed again.
    second, err = run("demo")
    assert second[0]["created"] is False
    assert second[0]["activation_code"] == first[0]["activation_code"]
    assert second[0]["enrollment_code"] == first[0]["enrollment_code"]
    assert err.count("the same as last time: it still works") == 2

    # The link is used (the wallet activated): the next run prints a new one and says why.
    async def use(code: str) -> None:
        async with open_caisse(data, None) as caisse, caisse.storage.transaction() as q:
            await q.take_code(codes.code_hash(code), "member", 0)  # as a wallet would

    asyncio.run(use(first[0]["activation_code"]))
    third, err = run("demo")
    assert third[0]["activation_code"] != first[0]["activation_code"]
    assert third[0]["enrollment_code"] == first[0]["enrollment_code"]
    assert "new: the one printed last time was used or expired" in err
    members_, _ = run("member", "list")
    assert len(members_) == 3
    assert {m["name"] for m in members_} == {"Alice Dubois", "Bram Peeters", "Chloé Martin"}


def test_member_edit_corrects_name_email_and_language(admin):
    init(admin)
    _, out, _ = admin("member", "add", "--name", "Amina", "--email", "a@example.org")
    member_id = out[0]["member_id"]
    code, out, err = admin(
        "member", "edit", member_id, "--name", "Amina Diallo", "--email", "", "--language", "nl"
    )
    assert code == 0 and out[0]["changes"] == {
        "name": ["Amina", "Amina Diallo"],
        "email": ["a@example.org", None],
        "language": [None, "nl"],
    }
    assert "changed: name 'Amina' -> 'Amina Diallo'" in err
    code, out, err = admin("member", "edit", member_id, "--name", "Amina Diallo")
    assert code == 0 and out[0]["changes"] == {} and "nothing changed" in err
    code, _, err = admin("member", "edit", member_id, "--email", "not-mail")
    assert code == 1 and "e-mail" in err
    code, _, err = admin("member", "edit", "0" * 16, "--name", "X")
    assert code == 1 and "no member" in err


def test_merchant_edit_and_an_iban_whose_bank_no_registry_knows(admin):
    init(admin)
    code, out, err = admin("merchant", "add", "--name", "Textbook", "--iban", "BE68 5390 0754 7034")
    assert code == 0, err
    assert "warning: the bank registry does not know the bank of BE68 5390 0754 7034" in err
    merchant_id = out[0]["merchant_id"]
    code, out, err = admin(
        "merchant", "edit", merchant_id, "--bic", "gkcc be bb", "--language", "nl",
        "--address", "Rue Haute 1, 1000 Bruxelles", "--hours", "-",
    )  # fmt: skip
    assert code == 0, err
    assert out[0]["changes"]["bic"] == [None, "GKCCBEBB"]
    assert out[0]["changes"]["hours"] == [None, "-"]
    # A new account at another bank: the old BIC goes (it would send the money astray).
    code, out, err = admin("merchant", "edit", merchant_id, "--iban", "BE62 5100 0754 7061")
    assert code == 0 and out[0]["changes"]["bic"] == ["GKCCBEBB", None]
    assert "warning" not in err  # the registry knows this bank (VAPEBE22)
    # Another account at the same bank keeps the BIC.
    admin("merchant", "edit", merchant_id, "--bic", "VAPEBE22")
    code, out, err = admin("merchant", "edit", merchant_id, "--iban", "BE95 5100 0000 0158")
    assert code == 0 and "bic" not in out[0]["changes"], out
    _, listed, _ = admin("merchant", "list")
    assert listed[0]["iban"] == "BE95510000000158" and listed[0]["language"] == "nl"
    code, _, err = admin("merchant", "edit", merchant_id, "--iban", "BE68 5390 0754 7035")
    assert code == 1 and "IBAN" in err


def test_member_list_filters_like_the_console_and_writes_a_csv(admin, capsys):
    init(admin)
    for name, language in (("Ana", "fr"), ("Bert", "nl"), ("Chloé", None)):
        args = ["member", "add", "--name", name] + (["--language", language] if language else [])
        admin(*args)
    code, listed, err = admin("member", "list", "--language", "nl")
    assert code == 0 and [m["name"] for m in listed] == ["Bert"] and "1 member" in err
    _, listed, _ = admin("member", "list", "--activation", "pending", "--q", "chloe")
    assert [(m["name"], m["status"]) for m in listed] == [("Chloé", "pending")]
    _, listed, err = admin("member", "list", "--status", "active")
    assert listed == [] and "0 members" in err
    with pytest.raises(SystemExit):
        admin("member", "list", "--status", "gone")
    capsys.readouterr()
    assert main(["--data", str(admin.data), *admin.db, "member", "list", "--csv"]) == 0
    body = capsys.readouterr().out.lstrip("\ufeff")
    header, *rows = body.splitlines()
    assert header.startswith("name;email;language;status;member_id")
    assert sorted(r.split(";")[:3] for r in rows) == [
        ["Ana", "", "fr"],
        ["Bert", "", "nl"],
        ["Chloé", "", ""],
    ]


def test_a_listing_piped_into_head_ends_quietly(admin, tmp_path):
    init(admin)
    rows = "".join(f"Membre {n};m{n}@example.org\n" for n in range(500))
    (tmp_path / "many.csv").write_text("nom;courriel\n" + rows)
    assert admin("member", "import", str(tmp_path / "many.csv"))[0] == 0
    env = {**os.environ, "SSA_PASSPHRASE": PASSPHRASE}
    command = [sys.executable, "-m", "server.cli.admin", "--data", str(admin.data), *admin.db]
    listing = subprocess.Popen(
        [*command, "member", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert listing.stdout is not None and listing.stdout.readline().startswith(b"{")
    listing.stdout.close()  # what `| head -1` does once it has its line
    _, err = listing.communicate(timeout=60)
    assert b"Traceback" not in err and b"Broken pipe" not in err and b"error" not in err
    assert listing.returncode == 141


def audit_log(admin) -> list[dict]:
    from server.console.audit_chain import verify_audit_chain

    async def rows():
        url = admin.db[1] if admin.db else None
        async with open_caisse(admin.data, url) as caisse, caisse.storage.read() as q:
            chain = await q.console.audit_chain()
        assert verify_audit_chain(chain) is None  # hash-chained, intact
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in chain]

    return asyncio.run(rows())


def test_every_state_change_made_on_the_command_line_is_in_the_audit_log(admin, tmp_path):
    """Issue 11: only console actions were logged; the IBAN the caisse pays was not."""
    import getpass

    from nacl.signing import SigningKey

    from keys.signed_request import b64url_encode

    init(admin)
    me = f"cli:{getpass.getuser()}"
    _, (shop,), _ = admin("merchant", "add", "--name", "Épicerie", "--iban", "BE71 0961 2345 6769")
    _, (member,), _ = admin("member", "add", "--name", "Ada")
    members_csv = tmp_path / "m.csv"
    members_csv.write_text("name,email\nBea,bea@example.org\nCyd,\n")
    admin("member", "import", str(members_csv))
    admin("member", "revoke", member["member_id"])
    admin("merchant", "suspend", shop["merchant_id"])
    key = b64url_encode(bytes(SigningKey.generate().verify_key))
    admin("merchant", "revoke-device", "--merchant", shop["merchant_id"], "--key", key)
    admin("voucher", "issue", "--amount-cents", "500", "--count", "2")
    admin("keys", "rotate")
    admin("trust-list", "sign")
    admin("reconcile", "--nightly", "--no-sign")
    config_file = admin.data / "config.json"
    config = json.loads(config_file.read_text())
    config["settle_conflicts"] = "first"  # edited by hand
    config_file.write_text(json.dumps(config))
    admin("status")
    entries = audit_log(admin)
    by_action = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
    [added] = by_action["shop.add"]
    assert added["actor"] == me and added["target"] == shop["merchant_id"]
    assert added["detail"]["iban"] == "BE71096123456769"
    assert by_action["member.add"][0]["target"] == member["member_id"]
    assert len(by_action["member.add"]) == 3
    assert by_action["member.import"][0]["detail"] == {"file": "m.csv", "created": 2, "refused": 0}
    assert by_action["member.revoke"][0]["target"] == member["member_id"]
    for action in (
        "shop.suspend",
        "voucher.issue",
        "keys.rotate",
        "trust_list.sign",
        "caisse.init",
    ):
        assert by_action[action][0]["actor"] == me, action
    assert "shop.revoke_till" not in by_action  # an unknown key: nothing was revoked
    [run] = by_action["reconcile.run"]
    assert run["actor"] == "nightly"
    [change] = by_action["config.change"]
    assert change["detail"]["changed"] == {"settle_conflicts": ["all", "first"]}
    assert len(by_action["config.record"]) == 1  # recorded once, at init


async def _started_with_actor(cfg, backend, keys, clock) -> list:
    from server.app import create_app
    from server.caisse.keyring import KeyRing

    keyring = KeyRing(cfg, keys.root, {keys.issuer[1]: keys.issuer[0]}, PASSPHRASE)
    app = create_app(cfg, keyring=keyring, clock=clock, schema=backend.schema, actor="cli:ops")
    async with app.router.lifespan_context(app), app.state.ctx.storage.read() as q:
        return [dict(r) for r in await q.console.audit_chain()]


@pytest.mark.anyio
async def test_a_server_start_records_a_configuration_edited_by_hand(
    caisse, backend, key_material, clock
):
    first = await _started_with_actor(caisse, backend, key_material, clock)
    assert [(e["actor"], e["action"]) for e in first] == [("cli:ops", "config.record")]
    edited = caisse.with_(block_on_fraud="credential")
    again = await _started_with_actor(edited, backend, key_material, clock)
    assert [e["action"] for e in again] == ["config.record", "config.change"]
    assert json.loads(again[-1]["detail"])["changed"] == {
        "block_on_fraud": ["member", "credential"]
    }
    assert len(await _started_with_actor(edited, backend, key_material, clock)) == 2  # unchanged
