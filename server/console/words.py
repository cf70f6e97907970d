"""Words, not codes: what the console shows instead of the codes the caisse stores.

A refused scan's SPEC code (``MALFORMED``, ``REVOKED``, …), an audit entry's
action (``sepa.download``) and details (``control_sum_cents: 6664``), why a
trust list was signed ("caisse created"): each has a sentence a volunteer reads
in their language. A code this table does not know yet is shown as it is (a
newer server's code is never hidden). ``Words`` is in every template's context
as ``words``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from server.languages import N_, NAMES, Formats

REFUSALS = {
    "MALFORMED": N_("not a valid SSA code (damaged or not one of ours)"),
    "UNSUPPORTED_ALG": N_("signed in a way the caisse does not accept"),
    "WRONG_TYPE": N_("not a payment or a voucher"),
    "UNKNOWN_KEY": N_("signed by a key the caisse does not know"),
    "BAD_SIGNATURE": N_("forged or altered code"),
    "ISSUER_KEY_INVALID": N_("signed with a key that was no longer valid"),
    "REVOKED": N_("wallet, allowance or voucher blocked by the caisse"),
    "NOT_YET_VALID": N_("allowance not valid yet"),
    "EXPIRED": N_("allowance or voucher expired"),
    "STALE": N_("payment code too old when it was scanned"),
    "INVALID_AMOUNT": N_("invalid amount"),
    "OVER_ALLOWANCE": N_("more than what was left of the allowance"),
    "WRONG_MERCHANT": N_("payment meant for another shop"),
    "REPLAY": N_("the same payment scanned again"),
    "DOUBLE_SPEND": N_("contradicts a payment already accepted"),
    "TRUST_LIST_INVALID": N_("the till's trust list was not authentic"),
    "TRUST_LIST_EXPIRED": N_("the till's trust list was out of date"),
    "SCAN_IN_FUTURE": N_("scan time in the future (the till's clock is wrong)"),
    "SCAN_TOO_OLD": N_("scanned too long ago to be paid"),
}

ACTIONS = {
    "login": N_("logged in"),
    "login.failed": N_("wrong password"),
    "logout": N_("logged out"),
    "member.add": N_("member added"),
    "member.edit": N_("member's details changed"),
    "member.import": N_("members imported from a file"),
    "member.export": N_("list of members downloaded"),
    "member.code": N_("new activation code"),
    "member.reenrol": N_("lost phone: old phone blocked, new code"),
    "member.revoke": N_("member revoked"),
    "shop.add": N_("shop added"),
    "shop.edit": N_("shop's details changed"),
    "shop.code": N_("new scanner enrolment code"),
    "shop.suspended": N_("shop suspended"),
    "shop.resumed": N_("shop resumed"),
    "shop.revoke_till": N_("till revoked"),
    "reconcile.run": N_("reconciliation run"),
    "finding.decide": N_("fraud finding decided"),
    "sepa.download": N_("SEPA file downloaded for the bank"),
    "keys.rotate": N_("issuer key replaced"),
    "keys.rotate_refused": N_("issuer key not replaced: wrong passphrase"),
    "trust_list.sign": N_("trust list signed"),
    "user.add": N_("console account added"),
    "user.disable": N_("console account disabled"),
    "user.enable": N_("console account enabled"),
    "user.password_reset": N_("console account's password set"),
    "settings.edit": N_("caisse settings changed"),
    "logo.upload": N_("logo changed"),
}

DETAILS = {
    "language": N_("language"),
    "created": N_("added"),
    "refused": N_("left out"),
    "trust_list_seq": N_("trust list n°"),
    "payments": N_("payments"),
    "total_cents": N_("total"),
    "findings_new": N_("new fraud findings"),
    "blocked": N_("blocked"),
    "decision": N_("decision"),
    "msg_id": N_("file reference"),
    "control_sum_cents": N_("total of the transfers"),
    "changes": N_("changes"),
    "members": N_("members"),
    "status": N_("status"),
    "activation": N_("activation"),
    "search": N_("search"),
    "ip": N_("address"),
    "role": N_("role"),
    "key": N_("till"),
    "enrolled_at": N_("enrolled"),
}

FIELDS = {
    "name": N_("name"),
    "email": N_("e-mail"),
    "language": N_("language"),
    "iban": N_("IBAN"),
    "bic": N_("BIC"),
    "address": N_("address"),
    "hours": N_("opening hours"),
    "scope": N_("what members can buy there"),
    "display_name": N_("name of the caisse"),
    "contact": N_("contact"),
    "opening_hours": N_("opening hours"),
    "sepa_debtor_name": N_("account holder"),
    "sepa_debtor_iban": N_("IBAN of the caisse"),
    "sepa_debtor_bic": N_("BIC of the caisse"),
    "base_url": N_("public address"),
}

VALUES = {
    "admin": N_("administrator"),
    "operator": N_("operator"),
    "confirmed": N_("fraud confirmed"),
    "dismissed": N_("not fraud"),
    "release": N_("pay the withheld payments"),
    "active": N_("active"),
    "pending": N_("waiting for activation"),
    "revoked": N_("revoked"),
    "expired": N_("code expired"),
}

REASONS = {
    "caisse created": N_("the caisse was created"),
    "member revoked": N_("a member was revoked"),
    "wallet lost": N_("a lost phone was blocked"),
    "wallet re-activated": N_("a wallet was activated on a new phone"),
    "issuer key rotated": N_("the issuer key was replaced"),
    "signed by admin": N_("signed with ssa-admin"),
    "signed from the console": N_("signed from the console"),
    "refresh": N_("renewed before it expires"),
}
BLOCKED = re.compile(r"^reconcile: (\d+) blocked after fraud$")


class Words:
    """The console's words for codes, in one language (``words`` in the templates)."""

    def __init__(
        self, gettext: Callable[..., str], ngettext: Callable[..., str], fmt: Formats
    ) -> None:
        self._ = gettext
        self.ngettext = ngettext
        self.fmt = fmt

    def refusal(self, code: str | None) -> str:
        return self._(REFUSALS[code]) if code in REFUSALS else (code or "")

    def action(self, action: str) -> str:
        return self._(ACTIONS[action]) if action in ACTIONS else action

    def reason(self, reason: str) -> str:
        blocked = BLOCKED.match(reason)
        if blocked:
            n = int(blocked[1])
            return self.ngettext(
                "%(num)s member or wallet blocked after a fraud finding",
                "%(num)s members or wallets blocked after a fraud finding",
                n,
            )
        return self._(REASONS[reason]) if reason in REASONS else reason

    def value(self, key: str, value: Any) -> str:
        """One detail's value in words: amounts, dates, languages, roles, decisions."""
        if value is None or value == "":
            return "—"
        if key.endswith("_cents") and isinstance(value, int):
            return self.fmt.money(value)
        if key.endswith("_at") and isinstance(value, int):
            return self.fmt.datetime(value)
        if key == "language" and value in NAMES:
            return NAMES[value]
        if key in ("iban", "sepa_debtor_iban") and isinstance(value, str):
            return self.fmt.iban(value)
        if isinstance(value, bool):
            return self._("yes") if value else self._("no")
        if isinstance(value, int):
            return self.fmt.number(value)
        if isinstance(value, str) and value in VALUES:
            return self._(VALUES[value])
        return str(value)

    def details(self, detail: dict[str, Any]) -> list[tuple[str, str]]:
        """An audit entry's details as (label, words) pairs; changes as 'field: old → new'."""
        out = []
        for key, value in detail.items():
            if key == "changes" and isinstance(value, dict):
                for name, change in value.items():
                    label = self._(FIELDS[name]) if name in FIELDS else name
                    if isinstance(change, list | tuple) and len(change) == 2:
                        words = f"{self.value(name, change[0])} → {self.value(name, change[1])}"
                    else:
                        words = self.value(name, change)
                    out.append((label, words))
                continue
            label = self._(DETAILS[key]) if key in DETAILS else key
            out.append((label, self.value(key, value)))
        return out
