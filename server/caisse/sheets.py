"""A paper member's month of vouchers: one sheet, issued once, reprinted as issued, voided whole.

``sheet_for`` is idempotent: the first call for a member and month signs the
vouchers (the paper share of ``channels``, in the caisse's denominations,
``denominations.split``) and stores them with their signed bytes; every later
call returns the same vouchers (same ids, same QR texts), so printing twice never
doubles the allowance. A lost sheet is voided (``void_sheet``): its vouchers enter
the trust list's ``revoked_vouchers`` in a newly signed list, so tills refuse them
once they have it; ``replace_sheet`` voids and issues the replacement at once,
for what the voided sheet had not been spent on.

Each voucher is bound to the member (``sub``, their pseudonym) and to the month
(``nbf``/``exp`` = the credential period's bounds).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from keys import tokens
from server.caisse import channels, denominations
from server.caisse.households import member_allowance
from server.caisse.issuing import member_lock
from server.caisse.keyring import KeyRing
from server.caisse.trust import sign_new_list
from server.caisse.voucher_pdf import PrintedSheet, PrintedVoucher
from server.config import Config
from server.periods import Period, period_at
from server.storage.core import MEMBER_REVOKED, Queries, Storage

CTI_BYTES = 16
MAX_VOUCHERS = 96  # twelve pages: a set of values that needs more is a mistake
MAX_REASON = 200
REDEEMED, VOIDED, EXPIRED, OUTSTANDING = "redeemed", "voided", "expired", "outstanding"


class SheetError(ValueError):
    """A sheet cannot be issued, found or voided; the message says why."""

    def __init__(self, message: str, error: str = "INVALID_SHEET") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True, slots=True)
class Voucher:
    voucher_id: str  # the cti, hex
    serial: str
    amount_cents: int
    qr: str
    status: str


@dataclass(frozen=True, slots=True)
class Sheet:
    sheet_id: int
    member_id: str
    member_name: str
    period: str
    nbf: int
    exp: int
    share_cents: int
    amount_cents: int
    replaces: int | None
    printed: int
    voided_at: int | None
    vouchers: tuple[Voucher, ...] = field(default=())

    def printable(self) -> PrintedSheet:
        """What goes on paper: the vouchers a shop can still take (not used, not voided)."""
        live = tuple(
            PrintedVoucher(v.serial, v.amount_cents, v.qr)
            for v in self.vouchers
            if v.status == OUTSTANDING
        )
        return PrintedSheet(
            sheet_id=self.sheet_id,
            member_name=self.member_name,
            period=self.period,
            nbf=self.nbf,
            exp=self.exp,
            amount_cents=sum(v.amount_cents for v in live),
            vouchers=live,
            replaces=self.replaces,
            already_used=sum(1 for v in self.vouchers if v.status == REDEEMED),
        )

    def to_json(self, *, with_qr: bool = False) -> dict[str, Any]:
        return {
            "sheet_id": self.sheet_id,
            "member_id": self.member_id,
            "period": self.period,
            "nbf": self.nbf,
            "exp": self.exp,
            "share_cents": self.share_cents,
            "amount_cents": self.amount_cents,
            "replaces": self.replaces,
            "printed": self.printed,
            "voided_at": self.voided_at,
            "vouchers": [
                {
                    "voucher_id": v.voucher_id,
                    "serial": v.serial,
                    "amount_cents": v.amount_cents,
                    "status": v.status,
                    **({"qr": v.qr} if with_qr else {}),
                }
                for v in self.vouchers
            ],
        }


def month(config: Config, name: str) -> Period:
    """The credential period ``YYYY-MM``."""
    if not isinstance(name, str) or len(name) != 7 or name[4] != "-":
        raise SheetError(f"a month is written YYYY-MM, not {name!r:.20}")
    try:
        year, number = int(name[:4]), int(name[5:])
        start = datetime(year, number, 1, tzinfo=ZoneInfo(config.timezone))
    except ValueError:
        raise SheetError(f"a month is written YYYY-MM, not {name!r:.20}") from None
    return period_at(start.timestamp(), ZoneInfo(config.timezone))


def printable_month(config: Config, name: str, now: int) -> Period:
    """``name`` if vouchers may be printed for it now: this month or the next."""
    period = month(config, name)
    tz = ZoneInfo(config.timezone)
    current = period_at(now, tz)
    if period.name not in (current.name, current.next(tz).name):
        raise SheetError(
            f"vouchers are printed for this month ({current.name}) or the next, not {period.name}",
            "WRONG_MONTH",
        )
    return period


def _status(row: Any, now: int) -> str:
    if row["redeemed"]:
        return REDEEMED
    if row["revoked_at"] is not None:
        return VOIDED
    if row["exp"] <= now:
        return EXPIRED
    return OUTSTANDING


async def load_sheets(q: Queries, rows: list[Any], names: dict[str, str], now: int) -> list[Sheet]:
    by_sheet: dict[int, list[Voucher]] = {}
    bounds: dict[int, tuple[int, int]] = {}
    for v in await q.vouchers.vouchers_of([int(r["sheet_id"]) for r in rows]):
        sheet_id = int(v["sheet_id"])
        bounds.setdefault(sheet_id, (int(v["nbf"]), int(v["exp"])))
        by_sheet.setdefault(sheet_id, []).append(
            Voucher(
                voucher_id=bytes(v["cti"]).hex(),
                serial=v["serial"],
                amount_cents=int(v["amount_cents"]),
                qr=tokens.to_qr(bytes(v["cose"])),
                status=_status(v, now),
            )
        )
    out = []
    for r in rows:
        sheet_id = int(r["sheet_id"])
        nbf, exp = bounds.get(sheet_id, (0, 0))
        out.append(
            Sheet(
                sheet_id=sheet_id,
                member_id=r["member_id"],
                member_name=names.get(r["member_id"], r["member_id"]),
                period=r["period"],
                nbf=nbf,
                exp=exp,
                share_cents=int(r["share_cents"]),
                amount_cents=int(r["amount_cents"]),
                replaces=r["replaces"],
                printed=int(r["printed"]),
                voided_at=r["voided_at"],
                vouchers=tuple(by_sheet.get(sheet_id, ())),
            )
        )
    return out


async def get_sheet(q: Queries, sheet_id: int, now: int) -> Sheet:
    row = await q.vouchers.sheet(sheet_id)
    if row is None:
        raise SheetError(f"no voucher sheet {sheet_id}", "NO_SHEET")
    member = await q.member(row["member_id"])
    names = {row["member_id"]: member["name"] if member else row["member_id"]}
    return (await load_sheets(q, [row], names, now))[0]


async def _issuer(q: Queries, keyring: KeyRing) -> tuple[bytes, SigningKey]:
    active = await q.active_issuer_key()
    if active is None:
        raise SheetError("the caisse has no active issuer key", "NO_ISSUER_KEY")
    kid = bytes(active["kid"])
    return kid, keyring.issuer_for(kid, active["file"])


async def sheet_for(
    q: Queries,
    config: Config,
    keyring: KeyRing,
    member_id: str,
    period: Period,
    *,
    actor: str | None,
    now: int,
    replaces: int | None = None,
) -> Sheet | None:
    """The member's sheet of ``period`` (inside a transaction): the one in force, reprinted,
    else a new one for what is left of the month's paper share. None: nothing to print."""
    await q.db.lock(q.conn, member_lock(member_id))
    member = await q.member(member_id)
    if member is None:
        raise SheetError(f"no member {member_id!r:.40}", "NO_MEMBER")
    if member["status"] == MEMBER_REVOKED:
        raise SheetError(f"member {member_id} is revoked", "MEMBER_REVOKED")
    names = {member_id: member["name"]}
    existing = await q.vouchers.sheet_in_force(member_id, period.name)
    if existing is not None:
        await q.vouchers.mark_printed(int(existing["sheet_id"]), now)
        await q.console.append_audit(
            actor=actor,
            action="voucher.reprint",
            target=member_id,
            detail={"sheet_id": int(existing["sheet_id"]), "period": period.name},
            now=now,
        )
        fresh = await q.vouchers.sheet(int(existing["sheet_id"]))
        return (await load_sheets(q, [fresh], names, now))[0]
    channel = await channels.member_channel(q, member_id)
    if channel.channel == channels.WALLET:
        raise SheetError(
            f"member {member_id} pays with the wallet: set their channel to paper or both first",
            "WALLET_MEMBER",
        )
    share = await member_allowance(q, config, member_id, period.name, now=now)
    spent = await q.spent_in_period(member_id, period.name)
    committed = await q.vouchers.committed_cents(member_id, period.name)
    amount = channels.new_sheet_cents(channel, share, spent, committed)
    if amount == 0:
        return None
    values = denominations.split(
        amount, denominations.check_values(config.voucher_denominations_cents)
    )
    if len(values) > MAX_VOUCHERS:
        raise SheetError(
            f"{len(values)} vouchers for {amount} cents: more than {MAX_VOUCHERS}; "
            "add larger values to voucher_denominations_cents"
        )
    kid, key = await _issuer(q, keyring)
    await q.vouchers.lock()
    sheet_id = await q.vouchers.next_sheet_id()
    await q.vouchers.insert_sheet(
        sheet_id=sheet_id,
        member_id=member_id,
        period=period.name,
        share_cents=share,
        amount_cents=amount,
        vouchers=len(values),
        replaces=replaces,
        actor=actor,
        now=now,
    )
    sub = bytes(member["sub"])
    for position, cents in enumerate(values, start=1):
        cti = secrets.token_bytes(CTI_BYTES)
        cose = tokens.encode_voucher(
            iss=config.caisse,
            cti=cti,
            amount_cents=cents,
            nbf=period.nbf,
            exp=period.exp,
            issuer_key=key,
            sub=sub,
        )
        await q.vouchers.insert_voucher(
            cti=cti,
            amount_cents=cents,
            nbf=period.nbf,
            exp=period.exp,
            member_id=member_id,
            issuer_kid=kid,
            sheet_id=sheet_id,
            position=position,
            period=period.name,
            serial=f"{sheet_id}-{position:02d}",
            cose=cose,
            now=now,
        )
    await q.vouchers.mark_printed(sheet_id, now)
    await q.console.append_audit(
        actor=actor,
        action="voucher.issue",
        target=member_id,
        detail={
            "sheet_id": sheet_id,
            "period": period.name,
            "amount_cents": amount,
            "vouchers": len(values),
            "replaces": replaces,
        },
        now=now,
    )
    row = await q.vouchers.sheet(sheet_id)
    return (await load_sheets(q, [row], names, now))[0]


@dataclass(frozen=True, slots=True)
class PrintRun:
    sheets: list[Sheet]
    skipped: list[dict[str, Any]]  # members with nothing to print, and why

    @property
    def vouchers(self) -> int:
        return sum(len(s.printable().vouchers) for s in self.sheets)

    @property
    def total_cents(self) -> int:
        return sum(s.printable().amount_cents for s in self.sheets)


async def print_run(
    storage: Storage,
    config: Config,
    keyring: KeyRing,
    period_name: str,
    *,
    member_id: str | None = None,
    actor: str | None,
    now: int,
) -> PrintRun:
    """The sheets of every paper member (or one member) for the month: issued or reprinted,
    one transaction per member, in name order."""
    period = printable_month(config, period_name, now)
    async with storage.read() as q:
        if member_id is not None:
            if await q.member(member_id) is None:
                raise SheetError(f"no member {member_id!r:.40}", "NO_MEMBER")
            wanted = [member_id]
        else:
            wanted = [r["member_id"] for r in await q.vouchers.paper_members()]
    sheets, skipped = [], []
    for mid in wanted:
        async with storage.transaction() as q:
            sheet = await sheet_for(q, config, keyring, mid, period, actor=actor, now=now)
        if sheet is None:
            skipped.append({"member_id": mid, "reason": "nothing left to print this month"})
        elif not sheet.printable().vouchers:
            skipped.append({"member_id": mid, "reason": "every voucher already used"})
        else:
            sheets.append(sheet)
    return PrintRun(sheets, skipped)


def _reason(reason: str | None) -> str:
    text = (reason or "lost").strip()
    if not text or len(text) > MAX_REASON or any(ord(c) < 32 for c in text):
        raise SheetError(f"a reason is 1 to {MAX_REASON} printable characters")
    return text


async def find_sheet(
    q: Queries,
    config: Config,
    *,
    sheet_id: int | None = None,
    member_id: str | None = None,
    period_name: str | None = None,
    serial: str | None = None,
) -> int:
    """A sheet's number from its number, a voucher's serial, or a member and month."""
    if sheet_id is not None:
        return sheet_id
    if serial is not None:
        row = await q.vouchers.by_serial(serial.strip().lstrip("N°").strip())
        if row is None or row["sheet_id"] is None:
            raise SheetError(f"no voucher with serial {serial!r:.20}", "NO_SHEET")
        return int(row["sheet_id"])
    if member_id is not None and period_name is not None:
        row = await q.vouchers.sheet_in_force(member_id, month(config, period_name).name)
        if row is None:
            raise SheetError(
                f"member {member_id} has no sheet in force for {period_name}", "NO_SHEET"
            )
        return int(row["sheet_id"])
    raise SheetError("name the sheet: its number, a voucher's serial, or a member and month")


async def void_sheet(
    q: Queries,
    config: Config,
    root: SigningKey,
    sheet_id: int,
    *,
    reason: str | None,
    actor: str | None,
    now: int,
) -> dict[str, Any]:
    """Void a whole sheet (lost, stolen, destroyed): its vouchers are revoked in a newly
    signed trust list. A voucher a shop had already taken stays paid to that shop."""
    why = _reason(reason)
    row = await q.vouchers.sheet(sheet_id)
    if row is None:
        raise SheetError(f"no voucher sheet {sheet_id}", "NO_SHEET")
    await q.db.lock(q.conn, member_lock(row["member_id"]))
    if not await q.vouchers.void_sheet(sheet_id, actor, why, now):
        raise SheetError(f"sheet {sheet_id} is already void", "ALREADY_VOID")
    signed = await sign_new_list(q, config, root, now, "voucher sheet voided")
    sheet = await get_sheet(q, sheet_id, now)
    unspent = sum(v.amount_cents for v in sheet.vouchers if v.status == VOIDED)
    await q.console.append_audit(
        actor=actor,
        action="voucher.void",
        target=row["member_id"],
        detail={
            "sheet_id": sheet_id,
            "period": row["period"],
            "reason": why,
            "voided_cents": unspent,
        },
        now=now,
    )
    return {
        "sheet_id": sheet_id,
        "member_id": row["member_id"],
        "period": row["period"],
        "voided": sum(1 for v in sheet.vouchers if v.status == VOIDED),
        "voided_cents": unspent,
        "already_redeemed": sum(1 for v in sheet.vouchers if v.status == REDEEMED),
        "trust_list_seq": signed.seq,
    }


async def replace_sheet(
    q: Queries,
    config: Config,
    keyring: KeyRing,
    sheet_id: int,
    *,
    reason: str | None,
    actor: str | None,
    now: int,
) -> tuple[dict[str, Any], Sheet | None]:
    """Void the sheet, then issue its replacement for what it had not been spent on."""
    row = await q.vouchers.sheet(sheet_id)
    if row is None:
        raise SheetError(f"no voucher sheet {sheet_id}", "NO_SHEET")
    period = printable_month(config, row["period"], now)
    voided = await void_sheet(
        q, config, keyring.root, sheet_id, reason=reason, actor=actor, now=now
    )
    sheet = await sheet_for(
        q, config, keyring, row["member_id"], period, actor=actor, now=now, replaces=sheet_id
    )
    return voided, sheet


async def tracking(
    q: Queries, *, now: int, period: str | None = None, member_id: str | None = None
) -> list[dict[str, Any]]:
    """Per member and month: vouchers issued, redeemed, voided, expired, outstanding."""
    out = []
    for r in await q.vouchers.tracking(now, period=period, member_id=member_id):
        item: dict[str, Any] = {
            "member_id": r["member_id"],
            "name": r["name"],
            "period": r["period"],
        }
        for name in ("issued", REDEEMED, VOIDED, EXPIRED, OUTSTANDING):
            item[name] = int(r[name] or 0)
            item[f"{name}_cents"] = int(r[f"{name}_cents"] or 0)
        out.append(item)
    return out


__all__ = [
    "PrintRun",
    "Sheet",
    "SheetError",
    "Voucher",
    "find_sheet",
    "get_sheet",
    "month",
    "print_run",
    "printable_month",
    "replace_sheet",
    "sheet_for",
    "tracking",
    "void_sheet",
]
