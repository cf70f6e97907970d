"""Bank statements read: CODA (Febelfin 2.x, what Belgian banks deliver) and camt.053.

Pure: bytes in, a ``Statement`` of ``BankEntry`` out; amounts in integer cents
(positive credit, negative debit), never floats. ``detect`` tells the format by
content, not by file name.

Each entry carries a ``key`` that names the bank entry itself, not the file: the
account, the bank's own reference for the movement (CODA positions 11-31,
camt ``AcctSvcrRef``), the booking date and the amount. The same movement in an
overlapping or re-sent statement gets the same key, so it is counted once. An
entry without a bank reference is keyed by its content and its rank among
identical entries of the same statement.

CODA (the Febelfin "Coded statement of account" standard, version 2): records
``0`` header, ``1`` old balance, ``21``/``22``/``23`` movement (amount, structured
communication type ``101`` at positions 63-77, customer reference i.e. SEPA
end-to-end id at 64-98 of ``22``, R-transaction type at 113 and reason at
114-117, counterparty IBAN and name in ``23``), ``3x`` information, ``4`` free
text, ``8`` new balance, ``9`` trailer. A globalised amount (transaction type 1
or 2) followed by its detail records is counted by its details.

camt.053 (ISO 20022 ``BkToCstmrStmt``, any version 001.02 to 001.13): one entry
per ``TxDtls`` of a batch-booked ``Ntry``; the structured communication is
``RmtInf/Strd/CdtrRefInf`` with ``Tp/CdOrPrtry/Cd`` = ``SCOR`` and issuer ``BBA``.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

CODA_START = re.compile(rb"^0{5}\d{9}05[ D] {7}")
OGM_IN_TEXT = re.compile(
    r"(?:\+\+\+|\*\*\*)?\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*(?:\+\+\+|\*\*\*)?"
)
MAX_BYTES = 50 * 1024 * 1024
R_TYPES = {"1": "reject", "2": "return", "3": "refund", "4": "reversal", "5": "cancellation"}


class BankFileError(ValueError):
    """The file is not a statement this caisse can read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class BankEntry:
    key: str
    booked_on: str  # ISO date
    amount_cents: int  # + credit to the caisse, - debit
    counterparty_iban: str | None
    counterparty_name: str | None
    communication: str
    structured_ref: str | None  # 12 digits of a valid Belgian structured communication
    end_to_end_id: str | None
    bank_ref: str | None
    returned: bool  # an R-transaction: a direct debit rejected, returned or refunded
    return_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    format: str  # "coda" or "camt.053"
    account: str | None
    statement_id: str
    entries: tuple[BankEntry, ...]

    @property
    def key(self) -> str:
        return f"{self.format}|{self.account or ''}|{self.statement_id}"


def detect(data: bytes) -> str:
    head = data.lstrip(b"\xef\xbb\xbf")[:4096]
    if CODA_START.match(head):
        return "coda"
    text = head.lstrip()
    if text.startswith(b"<") and b"camt.053" in head:
        return "camt.053"
    if text.startswith(b"<") and b"camt.05" in head:
        raise BankFileError("this is a camt file but not a statement (camt.053)")
    raise BankFileError("not a CODA or camt.053 statement")


def parse(data: bytes) -> Statement:
    if len(data) > MAX_BYTES:
        raise BankFileError("statement larger than 50 MiB")
    fmt = detect(data)
    return parse_coda(data) if fmt == "coda" else parse_camt(data)


def ogm_valid(digits: str) -> bool:
    """The Belgian structured communication's check (as ``stdnum.be.ogm_vcs``, without its
    slow clean-up): 12 digits, the last two the first ten modulo 97 (97 for 0)."""
    return (
        len(digits) == 12
        and digits.isascii()
        and digits.isdigit()
        and (int(digits[:10]) % 97 or 97) == int(digits[10:])
    )


def structured(text: str | None) -> str | None:
    """The 12 digits of a valid structured communication found in ``text``, else None."""
    if not text:
        return None
    for match in OGM_IN_TEXT.finditer(text):
        digits = "".join(match.groups())
        if ogm_valid(digits):
            return digits
    return None


def _iban(value: str | None) -> str | None:
    value = (value or "").replace(" ", "").upper()
    return value or None


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _unkeyed(entries: list[BankEntry], account: str | None) -> list[BankEntry]:
    """Key the entries that have no bank reference by content and rank among equals."""
    seen: Counter[str] = Counter()
    out = []
    for e in entries:
        if e.key:
            out.append(e)
            continue
        content = _key(account, e.booked_on, e.amount_cents, e.counterparty_iban, e.communication)
        seen[content] += 1
        out.append(replace(e, key=_key("content", content, seen[content])))
    return out


# -- CODA ---------------------------------------------------------------------------------


def _coda_date(text: str, where: str) -> str:
    try:
        day, month, year = int(text[0:2]), int(text[2:4]), int(text[4:6])
        return date(2000 + year, month, day).isoformat()
    except ValueError:
        raise BankFileError(f"{where}: {text!r} is not a date DDMMYY") from None


def _coda_amount(text: str, where: str) -> int:
    if not text.isdigit():
        raise BankFileError(f"{where}: amount {text!r} is not 15 digits")
    mills = int(text)
    if mills % 10:
        raise BankFileError(f"{where}: amount {text!r} has a fraction of a cent")
    return mills // 10


@dataclass
class _Movement:
    seq: str
    detail: str
    bank_ref: str
    amount: int
    booked_on: str
    transaction_type: str
    family: str
    code: str
    communication: str
    structured_ref: str | None
    customer_ref: str = ""
    r_type: str = ""
    reason: str = ""
    iban: str | None = None
    name: str | None = None


def parse_coda(data: bytes) -> Statement:
    text = data.lstrip(b"\xef\xbb\xbf").decode("cp1252", errors="replace")
    account: str | None = None
    ids: list[str] = []  # a file may hold several daily statements, one after another
    movements: list[_Movement] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        line = line.ljust(128)
        where = f"CODA line {number}"
        record = line[0]
        if record == "0":
            if line[127] != "2":
                raise BankFileError(f"{where}: CODA version {line[127]!r}; version 2 is read")
        elif record == "1":
            structure = line[1]
            if structure in ("2", "3"):
                account = _iban(line[5:39] if structure == "3" else line[5:21])
            else:
                account = line[5:17].strip() or None
            old_date = _coda_date(line[58:64], where)
            ids.append(f"{old_date}/{line[125:128].strip() or line[2:5].strip()}")
        elif record == "2" and line[1] == "1":
            amount = _coda_amount(line[32:47], where)
            sign = line[31]
            if sign not in "01":
                raise BankFileError(f"{where}: movement sign {sign!r} is neither 0 nor 1")
            code = line[53:61]
            comm_structured = line[61] == "1"
            ref = None
            if comm_structured and line[62:65] == "101":
                digits = line[65:77]
                ref = digits if ogm_valid(digits) else None
                communication = f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
            else:
                communication = line[62:115].strip()
            movements.append(
                _Movement(
                    seq=line[2:6],
                    detail=line[6:10],
                    bank_ref=line[10:31].strip(),
                    amount=amount if sign == "0" else -amount,
                    booked_on=_coda_date(line[115:121], where),
                    transaction_type=code[0],
                    family=code[1:3],
                    code=code[3:5],
                    communication=communication,
                    structured_ref=ref,
                )
            )
        elif record == "2" and line[1] in "23":
            if not movements or movements[-1].seq != line[2:6]:
                raise BankFileError(f"{where}: continuation of a movement that was not opened")
            m = movements[-1]
            if line[1] == "2":
                m.communication = _join(m.communication, line[10:63])
                m.customer_ref = line[63:98].strip()
                m.r_type, m.reason = line[112].strip(), line[113:117].strip()
            else:
                currency_at = 44 if line[22] != " " else 22
                m.iban = _iban(line[10:currency_at])
                m.name = line[47:82].strip() or None
                m.communication = _join(m.communication, line[82:125])
        elif record not in "012348 9":
            raise BankFileError(f"{where}: unknown record type {record!r}")
    if account is None and not movements:
        raise BankFileError("CODA file without an old balance record (1)")
    entries = [_coda_entry(m, account) for m in _without_globalised_totals(movements)]
    statement_id = ids[0] if len(ids) == 1 else f"{ids[0]}..{ids[-1]}" if ids else ""
    return Statement("coda", account, statement_id, tuple(_unkeyed(entries, account)))


def _join(first: str, more: str) -> str:
    more = more.strip()
    return f"{first} {more}".strip() if more else first


def _without_globalised_totals(movements: list[_Movement]) -> list[_Movement]:
    """A total (type 1 or 2) whose details follow is counted by its details only."""
    out: list[_Movement] = []
    for index, m in enumerate(movements):
        follower = movements[index + 1] if index + 1 < len(movements) else None
        detailed = follower is not None and follower.seq == m.seq and follower.detail.strip("0")
        if m.transaction_type in "12" and detailed:
            continue
        out.append(m)
    return out


def _coda_entry(m: _Movement, account: str | None) -> BankEntry:
    returned = m.amount < 0 and (
        m.r_type in R_TYPES or (m.family == "05" and m.code in ("03", "05"))
    )
    key = _key("coda", account, m.bank_ref, m.detail, m.booked_on, m.amount) if m.bank_ref else ""
    return BankEntry(
        key=key,
        booked_on=m.booked_on,
        amount_cents=m.amount,
        counterparty_iban=m.iban,
        counterparty_name=m.name,
        communication=m.communication,
        structured_ref=m.structured_ref or structured(m.communication),
        end_to_end_id=m.customer_ref or None,
        bank_ref=m.bank_ref or None,
        returned=returned,
        return_reason=m.reason or R_TYPES.get(m.r_type) if returned else None,
    )


# -- camt.053 -----------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element | None, path: str) -> ET.Element | None:
    """The first descendant along ``path`` (local names, '/'-separated), any namespace."""
    if element is None:
        return None
    current = [element]
    for step in path.split("/"):
        found = [child for node in current for child in node if _local(child.tag) == step]
        if not found:
            return None
        current = found
    return current[0]


def _all(element: ET.Element, path: str) -> list[ET.Element]:
    *parents, last = path.split("/")
    nodes = [element]
    for step in parents:
        nodes = [c for n in nodes for c in n if _local(c.tag) == step]
    return [c for n in nodes for c in n if _local(c.tag) == last]


def _text(element: ET.Element | None, path: str) -> str | None:
    node = _find(element, path)
    return None if node is None or node.text is None else node.text.strip()


def _cents(text: str | None, where: str) -> int:
    try:
        value = Decimal(text or "")
    except InvalidOperation:
        raise BankFileError(f"{where}: amount {text!r} is not a number") from None
    cents = value * 100
    if cents != cents.to_integral_value() or cents < 0:
        raise BankFileError(f"{where}: amount {text!r} is not a whole number of cents")
    return int(cents)


def parse_camt(data: bytes) -> Statement:
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise BankFileError("camt file with a DOCTYPE or entities: refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BankFileError(f"camt.053 is not well-formed XML: {exc}") from None
    statements = [s for s in root.iter() if _local(s.tag) == "Stmt"]
    if not statements:
        raise BankFileError("camt.053 without a statement (Stmt)")
    if len(statements) > 1:
        raise BankFileError("camt.053 with several statements: import them one file each")
    stmt = statements[0]
    account = _iban(_text(stmt, "Acct/Id/IBAN"))
    statement_id = _text(stmt, "Id") or ""
    sequence = _text(stmt, "ElctrncSeqNb")
    if sequence:
        statement_id = f"{statement_id}/{sequence}"
    entries: list[BankEntry] = []
    for index, ntry in enumerate(_all(stmt, "Ntry"), start=1):
        entries.extend(_camt_entries(ntry, account, f"camt entry {index}"))
    return Statement("camt.053", account, statement_id, tuple(_unkeyed(entries, account)))


def _camt_entries(ntry: ET.Element, account: str | None, where: str) -> list[BankEntry]:
    status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts") or "BOOK"
    if status not in ("BOOK",):
        return []  # pending or informational entries are not money yet
    debit = _text(ntry, "CdtDbtInd") == "DBIT"
    booked = _text(ntry, "BookgDt/Dt") or (_text(ntry, "BookgDt/DtTm") or "")[:10]
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", booked or ""):
        raise BankFileError(f"{where}: booking date {booked!r} is not YYYY-MM-DD")
    family = _text(ntry, "BkTxCd/Domn/Fmly/Cd") or ""
    sub_family = _text(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd") or ""
    reversal = _text(ntry, "RvslInd") == "true"
    entry_ref = _text(ntry, "AcctSvcrRef")
    details = [tx for d in _all(ntry, "NtryDtls") for tx in _all(d, "TxDtls")]
    total = _cents(_text(ntry, "Amt"), where)
    out = []
    for rank, tx in enumerate(details or [None], start=1):
        amount = total
        if tx is not None and len(details) > 1:
            amount = _cents(_text(tx, "Amt") or _text(tx, "AmtDtls/TxAmt/Amt"), where)
        tx_debit = (
            debit
            if tx is None or _text(tx, "CdtDbtInd") is None
            else (_text(tx, "CdtDbtInd") == "DBIT")
        )
        ref = None
        strd = _find(tx, "RmtInf/Strd/CdtrRefInf") if tx is not None else None
        if strd is not None:
            kind = _text(strd, "Tp/CdOrPrtry/Cd")
            issuer = (_text(strd, "Tp/Issr") or "").upper()
            digits = re.sub(r"\D", "", _text(strd, "Ref") or "")
            if kind == "SCOR" and issuer in ("BBA", "") and ogm_valid(digits):
                ref = digits
        ustrd = " ".join(
            (u.text or "").strip() for u in (_all(tx, "RmtInf/Ustrd") if tx is not None else [])
        ).strip()
        party = "Cdtr" if tx_debit else "Dbtr"
        name = _text(tx, f"RltdPties/{party}/Nm") or _text(tx, f"RltdPties/{party}/Pty/Nm")
        iban = _text(tx, f"RltdPties/{party}Acct/Id/IBAN")
        reason = _text(tx, "RtrInf/Rsn/Cd") if tx is not None else None
        returned = tx_debit and (
            reversal
            or reason is not None
            or sub_family in ("UPDD", "RRTN", "PRDD")
            or (family == "IDDT" and sub_family not in ("ESDD", "BBDD"))
        )
        bank_ref = (_text(tx, "Refs/AcctSvcrRef") if tx is not None else None) or entry_ref
        key = _key("camt", account, bank_ref, rank if len(details) > 1 else 0, booked, amount)
        out.append(
            BankEntry(
                key=key if bank_ref else "",
                booked_on=booked,
                amount_cents=-amount if tx_debit else amount,
                counterparty_iban=_iban(iban),
                counterparty_name=name,
                communication=ustrd or (_text(strd, "Ref") or "" if strd is not None else ""),
                structured_ref=ref or structured(ustrd),
                end_to_end_id=_e2e(_text(tx, "Refs/EndToEndId") if tx is not None else None),
                bank_ref=bank_ref,
                returned=bool(returned),
                return_reason=reason if returned else None,
            )
        )
    return out


def _e2e(value: str | None) -> str | None:
    return None if not value or value == "NOTPROVIDED" else value
