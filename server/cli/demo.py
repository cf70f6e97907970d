"""``ssa-admin demo`` (used by ``make run``): a demo caisse in ``./data``.

Created once with the cheap "interactive" KDF and a passphrase everybody knows
(it is shown as a DEMO passphrase: never use this for a real caisse). Each run
prints a wallet activation link (for a not-yet-activated demo member), a
scanner enrolment code for the first demo shop, and the console's DEMO login.

Running it again does not silently kill the link printed last time: the codes it
printed are kept in ``DIR/demo-codes.json`` (a demo's codes are public anyway)
and printed again while they still work; a code that was used or has expired is
replaced, and the banner says so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from server import config as config_mod
from server.caisse import codes, members, merchants
from server.caisse.setup import AdminError, init_caisse, open_caisse
from server.console.auth.accounts import add_user
from server.storage.core import MEMBER_PENDING, MERCHANT_ACTIVE, Queries

DEMO_PASSPHRASE = "demo-passphrase-not-secret"
DEMO_CAISSE = "demo-caisse"
DEMO_NAME = "Caisse SSA démo"
DEMO_CODES = "demo-codes.json"
DEMO_ADMIN = ("admin@demo.example", "demo-admin-password")
# Names, addresses and shops as a Brussels caisse has them: no English words that the
# console would show untranslated to a French- or Dutch-speaking volunteer.
DEMO_MEMBERS = [
    ("Alice Dubois", "alice@example.org", "fr"),
    ("Bram Peeters", None, "nl"),
    ("Chloé Martin", None, "fr"),
]
DEMO_SHOPS = [
    ("Épicerie du Coin", "BE71 0961 2345 6769", "fr", "Rue Haute 12, 1000 Bruxelles"),
    ("Bioboerderij De Kouter", "BE62 5100 0754 7061", "nl", "Kouterstraat 3, 1070 Anderlecht"),
]


async def _kept_code(q: Queries, kept: dict, key: str, kind: str, now: int) -> str | None:
    """The code printed last time under ``key``, if it still works."""
    code = kept.get(key)
    digest = codes.code_hash(code) if isinstance(code, str) else None
    if digest is None:
        return None
    return await q.code_subject(digest, kind, now)


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
            display_name=DEMO_NAME,
        )
        await init_caisse(cfg, DEMO_PASSPHRASE, now)
    codes_file = data_dir / DEMO_CODES
    try:
        kept = json.loads(codes_file.read_text())
    except (OSError, ValueError):
        kept = {}
    async with open_caisse(data_dir, database_url) as caisse:
        if not caisse.config.demo:
            raise AdminError(f"{data_dir} holds a real caisse, not a demo; not touching it")
        async with caisse.storage.transaction() as q:
            if created:
                for name, email, language in DEMO_MEMBERS:
                    await members.add_member(
                        q, caisse.config, name=name, email=email, now=now, language=language
                    )
                for name, iban, language, address in DEMO_SHOPS:
                    await merchants.add_merchant(
                        q, caisse.config, name=name, iban=iban, bic=None, now=now,
                        language=language, address=address,
                    )  # fmt: skip
            member_id = await _kept_code(q, kept, "activation_code", members.KIND, now)
            member_kept = member_id is not None
            if member_kept:
                activation_code = kept["activation_code"]
            else:
                pending = [m for m in await q.members() if m["status"] == MEMBER_PENDING]
                if pending:
                    member = await members.new_activation_code(
                        q, caisse.config, pending[0]["member_id"], now
                    )
                else:
                    member = await members.add_member(
                        q, caisse.config, name=f"Dina Lambert {now % 1000}", email=None, now=now
                    )
                member_id, activation_code = member.member_id, member.activation_code
            merchant_id = await _kept_code(q, kept, "enrollment_code", merchants.KIND, now)
            scanner_kept = merchant_id is not None
            if scanner_kept:
                enrollment_code = kept["enrollment_code"]
            else:
                shop = next(m for m in await q.merchants() if m["status"] == MERCHANT_ACTIVE)
                scanner = await merchants.new_enrollment_code(
                    q, caisse.config, shop["merchant_id"], now
                )
                merchant_id, enrollment_code = scanner.merchant_id, scanner.enrollment_code
        await add_user(
            caisse.storage, email=DEMO_ADMIN[0], password=DEMO_ADMIN[1], role="admin", now=now,
            actor="demo",
        )  # fmt: skip
    codes_file.write_text(
        json.dumps({"activation_code": activation_code, "enrollment_code": enrollment_code})
    )
    codes_file.chmod(0o600)
    result = {
        "created": created,
        "caisse": DEMO_CAISSE,
        "data_dir": str(data_dir),
        "server": caisse.config.base_url,
        "member_id": member_id,
        "activation_url": members.activation_url(caisse.config, activation_code),
        "activation_code": activation_code,
        "activation_code_kept": member_kept,
        "merchant_id": merchant_id,
        "enrollment_code": enrollment_code,
        "enrollment_code_kept": scanner_kept,
    }
    _banner(result, replaced=bool(kept))
    return result


def _banner(r: dict, *, replaced: bool) -> None:
    def state(kept: bool) -> str:
        if kept:
            return "  (the same as last time: it still works)"
        return "  (new: the one printed last time was used or expired)" if replaced else ""

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
        *filter(None, [state(r["activation_code_kept"])]),
        f"  Scanner enrolment code: {r['enrollment_code']}  (shop {r['merchant_id']})",
        *filter(None, [state(r["enrollment_code_kept"])]),
        "=" * 72,
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
