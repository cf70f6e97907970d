"""``ssa-admin demo`` (used by ``make run``): a demo caisse in ``./data``, fresh codes each run.

Created once with the cheap "interactive" KDF and a passphrase everybody knows
(it is shown as a DEMO passphrase: never use this for a real caisse). Each run
prints a new wallet activation link (for a not-yet-activated demo member), a
new scanner enrolment code for the first demo shop, and the console's DEMO login.
"""

from __future__ import annotations

import sys
from pathlib import Path

from server import config as config_mod
from server.caisse import members, merchants
from server.caisse.setup import AdminError, init_caisse, open_caisse
from server.console.auth.accounts import add_user
from server.storage.core import MEMBER_PENDING, MERCHANT_ACTIVE

DEMO_PASSPHRASE = "demo-passphrase-not-secret"
DEMO_CAISSE = "demo-caisse"
DEMO_ADMIN = ("admin@demo.example", "demo-admin-password")
DEMO_MEMBERS = [
    ("Demo member Alice", "alice@example.org"),
    ("Demo member Bob", None),
    ("Demo member Chloé", None),
]
DEMO_SHOPS = [
    ("Épicerie du Coin (demo)", "BE71 0961 2345 6769", None),
    ("Coopérative Bio (demo)", "BE62 5100 0754 7061", None),
]


async def ensure_demo(data_dir: Path, database_url: str | None, now: int) -> dict:
    data_dir = data_dir.resolve()
    created = not (data_dir / config_mod.CONFIG_FILE).exists()
    if created:
        cfg = config_mod.Config(
            data_dir=data_dir,
            caisse=DEMO_CAISSE,
            kdf_profile="interactive",
            demo=True,
            database_url=database_url,
        )
        await init_caisse(cfg, DEMO_PASSPHRASE, now)
    async with open_caisse(data_dir, database_url) as caisse:
        if not caisse.config.demo:
            raise AdminError(f"{data_dir} holds a real caisse, not a demo; not touching it")
        async with caisse.storage.transaction() as q:
            if created:
                for name, email in DEMO_MEMBERS:
                    await members.add_member(q, caisse.config, name=name, email=email, now=now)
                for name, iban, bic in DEMO_SHOPS:
                    await merchants.add_merchant(
                        q, caisse.config, name=name, iban=iban, bic=bic, now=now
                    )
            pending = [m for m in await q.members() if m["status"] == MEMBER_PENDING]
            if pending:
                member = await members.new_activation_code(
                    q, caisse.config, pending[0]["member_id"], now
                )
            else:
                member = await members.add_member(
                    q, caisse.config, name=f"Demo member {now}", email=None, now=now
                )
            shop = next(m for m in await q.merchants() if m["status"] == MERCHANT_ACTIVE)
            scanner = await merchants.new_enrollment_code(
                q, caisse.config, shop["merchant_id"], now
            )
        await add_user(
            caisse.storage, email=DEMO_ADMIN[0], password=DEMO_ADMIN[1], role="admin", now=now,
            actor="demo",
        )  # fmt: skip
    result = {
        "created": created,
        "caisse": DEMO_CAISSE,
        "data_dir": str(data_dir),
        "server": caisse.config.base_url,
        "member_id": member.member_id,
        "activation_url": member.activation_url,
        "activation_code": member.activation_code,
        "merchant_id": scanner.merchant_id,
        "enrollment_code": scanner.enrollment_code,
    }
    _banner(result)
    return result


def _banner(r: dict) -> None:
    lines = [
        "",
        "=" * 72,
        f"  DEMO caisse '{r['caisse']}' in {r['data_dir']}"
        + (" (just created)" if r["created"] else ""),
        f"  DEMO passphrase: {DEMO_PASSPHRASE!r} (public; never for a real caisse)",
        f"  Server:                 {r['server']}",
        f"  Admin console:          {r['server']}/admin/",
        f"  DEMO console login:     {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]!r}",
        f"  Wallet activation link: {r['activation_url']}",
        f"  Scanner enrolment code: {r['enrollment_code']}  (shop {r['merchant_id']})",
        "=" * 72,
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
