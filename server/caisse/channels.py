"""A member's channel: the phone wallet, paper vouchers, or both with the allowance split.

``members.channel`` is NULL or ``wallet`` (the default: every member before this
existed), ``paper``, or ``both``; for ``both``, ``members.paper_cents`` is the part
of each month's share printed as vouchers (at most the share), the rest goes to
the wallet. The member's share itself is issue-G's: ``households.member_allowance``.

For one member and month, with ``S`` the share, ``spent`` what the wallet's
payments received so far took, and ``committed`` the paper value already held
or spent (vouchers not voided, and voided ones a shop had already redeemed):

    paper target  T = S (paper), min(paper_cents, S) (both), 0 (wallet)
    wallet part   W = S - max(T, committed)            (credential: W - spent, at least 0)
    a new sheet   P = S - max(spent, W) - committed    (at least 0)

So wallet and paper never add up to more than ``S``: a member switched from the
wallet to paper mid-month gets on paper what the wallet has not spent (and the
wallet's credential is revoked, so the phone cannot spend it too); a member back
on the wallet keeps the vouchers already printed and the phone gets the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from server.caisse.households import member_allowance
from server.caisse.trust import sign_new_list
from server.config import Config
from server.storage.core import MEMBER_REVOKED, Queries

WALLET, PAPER, BOTH = "wallet", "paper", "both"
CHANNELS = (WALLET, PAPER, BOTH)
MAX_PAPER_CENTS = 10_000_000


class ChannelError(ValueError):
    """A channel cannot be set; the message says why."""

    def __init__(self, message: str, error: str = "INVALID_CHANNEL") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True, slots=True)
class Channel:
    channel: str
    paper_cents: int | None  # "both" only

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "paper_cents": self.paper_cents}


def check_channel(channel: Any, paper_cents: Any = None) -> Channel:
    if channel not in CHANNELS:
        raise ChannelError(f"the channel is one of {', '.join(CHANNELS)}, not {channel!r:.20}")
    if channel != BOTH:
        if paper_cents is not None:
            raise ChannelError("a paper part is set only with the channel 'both'")
        return Channel(channel, None)
    if type(paper_cents) is not int or not 1 <= paper_cents <= MAX_PAPER_CENTS:
        raise ChannelError("with 'both', give the monthly paper part in cents (at least 1)")
    return Channel(BOTH, paper_cents)


def of_row(row: Any) -> Channel:
    channel = row["channel"] or WALLET
    return Channel(channel, row["paper_cents"] if channel == BOTH else None)


def paper_target(channel: Channel, share_cents: int) -> int:
    if channel.channel == PAPER:
        return share_cents
    if channel.channel == BOTH:
        return min(channel.paper_cents or 0, share_cents)
    return 0


def wallet_part(channel: Channel, share_cents: int, committed_cents: int) -> int:
    """What the month's wallet credential may hold before payments already made (``W``)."""
    return max(0, share_cents - max(paper_target(channel, share_cents), committed_cents))


def new_sheet_cents(
    channel: Channel, share_cents: int, spent_cents: int, committed_cents: int
) -> int:
    """The face value a new sheet of the month carries (``P``)."""
    wallet = wallet_part(channel, share_cents, committed_cents)
    return max(0, share_cents - max(spent_cents, wallet) - committed_cents)


async def member_channel(q: Queries, member_id: str) -> Channel:
    row = await q.vouchers.channel(member_id)
    if row is None:
        raise ChannelError(f"no member {member_id!r:.40}", "NO_MEMBER")
    return of_row(row)


async def wallet_allowance(
    q: Queries, config: Config, member_id: str, period: str, *, now: int
) -> int:
    """The allowance a wallet credential of ``period`` is granted (``W``), before payments.

    What ``issuing.credentials_for`` grants instead of the whole share: the whole share
    for a wallet-only member without vouchers, as before.
    """
    share = await member_allowance(q, config, member_id, period, now=now)
    channel = await member_channel(q, member_id)
    committed = await q.vouchers.committed_cents(member_id, period)
    return wallet_part(channel, share, committed)


async def set_channel(
    q: Queries,
    config: Config,
    root: SigningKey | None,
    member_id: str,
    channel: str,
    paper_cents: int | None = None,
    *,
    actor: str | None,
    now: int,
) -> dict[str, Any]:
    """Set a member's channel. When the wallet's part shrinks, the member's credentials are
    revoked in a newly signed trust list (``root`` needed then): the phone fetches a new
    one with the smaller amount, and cannot spend what is now printed."""
    wanted = check_channel(channel, paper_cents)
    row = await q.vouchers.channel(member_id)
    if row is None:
        raise ChannelError(f"no member {member_id!r:.40}", "NO_MEMBER")
    if row["status"] == MEMBER_REVOKED:
        raise ChannelError(f"member {member_id} is revoked", "MEMBER_REVOKED")
    before = of_row(row)
    shrinks = _wallet_shrinks(before, wanted)
    revoked, seq = 0, None
    if shrinks and await q.vouchers.live_credentials(member_id, now):
        if root is None:
            raise ChannelError(
                "the member's phone holds a credential: the root key's passphrase is needed "
                "to revoke it (SSA_PASSPHRASE)",
                "PASSPHRASE_NEEDED",
            )
        revoked = await q.revoke_credentials_of(member_id, now)
        seq = (await sign_new_list(q, config, root, now, "member channel changed")).seq
    await q.vouchers.set_channel(member_id, wanted.channel, wanted.paper_cents)
    await q.console.append_audit(
        actor=actor,
        action="member.channel",
        target=member_id,
        detail={
            "from": before.channel,
            "to": wanted.channel,
            "paper_cents": wanted.paper_cents,
            "credentials_revoked": revoked,
        },
        now=now,
    )
    return {
        "member_id": member_id,
        **wanted.to_json(),
        "previous": before.channel,
        "credentials_revoked": revoked,
        "trust_list_seq": seq,
    }


def _wallet_shrinks(before: Channel, after: Channel) -> bool:
    """Whether the wallet may get less under ``after`` than under ``before`` (any share)."""
    order = {WALLET: 0, BOTH: 1, PAPER: 2}
    if order[after.channel] != order[before.channel]:
        return order[after.channel] > order[before.channel]
    return after.channel == BOTH and (after.paper_cents or 0) > (before.paper_cents or 0)


__all__ = [
    "BOTH",
    "CHANNELS",
    "PAPER",
    "WALLET",
    "Channel",
    "ChannelError",
    "check_channel",
    "member_channel",
    "new_sheet_cents",
    "paper_target",
    "set_channel",
    "wallet_allowance",
    "wallet_part",
]
