"""``ssa-admin household …``, ``member add --household`` and ``contribution set/status/cash``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from stdnum.be import ogm_vcs

from server.caisse.setup import open_caisse
from server.cli.admin import main

from .conftest import PASSPHRASE

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
    config.update(allowance_rules=[GIRONDE_RULE], contribution_schemes=[GIRONDE_SCHEME])
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
