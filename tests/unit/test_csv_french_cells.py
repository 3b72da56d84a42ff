"""How an import file's cells are read in each language: French numbers (comma decimal; space, no-break
space or narrow no-break space between thousands; "12,5 %"), French dates (DD/MM/YYYY, and a date and
time in the importer's time zone), ISO always; an English file keeps reading as before, except a comma
decimal that cannot be an English thousands group. And the header: French or English names, any case,
either apostrophe, never both languages in one file."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from storage.errors import RuleViolation
from storage.services.transfer.csv_reading import Cells, Header, Row, read_csv

ENGLISH = Header(["Quantity", "Close Date", "Reminder", "Probability"], "en")
FRENCH = Header(["Quantity", "Close Date", "Reminder", "Probability"], "fr")


def _cells(header: Header, value: str, column: str, zone: str | None = None) -> Cells:
    return Cells(Row(2, {column: value}), header, zone)


def number(header: Header, value: str) -> Decimal | None:
    cells = _cells(header, value, "Quantity")
    found = cells.decimal("Quantity")
    assert (found is None) == bool(cells.errors), (value, cells.errors)
    return found


@pytest.mark.parametrize("value, expected", [
    ("1234.56", Decimal("1234.56")), ("1 234,56", Decimal("1234.56")), ("1\u00a0234,56", Decimal("1234.56")),
    ("1\u202f234,56", Decimal("1234.56")), ("12,5 %", Decimal("12.5")), ("12,5\u00a0%", Decimal("12.5")),
    ("1,234", Decimal("1.234")), ("-0,75", Decimal("-0.75")), ("1 000", Decimal("1000")),
    ("1,2,3", None), ("1.234,56", None), ("douze", None), ("NaN", None),
])
def test_a_french_file_reads_french_numbers(value, expected):
    assert number(FRENCH, value) == expected


@pytest.mark.parametrize("value, expected", [
    ("1234.56", Decimal("1234.56")), ("12,5", Decimal("12.5")), ("0,75", Decimal("0.75")),
    ("1234,56", Decimal("1234.56")), ("1 234,56", Decimal("1234.56")), ("12,5 %", Decimal("12.5")),
    # could be an English thousands group: refused as before, never misread as 1.234
    ("1,234", None), ("1,234,567", None), ("1,234.56", None), ("12,345", None),
])
def test_an_english_file_takes_a_comma_decimal_only_where_it_cannot_be_thousands(value, expected):
    assert number(ENGLISH, value) == expected


def test_the_message_says_how_the_files_language_writes_a_number():
    french = _cells(FRENCH, "douze", "Quantity")
    french.decimal("Quantity")
    english = _cells(ENGLISH, "1,234", "Quantity")
    english.decimal("Quantity")
    assert french.errors[0].message.in_language("fr") == "« douze » n’est pas un nombre (écrivez-le 1 234,56 ou 1234.56)"
    assert english.errors[0].message == "'1,234' is not a number (use a point for decimals, no thousands separators)"


@pytest.mark.parametrize("value, expected", [
    ("18/12/2026", dt.date(2026, 12, 18)), ("1/2/2027", dt.date(2027, 2, 1)), ("2026-12-18", dt.date(2026, 12, 18)),
    ("31/02/2026", None), ("12/18/2026", None), ("18.12.2026", None), ("18/12/26", None),
])
def test_a_french_file_reads_day_first_dates_and_iso(value, expected):
    cells = _cells(FRENCH, value, "Close Date")
    assert cells.date("Close Date") == expected
    assert bool(cells.errors) == (expected is None)


def test_an_english_file_reads_iso_dates_only_as_before():
    cells = _cells(ENGLISH, "18/12/2026", "Close Date")
    assert cells.date("Close Date") is None
    assert cells.errors[0].message == "'18/12/2026' is not a date (write it as YYYY-MM-DD)"
    assert _cells(ENGLISH, "2026-12-18", "Close Date").date("Close Date") == dt.date(2026, 12, 18)


def test_a_french_date_and_time_is_in_the_importers_time_zone():
    paris = _cells(FRENCH, "18/12/2026 14:30", "Reminder", zone="Europe/Paris").moment("Reminder")
    assert paris == dt.datetime(2026, 12, 18, 13, 30, tzinfo=dt.timezone.utc)
    assert _cells(FRENCH, "18/12/2026 14h30", "Reminder").moment("Reminder") == \
        dt.datetime(2026, 12, 18, 14, 30, tzinfo=dt.timezone.utc)
    iso = _cells(FRENCH, "2026-12-18T14:30:00+01:00", "Reminder").moment("Reminder")
    assert iso == dt.datetime(2026, 12, 18, 13, 30, tzinfo=dt.timezone.utc)
    english = _cells(ENGLISH, "18/12/2026 14:30", "Reminder")
    assert english.moment("Reminder") is None and "with an offset" in english.errors[0].message


def test_a_whole_percentage_may_carry_a_no_break_space():
    assert _cells(FRENCH, "60\u202f%", "Probability").integer("Probability", 0, 100) == 60
    assert _cells(ENGLISH, "60 %", "Probability").integer("Probability", 0, 100) == 60


def test_the_header_is_read_in_one_language():
    header, rows = read_csv("NOM DU COMPTE,Domaines de messagerie\r\nDurand,durand.example\r\n", "accounts")
    assert (header.language, header.columns) == ("fr", ["Account Name", "E-mail Domains"])
    assert rows[0].cells == {"Account Name": "Durand", "E-mail Domains": "durand.example"}
    assert header.shown("Account Name") == "NOM DU COMPTE" and header.shown("Categories") == "Catégories"
    header, _rows = read_csv("Titre de l'opportunité;Liée à (type);Liée à\r\nX;Compte;Durand\r\n", "opportunities")
    assert header.language == "fr" and header.columns == ["Opportunity Title", "Link To Type", "Link To"]
    header, _rows = read_csv("Opportunity Title,Type,Link To Type,Link To\r\nX,,Account,Y\r\n", "opportunities")
    assert header.language == "en"  # Type is the same word in both: the rest decides
    with pytest.raises(RuleViolation) as mixed:
        read_csv("Nom du compte,E-mail Domains\r\nX,y.example\r\n", "accounts")
    assert "two languages ('Nom du compte', 'E-mail Domains')" in str(mixed.value)
    with pytest.raises(RuleViolation) as twice:
        read_csv("Nom du compte,nom du compte\r\nX,Y\r\n", "accounts")
    assert "appears twice" in str(twice.value.errors[0].message)
