"""Reading a list of members as Belgian offices save it: CSV from Excel or LibreOffice.

Excel in fr-BE and nl-BE separates fields with ``;`` (the comma is the decimal
mark), saves "CSV UTF-8" with a byte-order mark or plain "CSV" in Windows-1252,
and may put ``sep=;`` on the first line; a CPAS or an association names its
columns in French, Dutch or English. So:

- the bytes are UTF-8 (with or without BOM), else Windows-1252 (``decode``);
- the separator is the one of ``;``, ``,`` or a tab the header line uses most;
- a header is recognised in any of the three languages, accents and case
  ignored (``nom``/``naam``/``name``, ``courriel``/``e-mail``/``email``,
  ``langue``/``taal``/``language``); other columns are reported, not imported;
- a language column gives each member the language of their letter
  (``fr``, ``Français``, ``Frans``, ``NL``, ``Nederlands``, ``néerlandais``, …);
  an empty cell takes the language chosen for the whole import.

``read`` returns every data line with its fields or the reason it cannot be
taken (a code, which the console and the CLI put into words).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

LANGUAGES = ("fr", "nl", "en")
NAME, EMAIL, LANGUAGE = "name", "email", "language"

# Header (folded: lower case, no accents, no spaces or dashes) → the field it holds.
HEADERS = {
    **dict.fromkeys(
        ("name", "fullname", "nom", "nomcomplet", "nometprenom", "prenometnom", "naam",
         "volledigenaam", "voornaamennaam", "naamenvoornaam"),
        NAME,
    ),
    **dict.fromkeys(
        ("email", "mail", "courriel", "adressemail", "adresseemail", "adressecourriel",
         "adresseelectronique", "emailadres", "mailadres", "emailaddress"),
        EMAIL,
    ),
    **dict.fromkeys(
        ("language", "lang", "langue", "taal", "languedelalettre", "taalvandebrief"),
        LANGUAGE,
    ),
}  # fmt: skip

# A language cell (folded) → the language of the letter.
LANGUAGE_NAMES = {
    **dict.fromkeys(("fr", "fra", "fre", "francais", "french", "frans", "f"), "fr"),
    **dict.fromkeys(
        ("nl", "nld", "dut", "nederlands", "neerlandais", "dutch", "vlaams", "flamand", "n"), "nl"
    ),
    **dict.fromkeys(("en", "eng", "english", "anglais", "engels", "e"), "en"),
}

# Error codes of a line or of the file (put into words by the console and the CLI).
NO_NAME_COLUMN = "no_name_column"
MORE_FIELDS = "more_fields"
UNREADABLE = "unreadable"
UNKNOWN_LANGUAGE = "unknown_language"
EMPTY = "empty"

MESSAGES = {
    NO_NAME_COLUMN: "the first line must be a header with a name column "
    "(name, nom or naam; and optionally email and language)",
    MORE_FIELDS: "more fields than the header has",
    UNREADABLE: "this line cannot be read as CSV",
    UNKNOWN_LANGUAGE: "unknown language (fr, nl or en)",
    EMPTY: "the file is empty",
}


@dataclass(frozen=True, slots=True)
class CsvLine:
    """One data line: its number in the file, its fields, or why it cannot be taken."""

    line: int
    name: str = ""
    email: str = ""
    language: str | None = None  # None: the import's language
    error: str | None = None
    language_cell: str = ""  # as written, to show it back with its error


@dataclass(frozen=True, slots=True)
class CsvFile:
    """A read file: how it was read, which columns were taken, its lines."""

    delimiter: str
    columns: dict[str, str]  # field → header as written
    ignored: tuple[str, ...]  # headers not imported
    lines: tuple[CsvLine, ...]
    error: str | None = None  # the whole file cannot be read (no name column, empty)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1252 (Excel's "CSV")."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:  # five bytes cp1252 leaves undefined: Latin-1 has them
        return data.decode("latin-1"), "latin-1"


def fold(text: str) -> str:
    """Lower case, no accents, no spaces, dashes, dots or underscores: 'E-mail' → 'email'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c for c in plain if c.isalnum())


def language_of(cell: str) -> str | None:
    return LANGUAGE_NAMES.get(fold(cell))


def _delimiter(header: str) -> str:
    """The separator the header line uses most (outside quotes); ';' wins a tie."""
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    return next(d for d in (";", ",", "\t") if counts[d] == best) if best else ";"


def read(text: str) -> CsvFile:
    """Every data line of a members' CSV, with its name, e-mail and language or its error."""
    text = text.lstrip("\ufeff")
    first, _, rest = text.partition("\n")
    offset = 0
    if first.strip().lower().startswith("sep="):
        delimiter = first.strip()[4:5] or ";"  # Excel's own hint line
        text, offset = rest, 1
    else:
        delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error:
        return CsvFile(delimiter, {}, (), (), UNREADABLE)
    if header is None or not any(h.strip() for h in header):
        return CsvFile(delimiter, {}, (), (), EMPTY)
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        field = HEADERS.get(fold(title))
        if field is not None and field not in positions:
            positions[field], columns[field] = index, title.strip()
        elif title.strip():
            ignored.append(title.strip())
    if NAME not in positions:
        return CsvFile(delimiter, columns, tuple(ignored), (), NO_NAME_COLUMN)
    lines: list[CsvLine] = []
    try:
        for row in reader:
            number = reader.line_num + offset
            if not any(cell.strip() for cell in row):
                continue  # blank lines (Excel leaves some at the end)
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                lines.append(CsvLine(number, error=MORE_FIELDS))
                continue
            lines.append(_line(number, row, positions))
    except csv.Error:
        lines.append(CsvLine(reader.line_num + offset, error=UNREADABLE))
    return CsvFile(delimiter, columns, tuple(ignored), tuple(lines))


def _line(number: int, row: list[str], positions: dict[str, int]) -> CsvLine:
    def cell(field: str) -> str:
        index = positions.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    written = cell(LANGUAGE)
    language = language_of(written) if written else None
    return CsvLine(
        number,
        name=cell(NAME),
        email=cell(EMAIL),
        language=language,
        error=UNKNOWN_LANGUAGE if written and language is None else None,
        language_cell=written,
    )
