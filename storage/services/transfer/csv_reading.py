"""Reading an import file: the header checked against the kind's columns, the rows, and the typed
value of each cell with what is wrong with it, by row and column."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from storage.errors import FieldError, RuleViolation

from .columns import COLUMNS, KINDS, LIST_SEPARATOR, MAX_ROWS, REQUIRED, TEXT_MARKER, TYPE_WORDS


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


def read_csv(text: str, kind: str) -> tuple[list[str], list[Row]]:
    """The header and the non-blank rows; a header that is not this kind's is refused whole."""
    if kind not in KINDS:
        raise RuleViolation.on("kind", f"must be one of {', '.join(KINDS)}")
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise RuleViolation.on("csv", "must not contain a NUL character")
    first_line = text.split("\n", 1)[0]
    delimiter = "," if "," in first_line or not (";" in first_line or "\t" in first_line) else (
        ";" if ";" in first_line else "\t")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise RuleViolation.on("csv", f"is not a readable CSV file ({error})") from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise RuleViolation.on("csv", "is empty: the first row must name the columns")
    header = [_unmark(cell).strip() for cell in records[0]]
    _check_header(header, kind)
    if len(records) - 1 > MAX_ROWS:
        raise RuleViolation.on("csv", f"has more than {MAX_ROWS} rows; split it into several files")
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            raise RuleViolation.on(f"row {index}",
                                   f"has {len(record)} cells but the header names {len(header)} columns")
        cells = {column: _unmark(value).strip() for column, value in zip(header, record) if column}
        rows.append(Row(index, cells))
    if not rows:
        raise RuleViolation.on("csv", "has no rows below the header")
    return header, rows


def _unmark(value: str) -> str:
    return value[1:] if value.startswith(TEXT_MARKER) else value


def _check_header(header: list[str], kind: str) -> None:
    known = set(COLUMNS[kind])
    problems = []
    for column in header:
        if column and column not in known:
            problems.append(("csv", f"the column '{column}' is not a column of {kind} (see README-import.md)"))
    seen = set()
    for column in header:
        if column in seen:
            problems.append(("csv", f"the column '{column}' appears twice"))
        seen.add(column)
    for column in REQUIRED[kind]:
        if column not in header:
            problems.append(("csv", f"the column '{column}' is required"))
    if problems:
        detail = problems[0][1] if len(problems) == 1 else "The first row does not name the columns of this kind."
        raise RuleViolation(detail, [FieldError(f, m) for f, m in problems])


class Cells:
    """Reads the typed values of one row, collecting what is wrong per column."""

    def __init__(self, row: Row, header: list[str]):
        self.row, self.header = row, header
        self.errors: list[CellError] = []

    def has(self, column: str) -> bool:
        return column in self.header

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
            self.fail(column, f"'{_shown(value)}' is not a date (write it as YYYY-MM-DD)")
            return None

    def moment(self, column: str) -> dt.datetime | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail(column, f"'{_shown(value)}' is not a date and time with an offset (YYYY-MM-DDTHH:MM+01:00)")
            return None
        return parsed

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            number = int(value.rstrip("% ").strip())
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.fail(column, f"'{_shown(value)}' is not a whole number from {low} to {high}")
            return None
        return number

    def decimal(self, column: str, row: Row | None = None) -> Decimal | None:
        value = (row or self.row).get(column) or None
        if value is None:
            return None
        try:
            number = Decimal(value.replace(" ", "").rstrip("%"))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail(column, f"'{_shown(value)}' is not a number (use a point for decimals, no thousands separators)",
                      (row or self.row).number)
            return None
        return number

    def record_type(self, column: str, allowed: dict[str, str]) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        kind = TYPE_WORDS.get(value.casefold())
        if kind not in allowed:
            self.fail(column, f"'{_shown(value)}' is not one of {', '.join(allowed.values())}")
            return None
        return kind


def _shown(value: str, limit: int = 100) -> str:
    """A cell quoted in a message: a huge cell is cut, not echoed whole into every report."""
    return value if len(value) <= limit else value[:limit] + "…"
