"""``ssa-admin household …``, ``member add --household`` and ``contribution set/status/cash``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from stdnum.be import ogm_vcs

from server.caisse import households
from server.caisse.setup import open_caisse
from server.cli.admin import main

from .bank_statements import Move, coda
from .conftest import PASSPHRASE

CAISSE_IBAN = "BE62510007547061"
GIRONDE_RULE = {
    "from": "2020-01",
    "first_adult_cents": 15000,
    "extra_adult_cents": 7500,
    "child_cents": 7500,
}
GIRONDE_SCHEME = {
    "from": "2020-01",
    "kind": "free",
    "floor_household_cents": 1000,
    "floor_extra_person_cents": 500,
    "suggestions": [
        {"up_to_income_cents": 100000, "cents": 1000},
        {"up_to_income_cents": None, "cents": 3000},
    ],
}


@pytest.fixture
def admin(tmp_path, backend, monkeypatch, capsys, now):
    monkeypatch.setenv("SSA_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("SSA_DATABASE_URL", raising=False)
    for module in ("server.cli.admin", "server.cli.admin_households"):
        monkeypatch.setattr(f"{module}.now", lambda: now)
    data = tmp_path / "caisse"
    db = [] if backend.url is None else ["--database", f"{backend.url}?schema={backend.schema}"]

    def run(*argv: str) -> tuple[int, list[dict], str]:
        code = main(["--data", str(data), *db, *argv])
        captured = capsys.readouterr()
        lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
        return code, lines, captured.err

    code, _, err = run("init", "--caisse", "be-test", "--kdf", "interactive")
    assert code == 0, err
    config = json.loads((data / "config.json").read_text())
    config.update(
        allowance_rules=[GIRONDE_RULE],
        contribution_schemes=[GIRONDE_SCHEME],
        sepa_debtor_name="SSA Bruxelles",
        sepa_debtor_iban=CAISSE_IBAN,
        sepa_creditor_id="BE69ZZZ050D000000008",
        sepa_prenotice_days=0,
    )
    (data / "config.json").write_text(json.dumps(config))
    run.data = data  # type: ignore[attr-defined]
    run.db = db  # type: ignore[attr-defined]
    return run


def this_month(now: int) -> str:
    return datetime.fromtimestamp(now, ZoneInfo("Europe/Brussels")).strftime("%Y-%m")


def test_household_add_gives_its_allowance_and_members_join_it(admin):
    code, out, _ = admin(
        "household",
        "add",
        "--name",
        "Rue Haute 3",
        "--adults",
        "2",
        "--children",
        "2",
        "--birth-years",
        "1980,2015",
    )
    assert code == 0
    house = out[0]
    assert {"household_id", "adults", "children", "allowance_cents"} <= set(house)
    assert (house["adults"], house["children"], house["allowance_cents"]) == (2, 2, 37500)
    assert ogm_vcs.is_valid(house["reference"])
    hid = str(house["household_id"])
    code, out, _ = admin("member", "add", "--name", "Ada", "--household", hid)
    assert code == 0 and out[0]["household_id"] == house["household_id"]
    admin("member", "add", "--name", "Bob", "--household", hid)
    code, _, err = admin("member", "add", "--name", "Cyd", "--household", hid)
    assert code == 1 and "all with a wallet" in err
    code, out, _ = admin("member", "add", "--name", "Dee")
    assert code == 0 and out[0]["household_id"] != house["household_id"]
    code, out, _ = admin("household", "show", hid)
    assert sorted(m["name"] for m in out[0]["members"]) == ["Ada", "Bob"]
    code, out, _ = admin("household", "edit", hid, "--children", "3")
    assert code == 0 and out[0]["allowance_cents"] == 45000
    code, out, _ = admin("household", "list")
    assert len(out) == 2
    code, _, err = admin("household", "edit", hid, "--adults", "1")
    assert code == 1 and "cannot have fewer adults" in err
    code, _, err = admin("household", "show", "999")
    assert code == 1 and "no household 999" in err


def test_contribution_set_below_the_floor_is_a_clear_error(admin, now):
    _, out, _ = admin("household", "add", "--adults", "2", "--children", "1")
    hid = str(out[0]["household_id"])
    code, _, err = admin("contribution", "set", "--household", hid, "--monthly-cents", "1999")
    assert code == 1 and "below this household's floor of 2000 cents" in err
    code, out, _ = admin("contribution", "set", "--household", hid, "--monthly-cents", "2500")
    assert code == 0
    assert out[0]["monthly_cents"] == 2500 and out[0]["from_period"] == this_month(now)
    assert out[0]["reference"] == f"+++000/0000/00{hid}{int(hid) % 97:02d}+++"
    # A second choice starts next month; a suggestion from the income stores nothing of it.
    code, out, _ = admin(
        "contribution", "suggest", "--household", hid, "--declared-income-cents", "350000"
    )
    assert out[0]["suggested_cents"] == 3000
    code, out, _ = admin(
        "contribution", "set", "--household", hid, "--declared-income-cents", "350000"
    )
    assert code == 0 and out[0]["monthly_cents"] == 3000 and out[0]["from_period"] > this_month(now)

    async def incomes():
        url = admin.db[1] if admin.db else None
        async with open_caisse(admin.data, url) as caisse, caisse.storage.read() as q:
            return await q.households.declared_income(int(hid))

    assert asyncio.run(incomes()) == []  # a free scheme keeps no income


def test_status_shows_due_paid_and_balance_per_household_and_month(admin, now):
    _, out, _ = admin("household", "add", "--adults", "1")
    one = str(out[0]["household_id"])
    _, out, _ = admin("household", "add", "--adults", "1")
    two = str(out[0]["household_id"])
    admin("contribution", "set", "--household", one, "--monthly-cents", "1500")
    admin("contribution", "set", "--household", two, "--monthly-cents", "1000")
    code, out, _ = admin("contribution", "cash", "--household", one, "--cents", "2000")
    assert code == 0 and out[0]["channel"] == "cash"
    code, lines, err = admin("contribution", "status")
    month = this_month(now)
    assert lines == [
        {
            "household_id": int(one),
            "period": month,
            "due_cents": 1500,
            "paid_cents": 2000,
            "balance_cents": 500,
        },
        {
            "household_id": int(two),
            "period": month,
            "due_cents": 1000,
            "paid_cents": 0,
            "balance_cents": -1000,
        },
    ]
    assert "not suspended" in err
    code, lines, _ = admin("contribution", "status", "--household", two, "--period", month)
    assert [line["household_id"] for line in lines] == [int(two)]
    code, lines, _ = admin("contribution", "status", "--unpaid")
    assert [line["household_id"] for line in lines] == [int(two)]


def test_mandate_debit_import_and_books_from_the_command_line(admin, now, tmp_path):
    _, out, _ = admin("household", "add", "--adults", "1")
    hid = str(out[0]["household_id"])
    admin("member", "add", "--name", "Élise", "--household", hid)
    admin("contribution", "set", "--household", hid, "--monthly-cents", "1500")
    day = datetime.fromtimestamp(now, ZoneInfo("Europe/Brussels")).date()
    code, out, err = admin(
        "mandate",
        "add",
        "--household",
        hid,
        "--iban",
        "BE38 0967 6543 2172",
        "--signed-on",
        day.isoformat(),
    )
    assert code == 0, err
    assert out[0]["mandate_id"] == f"SSA{int(hid):07d}M1"
    file = tmp_path / "debit.xml"
    code, out, err = admin(
        "contribution",
        "debit",
        "--collection-date",
        (day + timedelta(days=2)).isoformat(),
        "--out",
        str(file),
    )
    assert code == 0, err
    assert {"file", "transactions", "control_sum_cents"} <= set(out[0])
    assert (out[0]["transactions"], out[0]["control_sum_cents"], out[0]["frst"]) == (1, 1500, 1)
    assert b"<SeqTp>FRST</SeqTp>" in file.read_bytes()
    # The bank's statement: the debit collected, and a transfer with the communication.
    statement = tmp_path / "statement.cod"
    statement.write_bytes(
        coda(
            CAISSE_IBAN,
            [
                Move(
                    500,
                    day,
                    "REF-A",
                    structured=households.reference_digits(int(hid)),
                    iban="BE43068999999501",
                    name="Elise",
                ),
            ],
            created=day,
        )
    )
    code, out, _ = admin("contribution", "import", str(statement))
    assert code == 0
    assert {
        k: out[0][k] for k in ("lines", "matched", "matched_cents", "unmatched", "duplicates")
    } == {"lines": 1, "matched": 1, "matched_cents": 500, "unmatched": 0, "duplicates": 0}
    code, out, _ = admin("contribution", "import", str(statement))
    assert (out[0]["duplicates"], out[0]["matched"]) == (1, 0)
    admin("subsidy", "add", "--source", "commune", "--cents", "250000")
    ledger, table = tmp_path / "books.beancount", tmp_path / "books.csv"
    month = day.strftime("%Y-%m")
    code, out, _ = admin(
        "books", "--period", month, "--csv", str(table), "--beancount", str(ledger)
    )
    assert code == 0
    assert out[0]["contributions_cents"] == {"transfer": 500}
    assert out[0]["subsidies_cents"] == {"commune": 250000} and out[0]["in_cents"] == 250500
    check = subprocess.run(
        [Path(sys.executable).parent / "bean-check", str(ledger)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert len(table.read_text().splitlines()) == 3


def test_a_new_allowance_rule_can_only_start_after_the_month_under_way(admin, now):
    month = this_month(now)
    code, _, err = admin(
        "allowance",
        "rule",
        "--from",
        month,
        "--first-adult-cents",
        "20000",
        "--extra-adult-cents",
        "0",
        "--child-cents",
        "0",
    )
    assert code == 1 and "takes effect after" in err
    year, mon = int(month[:4]), int(month[5:])
    nxt = f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"
    code, out, _ = admin(
        "allowance",
        "rule",
        "--from",
        nxt,
        "--first-adult-cents",
        "20000",
        "--extra-adult-cents",
        "0",
        "--child-cents",
        "0",
    )
    assert code == 0 and [r["from"] for r in out[0]["allowance_rules"]] == ["2020-01", nxt]
    saved = json.loads((admin.data / "config.json").read_text())["allowance_rules"]
    assert saved[-1]["first_adult_cents"] == 20000
    _, out, _ = admin("household", "add", "--adults", "1")
    assert out[0]["allowance_cents"] == 15000  # this month's rule


def test_a_volunteer_assigns_an_unknown_credit_from_the_command_line(admin, now, tmp_path):
    _, out, _ = admin("household", "add", "--adults", "1")
    hid = str(out[0]["household_id"])
    admin("contribution", "set", "--household", hid, "--monthly-cents", "1500")
    day = datetime.fromtimestamp(now, ZoneInfo("Europe/Brussels")).date()
    statement = tmp_path / "statement.cod"
    statement.write_bytes(
        coda(
            CAISSE_IBAN,
            [
                Move(1500, day, "REF-X", text="pour Élise", iban="BE43068999999501", name="Elise"),
                Move(300, day, "REF-Y", text="un don", iban="BE38096765432172", name="Ami"),
            ],
            created=day,
        )
    )
    code, out, err = admin("contribution", "import", str(statement))
    assert out[0]["unmatched"] == 2 and "wait for review" in err
    _, queue, _ = admin("contribution", "review")
    keys = {row["counterparty_name"]: row["entry_key"] for row in queue}
    code, out, _ = admin("contribution", "assign", "--entry", keys["Elise"], "--household", hid)
    assert code == 0 and out[0] == {
        "entry": keys["Elise"],
        "status": "assigned",
        "household_id": int(hid),
        "amount_cents": 1500,
    }
    code, out, _ = admin(
        "contribution", "assign", "--entry", keys["Ami"], "--set-aside", "--note", "a gift"
    )
    assert code == 0 and out[0]["status"] == "set_aside"
    _, queue, _ = admin("contribution", "review")
    assert queue == []
    _, lines, _ = admin("contribution", "status", "--household", hid)
    assert lines[-1]["balance_cents"] == 0
