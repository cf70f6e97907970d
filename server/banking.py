"""Bank accounts: an IBAN checked, its bank looked up, shown in groups of four.

The IBAN's check digits and its country's layout (and the national check digits
where a country has them, as Belgium does) are what make an account number
valid; whether the bank code is in a registry is another matter. A registry is
never complete: a new bank, a bank code the registry has not caught up with
(the textbook BE68 5390 0754 7034). So such an IBAN is accepted, with a warning
that the BIC must then be given by the shop or looked up, rather than refused.
schwifty keeps a current registry of banks (code, BIC, name) per country.

A base concept: any layer may use it (the caisse's shops, the caisse's own
account in ``config.json``, the console's forms).
"""

from __future__ import annotations

from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from server.errors import Invalid


class BankError(Invalid):
    """An IBAN or a BIC that cannot be one; the message says which."""

    code = "INVALID_BANK_ACCOUNT"


@dataclass(frozen=True, slots=True)
class Account:
    """A checked account: the IBAN compact, the BIC as given, what the registry knows."""

    iban: str
    bic: str | None  # as given (stored and put in the SEPA file)
    registry_bic: str | None  # the bank's BIC in the registry, if it knows the bank code
    bank: str | None

    @property
    def bic_missing(self) -> bool:
        """The registry does not know the bank and no BIC was given: worth a warning."""
        return self.bic is None and self.registry_bic is None

    @property
    def grouped(self) -> str:
        return grouped(self.iban)


def compact(text: str) -> str:
    return "".join(text.split()).upper()


def grouped(iban: str | None) -> str:
    """``BE71096123456769`` → ``BE71 0961 2345 6769`` (as printed on a bank card)."""
    if not iban:
        return ""
    flat = compact(iban)
    return " ".join(flat[i : i + 4] for i in range(0, len(flat), 4))


def check_iban(text: str) -> IBAN:
    if not isinstance(text, str) or not text.strip() or len(text) > 60:
        raise BankError("an IBAN is needed")
    try:
        return IBAN(compact(text), validate_bban=True)
    except SchwiftyException as exc:
        raise BankError(f"invalid IBAN: {exc}") from None


def check_bic(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    try:
        return str(BIC(compact(text)).compact)
    except SchwiftyException as exc:
        raise BankError(f"invalid BIC: {exc}") from None


def account(iban: str, bic: str | None = None) -> Account:
    """The account of ``iban`` (and ``bic``, if given): checked, with its bank if known."""
    number = check_iban(iban)
    found = number.bic
    return Account(
        iban=str(number.compact),
        bic=check_bic(bic),
        registry_bic=None if found is None else str(found.compact),
        bank=number.bank_name,
    )


def is_valid_iban(text: str) -> bool:
    try:
        check_iban(text)
    except BankError:
        return False
    return True


def is_valid_bic(text: str) -> bool:
    try:
        return check_bic(text) is not None
    except BankError:
        return False
