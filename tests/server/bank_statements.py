"""Real bank statements for tests, built field by field from the formats' specifications.

CODA: Febelfin "Coded statement of account" version 2 — 128-character records,
each field at the position the standard gives (the comments name them).
camt.053: ISO 20022 BkToCstmrStmt, version 001.02 (what Belgian banks send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Move:
    """One movement: + credit to the account, - debit."""

    cents: int
    on: date
    bank_ref: str
    structured: str | None = None  # 12 digits (CODA type 101 / camt SCOR issued by BBA)
    text: str = ""
    iban: str | None = None
    name: str | None = None
    end_to_end: str | None = None
    family: str = "01"  # 01 transfers, 05 direct debits
    code: str = "50"
    r_type: str = ""  # CODA R-transaction type: 1 reject, 2 return, 3 refund
    reason: str = ""  # ISO return reason, e.g. MD06
    kind: str = "0"  # CODA transaction type: 0 single, 1 a total with details, 5 a detail
    seq: int | None = None  # CODA: a detail shares its total's sequence number
    detail: int = 0


def _ddmmyy(d: date) -> str:
    return d.strftime("%d%m%y")


def _n(value: int, width: int) -> str:
    return str(value).rjust(width, "0")


def _a(text: str, width: int) -> str:
    assert len(text) <= width, text
    return text.ljust(width)


def coda(
    account: str,
    moves: list[Move],
    *,
    created: date,
    sequence: int = 1,
    old_balance_cents: int = 0,
    holder: str = "SSA CAISSE",
) -> bytes:
    lines = [
        "0"  # 1 record identification
        + "0000"  # 2-5 zeros
        + _ddmmyy(created)  # 6-11 creation date
        + "300"  # 12-14 bank identification number
        + "05"  # 15-16 application code
        + " "  # 17 duplicate
        + " " * 7  # 18-24 blank
        + _a("FILEREF001", 10)  # 25-34 file reference
        + _a(holder, 26)  # 35-60 name addressee
        + _a("BBRUBEBB", 11)  # 61-71 BIC
        + _n(0, 11)  # 72-82 account holder identification
        + " "  # 83 blank
        + "00000"  # 84-88 separate application code
        + " " * 16  # 89-104 transaction reference
        + " " * 16  # 105-120 related reference
        + " " * 7  # 121-127 blank
        + "2",  # 128 version code
        "1"  # 1 record identification
        + "2"  # 2 account structure: Belgian IBAN
        + _n(sequence, 3)  # 3-5 paper statement sequence number
        + _a(account, 34)  # 6-39 account number
        + "EUR"  # 40-42 currency
        + ("1" if old_balance_cents < 0 else "0")  # 43 old balance sign
        + _n(abs(old_balance_cents) * 10, 15)  # 44-58 old balance (3 decimals)
        + _ddmmyy(created)  # 59-64 old balance date
        + _a(holder, 26)  # 65-90 account holder name
        + _a("Compte cotisations", 35)  # 91-125 account description
        + _n(sequence, 3),  # 126-128 CODA sequence number
    ]
    credit = debit = 0
    seq = 0
    for m in moves:
        seq = m.seq if m.seq is not None else seq + 1
        comm = (
            "101" + m.structured if m.structured else m.text[:53]
        )  # 63-115 communication (type 101: structured)
        lines.append(
            "21"  # 1-2 record identification, article code
            + _n(seq, 4)  # 3-6 continuous sequence number
            + _n(m.detail, 4)  # 7-10 detail number
            + _a(m.bank_ref, 21)  # 11-31 bank reference number
            + ("1" if m.cents < 0 else "0")  # 32 movement sign
            + _n(abs(m.cents) * 10, 15)  # 33-47 amount
            + _ddmmyy(m.on)  # 48-53 value date
            + m.kind + m.family + m.code + "000"  # 54-61 transaction code
            + ("1" if m.structured else "0")  # 62 communication type
            + _a(comm, 53)
            + _ddmmyy(m.on)  # 116-121 entry date
            + _n(sequence, 3)  # 122-124 statement sequence number
            + "0"  # 125 globalisation code
            + "1"  # 126 next code: a 2.2 follows
            + " "  # 127 blank
            + "0"  # 128 link code
        )  # fmt: skip
        lines.append(
            "22"
            + _n(seq, 4)
            + _n(m.detail, 4)
            + _a(m.text[53:106] if not m.structured else "", 53)  # 11-63 communication ctd
            + _a(m.end_to_end or "", 35)  # 64-98 customer reference (SEPA end-to-end)
            + _a("GEBABEBB" if m.iban else "", 11)  # 99-109 BIC of the counterparty
            + " " * 3  # 110-112 blank
            + _a(m.r_type, 1)  # 113 type of R-transaction
            + _a(m.reason, 4)  # 114-117 ISO reason return code
            + " " * 4  # 118-121 category purpose
            + " " * 4  # 122-125 purpose
            + "1"  # 126 next code: a 2.3 follows
            + " "
            + "0"
        )
        lines.append(
            "23"
            + _n(seq, 4)
            + _n(m.detail, 4)
            + _a(m.iban or "", 34)  # 11-44 counterparty account
            + _a("EUR" if m.iban else "", 3)  # 45-47 currency
            + _a(m.name or "", 35)  # 48-82 counterparty name
            + _a("", 43)  # 83-125 communication ctd
            + "0"
            + " "
            + "0"
        )
        if m.kind not in "56789":  # details are inside their total
            credit += max(0, m.cents)
            debit += max(0, -m.cents)
    new_balance = old_balance_cents + credit - debit
    lines.append(
        "8"
        + _n(sequence, 3)  # 2-4 paper statement sequence number
        + _a(account, 34)
        + "EUR"  # 5-41 account and currency
        + ("1" if new_balance < 0 else "0")  # 42 sign
        + _n(abs(new_balance) * 10, 15)  # 43-57 new balance
        + _ddmmyy(created)  # 58-63 date
        + " " * 64
        + "0"
    )
    lines.append(
        "9"
        + " " * 15
        + _n(len(lines) - 1, 6)  # 17-22 number of records 1, 2 and 3
        + _n(debit * 10, 15)  # 23-37 debit movement
        + _n(credit * 10, 15)  # 38-52 credit movement
        + " " * 75
        + "2"  # 128 multiple file code: last file
    )
    for line in lines:
        assert len(line) == 128, (len(line), line)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def camt053(account: str, moves: list[Move], *, statement_id: str, created: date) -> bytes:
    """A camt.053.001.02 statement, one Ntry (one TxDtls) per move."""
    entries = []
    for m in moves:
        debit = m.cents < 0
        party = "Cdtr" if debit else "Dbtr"
        remittance = (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>"
            f"<Ref>{m.structured}</Ref></CdtrRefInf></Strd>"
            if m.structured
            else f"<Ustrd>{escape(m.text)}</Ustrd>"
        )
        domain = (
            ("IDDT", "UPDD")
            if m.r_type
            else (("RDDT", "ESDD") if m.family == "05" else ("RCDT", "ESCT"))
        )
        if debit and not m.r_type:
            domain = ("ICDT", "ESCT")
        related = (
            f"<RltdPties><{party}><Nm>{escape(m.name or '')}</Nm></{party}>"
            f"<{party}Acct><Id><IBAN>{m.iban}</IBAN></Id></{party}Acct></RltdPties>"
            if m.iban
            else ""
        )
        ret = f"<RtrInf><Rsn><Cd>{m.reason}</Cd></Rsn></RtrInf>" if m.r_type else ""
        amount = f"{abs(m.cents) // 100}.{abs(m.cents) % 100:02d}"
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt>'
            f"<CdtDbtInd>{'DBIT' if debit else 'CRDT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{m.on.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{m.on.isoformat()}</Dt></ValDt><AcctSvcrRef>{m.bank_ref}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{domain[0]}</Cd>"
            f"<SubFmlyCd>{domain[1]}</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{m.end_to_end or 'NOTPROVIDED'}</EndToEndId>"
            f'</Refs><AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>{related}'
            f"<RmtInf>{remittance}</RmtInf>{ret}</TxDtls></NtryDtls></Ntry>\n"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<BkToCstmrStmt><GrpHdr><MsgId>{statement_id}-MSG</MsgId><CreDtTm>{created.isoformat()}T08:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{created.isoformat()}T08:00:00</CreDtTm>
<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{created.isoformat()}</Dt></Dt></Bal>
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>""".encode()
