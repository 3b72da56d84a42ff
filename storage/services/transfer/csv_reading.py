"""Reading an import file: the header checked against the kind's columns (named in one language, any
language with a catalogue), the rows, and the typed value of each cell with what is wrong with it, by
row and column.

Numbers and dates are read as the file's language writes them where that cannot be misread: ISO dates
always, DD/MM/YYYY in a file with French headers; a comma decimal ("12,5", "1 234,56" with a space,
no-break space or narrow no-break space between thousands) in a French file, or in any file when it
cannot be an English thousands group ("12,5" can, "1,234" cannot: it stays refused in an English file
as before).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from storage.errors import FieldError, RuleViolation
from storage.i18n import SOURCE_LANGUAGE, Text, _, word

from .columns import (
    COLUMN, KINDS, LIST_SEPARATOR, MAX_ROWS, REQUIRED, TEXT_MARKER, columns_by_language, key, type_word, type_words,
)

# Spaces a number may have between its thousands (French writes a narrow no-break space, U+202F, or a
# no-break space, U+00A0; people type a plain space).
NUMBER_SPACES = str.maketrans("", "", " \u00a0\u202f\t")
ENGLISH_GROUPS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")  # 1,234 or 1,234,567.5: an English thousands group
DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DAY_FIRST_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?$")
# Languages whose files write dates day first and decimals with a comma (those of Dealpane's languages
# that do: CLDR's short date pattern for fr is dd/MM/y, its decimal symbol ',').
DAY_FIRST_LANGUAGES = frozenset({"fr"})
COMMA_DECIMAL_LANGUAGES = frozenset({"fr"})


@dataclass
class CellError:
    row: int
    column: str
    message: str


@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Header:
    """The file's first row: its columns by their English names (the keys the import uses; "" for a
    column without a name), the language they are written in, and each as the file writes it."""

    columns: list[str]
    language: str = SOURCE_LANGUAGE
    written: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.present = frozenset(c for c in self.columns if c)

    def __contains__(self, column: str) -> bool:
        return column in self.present

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def shown(self, column: str) -> str:
        """A column as the report names it: as the file wrote it, else in the file's language."""
        if not column:
            return column
        return self.written.get(column) or word(column, self.language, COLUMN)


def read_csv(text: str, kind: str) -> tuple[Header, list[Row]]:
    """The header and the non-blank rows; a header that is not this kind's is refused whole."""
    if kind not in KINDS:
        raise RuleViolation.on("kind", _("must be one of %(kinds)s", kinds=", ".join(KINDS)))
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise RuleViolation.on("csv", _("must not contain a NUL character"))
    first_line = text.split("\n", 1)[0]
    delimiter = "," if "," in first_line or not (";" in first_line or "\t" in first_line) else (
        ";" if ";" in first_line else "\t")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise RuleViolation.on("csv", _("is not a readable CSV file (%(error)s)", error=str(error))) from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise RuleViolation.on("csv", _("is empty: the first row must name the columns"))
    header = _header([_unmark(cell).strip() for cell in records[0]], kind)
    if len(records) - 1 > MAX_ROWS:
        raise RuleViolation.on("csv", _("has more than %(limit)s rows; split it into several files", limit=MAX_ROWS))
    columns = header.columns
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns):]):
            raise RuleViolation.on(f"row {index}", _("has %(cells)s cells but the header names %(columns)s columns",
                                                     cells=len(record), columns=len(columns)))
        cells = {column: _unmark(value).strip() for column, value in zip(columns, record) if column}
        rows.append(Row(index, cells))
    if not rows:
        raise RuleViolation.on("csv", _("has no rows below the header"))
    return header, rows


def _unmark(value: str) -> str:
    return value[1:] if value.startswith(TEXT_MARKER) else value


def _not_a_column(kind: str, column: str) -> Text:
    if kind == "accounts":
        return _("the column '%(column)s' is not a column of accounts (see README-import.md)", column=column)
    if kind == "contacts":
        return _("the column '%(column)s' is not a column of business contacts (see README-import.md)", column=column)
    return _("the column '%(column)s' is not a column of opportunities (see README-import.md)", column=column)


def _header(names: list[str], kind: str) -> Header:
    """The first row's names, in one language: a column named in no language is refused, and so is a
    file that names some columns in one language and others in another."""
    by_language = columns_by_language(kind)
    problems: list[Text] = []
    candidates = list(by_language)
    first_of: dict[str, str] = {}  # language -> the first column only it names (for the mixed message)
    for name in names:
        if not name:
            continue
        speaking = [lang for lang, known in by_language.items() if key(name) in known]
        if not speaking:
            problems.append(_not_a_column(kind, name))
            continue
        if len(speaking) < len(by_language):
            first_of.setdefault(speaking[0], name)
        candidates = [lang for lang in candidates if lang in speaking] if candidates else []
    mixed = not problems and not candidates
    if mixed:
        first, second = (list(first_of.values()) + ["", ""])[:2]
        problems.append(_("names its columns in two languages ('%(first)s', '%(second)s'): name every column in "
                          "one language", first=first, second=second))
    language = candidates[0] if candidates else SOURCE_LANGUAGE
    known = by_language[language]
    columns = [known.get(key(name), "") if name else "" for name in names]
    written = {}
    for name, column in zip(names, columns):
        if not column:
            continue
        if column in written:
            problems.append(_("the column '%(column)s' appears twice", column=name))
        written[column] = name
    header = Header(columns, language, written)
    for column in REQUIRED[kind]:
        if column not in header and not mixed:
            problems.append(_("the column '%(column)s' is required", column=header.shown(column)))
    if problems:
        detail = problems[0] if len(problems) == 1 else _("The first row does not name the columns of this kind.")
        raise RuleViolation(detail, [FieldError("csv", m) for m in problems])
    return header



class Cells:
    """Reads the typed values of one row, collecting what is wrong per column. `zone`: the importer's
    time zone, for a date and time written without an offset (DD/MM/YYYY HH:MM in a French file)."""

    def __init__(self, row: Row, header: Header, zone: str | None = None):
        self.row, self.header, self.zone = row, header, zone
        self.present = header.present
        self.errors: list[CellError] = []
        self.day_first = header.language in DAY_FIRST_LANGUAGES
        self.comma_decimal = header.language in COMMA_DECIMAL_LANGUAGES

    def has(self, column: str) -> bool:
        return column in self.present

    def text(self, column: str) -> str | None:
        value = self.row.get(column)
        return value or None

    def names(self, column: str) -> list[str]:
        return [part.strip() for part in self.row.get(column).split(LIST_SEPARATOR) if part.strip()]

    def fail(self, column: str, message: str, row: int | None = None) -> None:
        self.errors.append(CellError(row or self.row.number, column, message))

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        if self.day_first:
            found = DAY_FIRST.match(value)
            if found:
                try:
                    return dt.date(int(found[3]), int(found[2]), int(found[1]))
                except ValueError:
                    pass
            self.fail(column, _("'%(value)s' is not a date (write it as DD/MM/YYYY or YYYY-MM-DD)",
                                value=_shown(value)))
            return None
        self.fail(column, _("'%(value)s' is not a date (write it as YYYY-MM-DD)", value=_shown(value)))
        return None

    def moment(self, column: str) -> dt.datetime | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None and self.day_first:
            parsed = self._day_first_moment(value)
        if parsed is None or parsed.tzinfo is None:
            if self.day_first:
                self.fail(column, _("'%(value)s' is not a date and time (DD/MM/YYYY HH:MM, or "
                                    "YYYY-MM-DDTHH:MM+01:00)", value=_shown(value)))
            else:
                self.fail(column, _("'%(value)s' is not a date and time with an offset (YYYY-MM-DDTHH:MM+01:00)",
                                    value=_shown(value)))
            return None
        return parsed

    def _day_first_moment(self, value: str) -> dt.datetime | None:
        """DD/MM/YYYY HH:MM[:SS] in the importer's time zone (UTC when it has none)."""
        found = DAY_FIRST_TIME.match(value)
        if not found:
            return None
        try:
            zone = zoneinfo.ZoneInfo(self.zone) if self.zone else dt.timezone.utc
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = dt.timezone.utc
        try:
            return dt.datetime(int(found[3]), int(found[2]), int(found[1]), int(found[4]), int(found[5]),
                               int(found[6] or 0), tzinfo=zone)
        except ValueError:
            return None

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            number = int(value.translate(NUMBER_SPACES).rstrip("%"))
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.fail(column, _("'%(value)s' is not a whole number from %(low)s to %(high)s", value=_shown(value),
                                low=low, high=high))
            return None
        return number

    def decimal(self, column: str, row: Row | None = None) -> Decimal | None:
        value = (row or self.row).get(column) or None
        if value is None:
            return None
        number = self._number(value.translate(NUMBER_SPACES).rstrip("%"))
        if number is None or not number.is_finite():
            if self.comma_decimal:
                message = _("'%(value)s' is not a number (write it as 1 234,56 or 1234.56)", value=_shown(value))
            else:
                message = _("'%(value)s' is not a number (use a point for decimals, no thousands separators)",
                            value=_shown(value))
            self.fail(column, message, (row or self.row).number)
            return None
        return number

    def _number(self, text: str) -> Decimal | None:
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
        if "," not in text or "." in text:
            return None
        # a comma decimal: in a file whose language writes one, or where it cannot be an English
        # thousands group (12,5 can be nothing else; 1,234 stays refused in an English file)
        if not self.comma_decimal and ENGLISH_GROUPS.match(text):
            return None
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None

    def record_type(self, column: str, allowed: dict[str, str]) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        kind = type_words().get(key(value))
        if kind not in allowed:
            names = ", ".join(type_word(name, self.header.language) for name in allowed.values())
            self.fail(column, _("'%(value)s' is not one of %(allowed)s", value=_shown(value), allowed=names))
            return None
        return kind


def _shown(value: str, limit: int = 100) -> str:
    """A cell quoted in a message: a huge cell is cut, not echoed whole into every report."""
    return value if len(value) <= limit else value[:limit] + "…"
