"""``ssa-admin voucher print`` end to end: the PDF is rasterised (pdftoppm, 150 dpi), every QR
on every page is read back by the till's own image pipeline and by zxing-cpp, and each
voucher is judged by ``ssa-scanner verify``: OK once, REPLAY after, REVOKED once voided."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import pytest
import zxingcpp
from pypdf import PdfReader

from server.caisse.setup import open_caisse
from server.cli.admin import main
from server.periods import period_at

from .conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("admin", "admin_households", "admin_ledger", "vouchers")


@pytest.fixture
def admin(tmp_path, backend, monkeypatch, capsys, now):
    monkeypatch.setenv("SSA_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("SSA_DATABASE_URL", raising=False)
    clock = {"t": now}
    for module in MODULES:
        monkeypatch.setattr(f"server.cli.{module}.now", lambda: clock["t"])
    data = tmp_path / "caisse"
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]

    def run(*argv: str) -> tuple[int, list[dict], str]:
        code = main(["--data", str(data), *db, *argv])
        captured = capsys.readouterr()
        lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
        return code, lines, captured.err

    code, out, err = run("init", "--caisse", "be-test", "--kdf", "interactive")
    assert code == 0, err
    config = json.loads((data / "config.json").read_text())
    config.update(
        caisse_name="Caisse alimentaire de Saint-Gilles",
        caisse_contact="Rue de la Victoire 1 — 02 000 00 00",
    )
    (data / "config.json").write_text(json.dumps(config))
    run.data = data  # type: ignore[attr-defined]
    run.db = db  # type: ignore[attr-defined]
    run.root = out[0]["root_public_key"]  # type: ignore[attr-defined]
    run.clock = clock  # type: ignore[attr-defined]
    run.period = period_at(now, ZoneInfo("Europe/Brussels")).name  # type: ignore[attr-defined]
    return run


def _db(admin):
    return admin.db[1] if admin.db else None


def _latest_trust_list(admin) -> bytes:
    async def latest():
        async with open_caisse(admin.data, _db(admin)) as caisse, caisse.storage.read() as q:
            return bytes((await q.latest_trust_list())["body"])

    return asyncio.run(latest())


def _qr_texts(admin, sheet_ids: list[int]) -> list[str]:
    from server.caisse.sheets import get_sheet

    async def load():
        async with open_caisse(admin.data, _db(admin)) as caisse, caisse.storage.read() as q:
            out = []
            for sheet_id in sheet_ids:
                out += [v.qr for v in (await get_sheet(q, sheet_id, admin.clock["t"])).vouchers]
            return out

    return asyncio.run(load())


def _member(admin, name: str, *channel: str) -> str:
    code, out, err = admin("member", "add", "--name", name)
    assert code == 0, err
    member_id = out[0]["member_id"]
    code, out, err = admin("member", "channel", member_id, *channel)
    assert code == 0, err
    return member_id


def _rasterise(pdf: Path, folder: Path, dpi: int = 150) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install poppler-utils (scripts/system_deps.sh)")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")],
        check=True, timeout=120,
    )  # fmt: skip
    return sorted(folder.glob("page-*.png"))


def _decoded(pages: list[Path]) -> tuple[list[str], list[str]]:
    """Every QR text of every page, by the till's pipeline and by zxing-cpp alone."""
    from scanner.decode import decode_file

    ours, theirs = [], []
    for page in pages:
        ours += decode_file(page)
        gray = cv2.imread(str(page), cv2.IMREAD_GRAYSCALE)
        theirs += [
            r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
        ]
    return ours, theirs


def _verify(admin, tmp_path: Path, qrs: list[str], journal: Path) -> list[str]:
    trust = tmp_path / "trust-list.cose"
    trust.write_bytes(_latest_trust_list(admin))
    proc = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "verify", "--trust-list", str(trust),
         "--root-key", admin.root, "--merchant", "m-shop", "--now", str(admin.clock["t"]),
         "--journal", str(journal), "-"],
        input="\n".join(qrs) + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line)["code"] for line in proc.stdout.splitlines()]


def test_print_rasterise_decode_verify_then_void(admin, tmp_path: Path) -> None:
    sahin = _member(admin, "Şahin Ayşe", "paper")
    both = _member(admin, "Jean Dupont", "both", "--paper-cents", "5050")
    _member(admin, "Wallet Only", "wallet")
    out_pdf = tmp_path / "decembre.pdf"
    code, out, err = admin("voucher", "print", "--period", admin.period, "--out", str(out_pdf))
    assert code == 0, err
    result = out[0]
    # the flat 150 € of each paper member: 7 x 20 + 10; 50,50 € of "both": 20 + 20 + 10 + 0,50
    assert result["file"] == str(out_pdf.resolve())
    assert result["total_cents"] == 15000 + 5050
    assert result["vouchers"] == 8 + 4
    by_member = {s["member_id"]: s for s in result["sheets"]}
    assert set(by_member) == {sahin, both}
    assert by_member[sahin]["amount_cents"] == 15000 and by_member[both]["amount_cents"] == 5050

    reader = PdfReader(out_pdf)
    assert len(reader.pages) == 2  # one member a page, eight vouchers a page
    text = "".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    assert "Şahin Ayşe" in text  # written as it is, with a Unicode font
    assert "Caisse alimentaire de Saint-Gilles" in text and "0,50 €" in text

    expected = _qr_texts(admin, [s["sheet_id"] for s in result["sheets"]])
    assert len(expected) == 12
    pages = _rasterise(out_pdf, tmp_path)
    assert len(pages) == 2
    ours, theirs = _decoded(pages)
    assert sorted(ours) == sorted(expected)  # every QR read, at 150 dpi, by the till's pipeline
    assert sorted(theirs) == sorted(expected)  # and by zxing-cpp on the whole page

    journal = tmp_path / "till.sqlite"
    assert _verify(admin, tmp_path, ours, journal) == ["OK"] * 12
    assert _verify(admin, tmp_path, ours, journal) == ["REPLAY"] * 12

    # the same month printed again: the same vouchers, never a second allowance
    again = tmp_path / "again.pdf"
    code, out, err = admin("voucher", "print", "--period", admin.period, "--out", str(again))
    assert code == 0, err
    assert out[0]["total_cents"] == result["total_cents"]
    assert [s["sheet_id"] for s in out[0]["sheets"]] == [s["sheet_id"] for s in result["sheets"]]
    (tmp_path / "again").mkdir()
    assert sorted(_decoded(_rasterise(again, tmp_path / "again"))[0]) == sorted(expected)

    # a lost sheet: voided in one action; a fresh till refuses its vouchers
    admin.clock["t"] += 60
    code, out, err = admin("voucher", "void", "--member", sahin, "--period", admin.period)
    assert code == 0, err
    assert out[0]["voided"] == 8 and out[0]["voided_cents"] == 15000
    sahin_qrs = _qr_texts(admin, [by_member[sahin]["sheet_id"]])
    fresh = tmp_path / "other-till.sqlite"
    assert _verify(admin, tmp_path, sahin_qrs, fresh) == ["REVOKED"] * 8
    both_qrs = _qr_texts(admin, [by_member[both]["sheet_id"]])
    assert _verify(admin, tmp_path, both_qrs, fresh) == ["OK"] * 4  # the other sheet still works


def test_cli_void_with_replacement_list_and_letters(admin, tmp_path: Path) -> None:
    paper = _member(admin, "Łukasz Nowak", "paper")
    wallet = _member(admin, "Nguyễn Văn An", "wallet")
    code, out, err = admin("voucher", "print", "--period", admin.period, "--member", paper,
                           "--out", str(tmp_path / "one.pdf"))  # fmt: skip
    assert code == 0, err
    serial = "1-03"
    code, out, err = admin("voucher", "void", "--serial", serial, "--replace")
    assert code == 1 and "--replace needs --out" in err
    new_pdf = tmp_path / "replacement.pdf"
    code, out, err = admin("voucher", "void", "--serial", serial, "--replace",
                           "--reason", "sheet lost", "--out", str(new_pdf))  # fmt: skip
    assert code == 0, err
    assert out[0]["sheet_id"] == 1 and out[0]["replacement"]["total_cents"] == 15000
    assert new_pdf.is_file()
    code, out, err = admin("voucher", "void", "--sheet", "1")
    assert code == 1 and "already void" in err

    code, rows, err = admin("voucher", "list", "--period", admin.period)
    assert code == 0, err
    (row,) = rows
    assert (row["member_id"], row["issued"], row["voided"], row["outstanding"]) == (paper, 16, 8, 8)
    code, rows, err = admin("voucher", "list", "--sheets", "--member", paper)
    assert [(s["sheet_id"], s["replaces"], s["voided_at"] is not None) for s in rows] == [
        (2, 1, False),
        (1, None, True),
    ]

    code, out, err = admin("member", "letters", "--out", str(tmp_path / "letters.pdf"))
    assert code == 0, err
    assert out[0]["members"] == [wallet] and out[0]["letters"] == 1
    assert len(PdfReader(tmp_path / "letters.pdf").pages) == 1
    code, out, err = admin("voucher", "print", "--period", "2001-01", "--out", str(tmp_path / "x"))
    assert code == 1 and "this month" in err
