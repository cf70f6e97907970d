"""Members' CSV files as Belgian offices save them, read from real files (tests/files/members)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.caisse import member_csv

FILES = Path(__file__).resolve().parents[1] / "files" / "members"


def read(name: str) -> tuple[member_csv.CsvFile, str]:
    text, encoding = member_csv.decode((FILES / name).read_bytes())
    return member_csv.read(text), encoding


def test_excel_fr_be_windows_1252_with_semicolons_and_french_headers():
    read_file, encoding = read("excel-fr-be-windows-1252.csv")
    assert encoding == "windows-1252" and read_file.delimiter == ";"
    assert read_file.columns == {"name": "Nom", "email": "Courriel", "language": "Langue"}
    assert read_file.ignored == ("N° dossier CPAS",)
    lines = [(x.line, x.name, x.email, x.language, x.error) for x in read_file.lines]
    assert lines == [
        (2, "Émile Lefèvre", "emile@example.be", "fr", None),
        (3, "Zoë Dubois", "", "nl", None),
        (4, "Chloé Martin", "pas-un-courriel", "fr", None),  # the e-mail is checked later
        (5, "Noël Œuvray", "noel@example.be", None, None),  # the import's language
    ]  # the empty last line (";;;") is not a member


def test_excel_nl_be_utf_8_with_bom_dutch_headers_and_language_names():
    read_file, encoding = read("excel-nl-be-utf-8-bom.csv")
    assert encoding == "utf-8" and read_file.delimiter == ";"
    assert read_file.columns == {"name": "Naam", "email": "E-mail", "language": "Taal"}
    assert read_file.ignored == ("Opmerking",)
    first, second, third = read_file.lines
    assert (first.name, first.language) == ("Şahin Yılmaz", "nl")
    assert (second.name, second.language) == ("Jan Peeters", "fr")  # "frans"
    assert third.error == member_csv.UNKNOWN_LANGUAGE and third.language_cell == "Klingon"


def test_libreoffice_english_headers_commas_and_a_quoted_comma():
    read_file, encoding = read("libreoffice-en-utf-8.csv")
    assert encoding == "utf-8" and read_file.delimiter == ","
    assert [(x.name, x.email, x.language) for x in read_file.lines] == [
        ("Diallo, Amina", "amina@example.org", "en"),
        ("Bob", "", None),
    ]


def test_name_semicolon_email_is_two_columns_not_one():
    read_file, _ = read("name-semicolon-email.csv")
    assert read_file.ignored == () and read_file.error is None
    assert [(x.name, x.email) for x in read_file.lines] == [("Ada Lovelace", "ada@example.org")]


def test_excel_sep_hint_line_sets_the_separator_and_is_not_a_header():
    read_file, _ = read("excel-sep-hint.csv")
    assert read_file.columns == {"name": "nom", "email": "courriel"}
    assert [(x.line, x.name) for x in read_file.lines] == [(3, "Anne")]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", member_csv.EMPTY),
        ("Ada;ada@example.org\n", member_csv.NO_NAME_COLUMN),
        ("prénom;courriel\nAda;ada@example.org\n", member_csv.NO_NAME_COLUMN),
    ],
)
def test_a_file_without_a_name_column_is_refused_as_a_whole(text, error):
    assert member_csv.read(text).error == error


def test_a_line_with_more_fields_than_the_header_is_refused_alone():
    read_file = member_csv.read("nom;courriel\nAda;ada@example.org;extra\nBen;\n")
    assert [(x.line, x.error) for x in read_file.lines] == [
        (2, member_csv.MORE_FIELDS),
        (3, None),
    ]


def test_bytes_windows_1252_leaves_undefined_are_still_read():
    text, encoding = member_csv.decode("nom\nA\x81b\n".encode("latin-1"))
    assert encoding == "latin-1" and "A\x81b" in text
