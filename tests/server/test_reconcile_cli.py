"""``ssa-admin reconcile`` and friends end to end; two reconcile processes at once; hypothesis."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server import config as config_mod
from server.cli.admin import main
from server.cli.admin_ledger import ProgressBar
from server.ledger.reconcile import ReconcileError, parse_until
from server.ledger.statements import CSV_COLUMNS, euros, render

from .conftest import Clock, Harness, make_caisse
from .reconcile_helpers import DEBTOR, scan

BRUSSELS = ZoneInfo("Europe/Brussels")


def make_caisse_with_payments(tmp_path, backend, key_material, clock: Clock) -> tuple:
    """A caisse with 2 shops, 3 members, honest payments and one fork; returns (cfg, db args).

    The payments are made on ``clock`` a quarter of an hour ago (the CLI reconciles "now")."""
    clock.advance(-900)

    async def setup():
        cfg = await make_caisse(tmp_path / "data", backend, key_material, int(clock()))
        config_mod.save(cfg.with_(**DEBTOR))
        h = await Harness(cfg, backend, key_material, clock).start()
        try:
            clock.advance(60)
            shops = [await h.enroll(await h.add_shop(f"Shop {i}")) for i in range(2)]
            members = [await h.activate() for _ in range(3)]
            now = h.now
            for i, m in enumerate(members):
                await h.upload(
                    shops[i % 2], [scan(m.pay(300, s, 300 * s, now - 30), now - 20) for s in (1, 2)]
                )
            await h.upload(shops[1], [scan(members[0].pay(99, 1, 99, now - 30), now - 10)])
        finally:
            await h.stop()
        return cfg

    cfg = asyncio.run(setup())
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]
    return cfg, ["--data", str(cfg.data_dir), *db]


def tomorrow(clock: Clock) -> str:
    """The day after the clock's day in Brussels: ``--until`` it includes every payment."""
    return (datetime.fromtimestamp(clock(), BRUSSELS).date() + timedelta(days=1)).isoformat()


def test_reconcile_prints_a_summary_then_sepa_statements_findings_and_report(
    tmp_path, backend, key_material, capsys, monkeypatch, clock
):
    monkeypatch.delenv("SSA_PASSPHRASE", raising=False)
    _cfg, base = make_caisse_with_payments(tmp_path, backend, key_material, clock)

    def admin(*argv):
        code = main([*base, *argv])
        captured = capsys.readouterr()
        return code, [json.loads(x) for x in captured.out.splitlines() if x.strip()], captured.err

    code, (summary,), err = admin("reconcile", "--until", tomorrow(clock), "--no-sign")
    assert code == 0 and summary["payments"] == 7 and summary["total_cents"] == 6 * 300 + 99
    assert [d["kind"] for d in summary["double_spends"]] == ["fork"]
    assert "[#" not in err  # no progress bar when stderr is not a terminal
    sepa = tmp_path / "payouts.xml"
    code, (export,), _ = admin("payouts", "export", "--sepa", str(sepa))
    assert code == 0 and export["control_sum_cents"] == summary["total_cents"]
    assert sepa.read_bytes().startswith(b"<?xml")
    assert sepa.stat().st_mode & 0o777 == 0o600  # every shop's account and amount
    code, files, _ = admin("statements", "--settlement", "1", "--out", str(tmp_path / "st"))
    assert code == 0 and len(files) == 2
    assert all(Path(f["file"]).stat().st_mode & 0o777 == 0o600 for f in files)
    code, found, _ = admin("findings", "list", "--pending")
    assert [f["kind"] for f in found] == ["fork"]
    code, (proof,), _ = admin("findings", "export", "--id", found[0]["finding_id"])
    assert len(proof["evidence"]) == 2 and all(
        e["qr"].startswith("SSA1:") for e in proof["evidence"]
    )
    code, (decided,), _ = admin(
        "findings", "decide", found[0]["finding_id"], "--decision", "confirmed"
    )
    assert decided["decision"] == "confirmed"
    with pytest.raises(SystemExit) as usage:
        admin("findings", "decide", found[0]["finding_id"], "--decision", "maybe")
    assert usage.value.code == 2
    month = datetime.fromtimestamp(clock(), BRUSSELS).strftime("%Y-%m")
    code, (report,), _ = admin("report", "--month", month, "--html", str(tmp_path / "r.html"))
    assert code == 0 and report["members"]["total"] == 3
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    code, _, err = admin("reconcile", "--until", "2026-02-30")
    assert code == 1 and "--until" in err


def test_two_reconcile_processes_at_once_pay_each_payment_once(
    tmp_path, backend, key_material, monkeypatch, clock
):
    _cfg, base = make_caisse_with_payments(tmp_path, backend, key_material, clock)
    cmd = [
        sys.executable,
        "-m",
        "server.cli.admin",
        *base,
        "reconcile",
        "--until",
        tomorrow(clock),
        "--no-sign",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    summaries = [json.loads(out) for out, _ in outputs]
    assert sorted(s["payments"] for s in summaries) == [0, 7]
    assert sum(s["findings_new"] for s in summaries) == 1


def test_the_progress_bar_draws_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar("reconcile", stream)
        bar(5, 10)
        bar.close()
    assert "#####" in tty.getvalue() and pipe.getvalue() == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_until_parsing_accepts_dates_and_refuses_anything_else_clearly(text):
    try:
        cutoff = parse_until(text, BRUSSELS)
    except ReconcileError as exc:
        assert str(exc)
    else:
        day = date.fromisoformat(text.strip())
        assert cutoff == parse_until((day - timedelta(days=1)).isoformat(), BRUSSELS) + (
            cutoff - parse_until((day - timedelta(days=1)).isoformat(), BRUSSELS)
        )
        assert (
            23 * 3600
            <= cutoff - parse_until((day - timedelta(days=1)).isoformat(), BRUSSELS)
            <= 25 * 3600
        )


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2200, 1, 1)))
def test_until_is_the_end_of_that_local_day(day):
    cutoff = parse_until(day.isoformat(), BRUSSELS)
    from datetime import datetime

    assert datetime.fromtimestamp(cutoff - 1, BRUSSELS).date() == day
    assert datetime.fromtimestamp(cutoff, BRUSSELS).date() == day + timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_euros_are_written_the_belgian_way_and_read_back(cents):
    text = euros(cents)
    assert text.endswith(" €")
    number = text.removesuffix(" €").replace(".", "").replace(",", ".")
    assert round(float(number) * 100) == cents or abs(cents) > 10**11


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4_000_000_000),  # scan times the server accepts
            st.binary(min_size=32, max_size=32),
            st.integers(min_value=1, max_value=10**7),
            st.sampled_from(["paid", "withheld"]),
            st.sampled_from(["payment", "voucher"]),
        ),
        max_size=20,
    ),
    st.text(max_size=40),
)
def test_statement_csv_always_has_the_same_columns_and_a_total_row(items, name):
    payout = {
        "merchant_id": "shop-1",
        "name": name,
        "iban": "BE71096123456769",
        "payments": len(items),
        "amount_cents": sum(i[2] for i in items if i[3] == "paid"),
        "withheld": 0,
        "withheld_cents": 0,
        "reference": "SSA-S1-ABCDEF12",
    }
    rows = [
        {"scanned_at": t, "token_id": tid, "amount_cents": a, "outcome": o, "kind": k}
        for t, tid, a, o, k in items
    ]
    cfg = config_mod.Config(data_dir=None, caisse="test-caisse")  # type: ignore[arg-type]
    body = render("csv", cfg, {"settlement_id": 1, "until_ts": 0}, payout, rows)
    parsed = list(csv.DictReader(io.StringIO(body.decode()), delimiter=";"))
    assert tuple(parsed[0].keys()) == CSV_COLUMNS if parsed else True
    assert len(parsed) == len(items) + 1 and parsed[-1]["date"] == "TOTAL"
    assert sum(int(r["amount_cents"]) for r in parsed[:-1] if r["status"] == "paid") == int(
        parsed[-1]["amount_cents"]
    )
