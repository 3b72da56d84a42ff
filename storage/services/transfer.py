"""CSV export and import of opportunities, accounts and business contacts, with BCM's column names.

Export gives the rows of a spreadsheet; import reads one, resolves names (link, stage, assignee,
account, product) to records and creates each record through the same service functions the API
uses, so every rule applies. Each record gets its own savepoint, so the report names every bad
row; the whole import is rolled back when any record failed or when it is a dry run: an import is
all or nothing. The column names and rules are documented in addin/workspace/README-import.md.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import DomainError, FieldError, RuleViolation
from storage.models import (
    Account, Contact, MarketingActivity, Member, Opportunity, OpportunityLine, Product, SalesStage, User,
)

from . import crm
from .opportunities import LineInput, create_opportunity

KINDS = ("opportunities", "accounts", "contacts")
MAX_ROWS = 20_000
LIST_SEPARATOR = ";"
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection"): exported with a
# leading apostrophe, the spreadsheets' text marker. A leading apostrophe is removed again on import.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARKER = "'"

ACCOUNT_COLUMNS = ["Account Name", "E-mail Domains", "Business Phone", "Web Page Address", "Business Address",
                   "Categories"]
CONTACT_COLUMNS = ["Full Name", "E-mail Address", "Job Title", "Business Phone", "Account", "Categories"]
LINE_COLUMNS = ["Product or Service", "Line Description", "Quantity", "Unit Price", "Discount (%)", "Line Total"]
OPPORTUNITY_COLUMNS = [
    "Opportunity ID", "Opportunity Title", "Link To Type", "Link To", "Assigned To", "Type", "Sales Stage",
    "Probability", "Close Date", "Payment Terms", "Expiration Date", "Delivery Date", "Source",
    "Initiated By Type", "Initiated By", "Competitors", "Reminder", "Categories", "Comments", "Total",
    "Expected Revenue", *LINE_COLUMNS,
]
COLUMNS = {"accounts": ACCOUNT_COLUMNS, "contacts": CONTACT_COLUMNS, "opportunities": OPPORTUNITY_COLUMNS}
REQUIRED = {"accounts": ["Account Name"], "contacts": ["Full Name"],
            "opportunities": ["Opportunity Title", "Link To Type", "Link To"]}
# Computed by Dealpane: exported for people to read, ignored on import.
READ_ONLY = {"Total", "Expected Revenue", "Line Total"}
# The columns of the opportunity itself (repeated on each of its line rows).
RECORD_COLUMNS = [c for c in OPPORTUNITY_COLUMNS if c not in LINE_COLUMNS and c not in READ_ONLY
                  and c != "Opportunity ID"]

LINK_TYPES = {"account": "Account", "contact": "Business Contact"}
INITIATOR_TYPES = {"account": "Account", "contact": "Business Contact", "marketing_activity": "Marketing Activity"}
TYPE_WORDS = {"account": "account", "accounts": "account", "business contact": "contact", "contact": "contact",
              "contacts": "contact", "business contacts": "contact", "marketing activity": "marketing_activity",
              "marketing activities": "marketing_activity", "campaign": "marketing_activity"}

ACCOUNT_FIELDS = {"name": "Account Name", "email_domains": "E-mail Domains", "phone": "Business Phone",
                  "web_site": "Web Page Address", "address": "Business Address", "categories": "Categories"}
CONTACT_FIELDS = {"display_name": "Full Name", "email_addresses": "E-mail Address", "job_title": "Job Title",
                  "phone": "Business Phone", "account_id": "Account", "categories": "Categories"}
OPPORTUNITY_FIELDS = {
    "title": "Opportunity Title", "link": "Link To", "assigned_to": "Assigned To", "type": "Type",
    "stage_id": "Sales Stage", "probability": "Probability", "close_date": "Close Date",
    "payment_terms": "Payment Terms", "expiration_date": "Expiration Date", "delivery_date": "Delivery Date",
    "source": "Source", "initiated_by": "Initiated By", "competitors": "Competitors", "reminder_at": "Reminder",
    "categories": "Categories", "comments": "Comments",
}
LINE_FIELDS = {"name": "Product or Service", "product_id": "Product or Service", "description": "Line Description",
               "quantity": "Quantity", "unit_price": "Unit Price", "discount_percent": "Discount (%)",
               "id": "Product or Service"}


# ---- export ------------------------------------------------------------------------------

def export_rows(session: so.Session, workspace_id: str, kind: str) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of `kind` (one of KINDS) in this workspace, as text cells."""
    if kind == "accounts":
        return ACCOUNT_COLUMNS, [_account_row(a) for a in _all(session, Account, workspace_id, Account.name)]
    if kind == "contacts":
        names = _names(session, Account, Account.name, workspace_id)
        return CONTACT_COLUMNS, [_contact_row(c, names) for c in
                                 _all(session, Contact, workspace_id, Contact.display_name)]
    if kind == "opportunities":
        return OPPORTUNITY_COLUMNS, list(_opportunity_rows(session, workspace_id))
    raise RuleViolation.on("kind", f"must be one of {', '.join(KINDS)}")


def _all(session: so.Session, cls, workspace_id: str, name_column) -> list:
    return list(session.scalars(
        sa.select(cls).where(cls.workspace_id == workspace_id).order_by(sa.func.lower(name_column), cls.id)))


def _names(session: so.Session, cls, name_column, workspace_id: str) -> dict[str, str]:
    return dict(session.execute(sa.select(cls.id, name_column).where(cls.workspace_id == workspace_id)).all())


def _account_row(a: Account) -> list[str]:
    return [a.name, _join(a.email_domains), a.phone or "", a.web_site or "", a.address or "", _join(a.category_names)]


def _contact_row(c: Contact, account_names: dict[str, str]) -> list[str]:
    return [c.display_name, _join(c.email_addresses), c.job_title or "", c.phone or "",
            account_names.get(c.account_id, "") if c.account_id else "", _join(c.category_names)]


def _opportunity_rows(session: so.Session, workspace_id: str) -> Iterable[list[str]]:
    emails = dict(session.execute(
        sa.select(User.id, User.email).join(Member, Member.user_id == User.id)
        .where(Member.workspace_id == workspace_id)).all())
    initiators = {
        "account": _names(session, Account, Account.name, workspace_id),
        "contact": _names(session, Contact, Contact.display_name, workspace_id),
        "marketing_activity": _names(session, MarketingActivity, MarketingActivity.name, workspace_id),
    }
    opportunities = session.scalars(
        sa.select(Opportunity).where(Opportunity.workspace_id == workspace_id)
        .options(so.selectinload(Opportunity.lines))
        .order_by(sa.func.lower(Opportunity.title), Opportunity.id))
    for o in opportunities:
        link_name = (o.link_account.name if o.link_account_id and o.link_account else
                     o.link_contact.display_name if o.link_contact else "")
        initiator = ""
        if o.initiated_by_type:
            initiator = initiators.get(o.initiated_by_type, {}).get(o.initiated_by_id, "")
        record = [
            o.id, o.title, LINK_TYPES[o.link_type], link_name,
            emails.get(o.assigned_to, "") if o.assigned_to else "", o.type or "", o.stage.name if o.stage else "",
            str(o.probability), _date(o.close_date), o.payment_terms or "", _date(o.expiration_date),
            _date(o.delivery_date), o.source or "", INITIATOR_TYPES.get(o.initiated_by_type or "", ""), initiator,
            o.competitors or "", o.reminder_at.astimezone(dt.timezone.utc).isoformat() if o.reminder_at else "",
            _join(o.category_names), o.comments or "", _money(o.total), _money(o.expected_revenue),
        ]
        lines: list[OpportunityLine] = list(o.lines)
        if not lines:
            yield record + [""] * len(LINE_COLUMNS)
        for line in lines:
            yield record + [line.name, line.description or "", _plain(line.quantity), _money(line.unit_price),
                            _plain(line.discount_percent), _money(line.amount)]


def _join(values: list[str]) -> str:
    return f"{LIST_SEPARATOR} ".join(values)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def safe_cell(value: str) -> str:
    """The cell as a spreadsheet may open it: never a formula."""
    if value.startswith(FORMULA_STARTS) or value.startswith(TEXT_MARKER):
        return TEXT_MARKER + value
    return value


def write_csv(columns: list[str], rows: Iterable[list[str]]) -> str:
    """CSV text (RFC 4180, CRLF) with a UTF-8 byte order mark so Excel reads it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()


# ---- import: the report ------------------------------------------------------------------

@dataclass
class CellError:
    row: int
    column: str
    message: str


@dataclass
class RecordResult:
    """One record of the file: the spreadsheet rows it came from and what happened to it."""

    row: int
    rows: list[int]
    name: str
    lines: int = 0
    errors: list[CellError] = field(default_factory=list)
    id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    records: list[RecordResult]

    @property
    def failed(self) -> list[RecordResult]:
        return [r for r in self.records if not r.ok]

    @property
    def ok(self) -> bool:
        return bool(self.records) and not self.failed

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run

    def errors(self) -> list[CellError]:
        return [e for r in self.records for e in r.errors]


# ---- import: reading the file ------------------------------------------------------------

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


# ---- import: names to records --------------------------------------------------------------

class Directory:
    """Records of the workspace by name (case-insensitive), for the name columns of a file."""

    def __init__(self, session: so.Session, workspace_id: str):
        self.session, self.workspace_id = session, workspace_id
        self._cache: dict[str, dict[str, list[str]]] = {}

    def _index(self, key: str, cls, column) -> dict[str, list[str]]:
        if key not in self._cache:
            index: dict[str, list[str]] = {}
            for record_id, name in self.session.execute(
                    sa.select(cls.id, column).where(cls.workspace_id == self.workspace_id)):
                index.setdefault(name.strip().casefold(), []).append(record_id)
            self._cache[key] = index
        return self._cache[key]

    def find(self, kind: str, name: str) -> tuple[str | None, str | None]:
        """(id, None) or (None, what is wrong)."""
        cls, column, noun = {
            "account": (Account, Account.name, "account"),
            "contact": (Contact, Contact.display_name, "business contact"),
            "marketing_activity": (MarketingActivity, MarketingActivity.name, "marketing activity"),
            "product": (Product, Product.name, "product"),
            "stage": (SalesStage, SalesStage.name, "sales stage"),
        }[kind]
        ids = self._index(kind, cls, column).get(name.casefold(), [])
        if not ids:
            return None, f"no {noun} is named '{name}'"
        if len(ids) > 1:
            return None, f"{len(ids)} {noun}s are named '{name}'; rename one of them first"
        return ids[0], None

    def member(self, text: str) -> tuple[str | None, str | None]:
        if "members" not in self._cache:
            by: dict[str, list[str]] = {}
            for user_id, email, name in self.session.execute(
                    sa.select(User.id, User.email, User.display_name).join(Member, Member.user_id == User.id)
                    .where(Member.workspace_id == self.workspace_id)):
                by.setdefault(email.casefold(), []).append(user_id)
                if name and name.casefold() != email.casefold():
                    by.setdefault(name.strip().casefold(), []).append(user_id)
            self._cache["members"] = by
        ids = self._cache["members"].get(text.casefold(), [])
        if len(ids) == 1:
            return ids[0], None
        if ids:
            return None, f"'{text}' names {len(ids)} members; use the e-mail address"
        return None, f"'{text}' is not a member of this workspace (use the e-mail address)"


# ---- import: cells to values ---------------------------------------------------------------

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
            self.fail(column, f"'{value}' is not a date (write it as YYYY-MM-DD)")
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
            self.fail(column, f"'{value}' is not a date and time with an offset (YYYY-MM-DDTHH:MM+01:00)")
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
            self.fail(column, f"'{value}' is not a whole number from {low} to {high}")
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
            self.fail(column, f"'{value}' is not a number (use a point for decimals, no thousands separators)",
                      (row or self.row).number)
            return None
        return number

    def record_type(self, column: str, allowed: dict[str, str]) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        kind = TYPE_WORDS.get(value.casefold())
        if kind not in allowed:
            self.fail(column, f"'{value}' is not one of {', '.join(allowed.values())}")
            return None
        return kind


# ---- import: the records -------------------------------------------------------------------

@dataclass
class Plan:
    """How to create one record: its name for the report, the service call, and which column each
    of the service's fields came from."""

    name: str
    create: Callable[[], Any]
    fields: dict[str, str]
    line_rows: list[int] = field(default_factory=list)  # the row of each line passed to the service


@dataclass
class Group:
    """The rows of one record (an opportunity with several lines has several rows)."""

    rows: list[Row]

    @property
    def first(self) -> Row:
        return self.rows[0]


def _groups(kind: str, header: list[str], rows: list[Row]) -> list[Group]:
    if kind != "opportunities" or "Opportunity ID" not in header:
        return [Group([row]) for row in rows]
    groups: dict[str, Group] = {}
    result: list[Group] = []
    for row in rows:
        key = row.get("Opportunity ID")
        if not key:
            result.append(Group([row]))
        elif key in groups:
            groups[key].rows.append(row)
        else:
            groups[key] = Group([row])
            result.append(groups[key])
    return result


def import_csv(session: so.Session, member: Member, kind: str, text: str, *, dry_run: bool) -> ImportReport:
    """Create the file's records, all or nothing. On a dry run, or when any record fails, nothing
    stays: the report says per record what would be created or what is wrong, row and column."""
    header, rows = read_csv(text, kind)
    directory = Directory(session, member.workspace_id)
    build = {"accounts": _account, "contacts": _contact, "opportunities": _opportunity}[kind]
    report = ImportReport(kind, dry_run, [])
    everything = session.begin_nested()
    try:
        for group in _groups(kind, header, rows):
            cells = Cells(group.first, header)
            plan = build(cells, group, directory, session, member)
            result = RecordResult(group.first.number, [r.number for r in group.rows], plan.name,
                                  len(plan.line_rows))
            report.records.append(result)
            savepoint = session.begin_nested()
            try:
                record = plan.create()
                savepoint.commit()
                result.id = None if dry_run else record.id
            except DomainError as error:
                savepoint.rollback()
                result.errors.extend(_service_errors(error, group.first.number, plan, cells.errors))
            result.errors[:0] = cells.errors
            result.errors.sort(key=lambda e: e.row)
    finally:
        if report.imported:
            everything.commit()
        else:
            everything.rollback()
    return report


def _service_errors(error: DomainError, first_row: int, plan: Plan, already: list[CellError]) -> list[CellError]:
    """The service's field errors as (row, column): lines[2].quantity is on the third line's row.
    A column that already has a reading error is not reported twice."""
    taken = {(e.row, e.column) for e in already}
    result = []
    for item in error.errors or []:
        row = first_row
        match = re.match(r"^lines\[(\d+)\]\.?(\w*)", item.field)
        if match:
            index = int(match.group(1))
            row = plan.line_rows[index] if index < len(plan.line_rows) else row
            column = LINE_FIELDS.get(match.group(2), "Product or Service")
        else:
            base = re.split(r"[.\[]", item.field, maxsplit=1)[0]
            column = plan.fields.get(base, item.field)
        partner = {"Link To": "Link To Type", "Initiated By": "Initiated By Type"}.get(column)
        if (row, column) not in taken and (row, partner) not in taken:
            taken.add((row, column))
            result.append(CellError(row, column, item.message))
    if not result and not already:
        result.append(CellError(first_row, "", error.detail))
    return result


def _present(cells: Cells, data: dict[str, Any], key: str, column: str, value: Any) -> None:
    """A column the file has sets the field (an empty cell clears it); a column it lacks leaves it alone."""
    if cells.has(column):
        data[key] = value


def _account(cells: Cells, group: Group, directory: Directory, session: so.Session, member: Member):
    data: dict[str, Any] = {"name": cells.text("Account Name")}
    _present(cells, data, "email_domains", "E-mail Domains", cells.names("E-mail Domains"))
    _present(cells, data, "phone", "Business Phone", cells.text("Business Phone"))
    _present(cells, data, "web_site", "Web Page Address", cells.text("Web Page Address"))
    _present(cells, data, "address", "Business Address", cells.text("Business Address"))
    _present(cells, data, "categories", "Categories", cells.names("Categories"))
    return Plan(data["name"] or "", lambda: crm.save_account(session, member.workspace_id, None, data),
                ACCOUNT_FIELDS)


def _contact(cells: Cells, group: Group, directory: Directory, session: so.Session, member: Member):
    data: dict[str, Any] = {"display_name": cells.text("Full Name")}
    _present(cells, data, "email_addresses", "E-mail Address", cells.names("E-mail Address"))
    _present(cells, data, "job_title", "Job Title", cells.text("Job Title"))
    _present(cells, data, "phone", "Business Phone", cells.text("Business Phone"))
    _present(cells, data, "categories", "Categories", cells.names("Categories"))
    account = cells.text("Account")
    if account:
        account_id, wrong = directory.find("account", account)
        if wrong:
            cells.fail("Account", wrong)
        else:
            data["account_id"] = account_id
    elif cells.has("Account"):
        data["account_id"] = None
    return Plan(data["display_name"] or "", lambda: crm.save_contact(session, member.workspace_id, None, data),
                CONTACT_FIELDS)


def _has_line(row: Row) -> bool:
    return any(row.get(c) for c in LINE_COLUMNS if c not in READ_ONLY)


def _opportunity(cells: Cells, group: Group, directory: Directory, session: so.Session, member: Member):
    first = group.first
    for row in group.rows[1:]:  # the opportunity's own cells repeat on each line row, or stay empty
        for column in RECORD_COLUMNS:
            if row.get(column) and row.get(column) != first.get(column):
                cells.fail(column, f"differs from row {first.number}, the first row of this opportunity", row.number)
    data: dict[str, Any] = {"title": cells.text("Opportunity Title")}
    link_type = cells.record_type("Link To Type", LINK_TYPES)
    link_name = cells.text("Link To")
    if not link_name:
        cells.fail("Link To", "is required: the name of one account or one business contact")
    elif not cells.text("Link To Type"):
        cells.fail("Link To Type", "is required: Account or Business Contact")
    elif link_type:
        link_id, wrong = directory.find(link_type, link_name)
        if wrong:
            cells.fail("Link To", wrong)
        else:
            data["link"] = {"type": link_type, "id": link_id}
    if cells.has("Assigned To"):
        who = cells.text("Assigned To")
        if who is None:
            data["assigned_to"] = None
        else:
            user_id, wrong = directory.member(who)
            if wrong:
                cells.fail("Assigned To", wrong)
            else:
                data["assigned_to"] = user_id
    stage = cells.text("Sales Stage")
    if stage:
        stage_id, wrong = directory.find("stage", stage)
        if wrong:
            cells.fail("Sales Stage", wrong)
        else:
            data["stage_id"] = stage_id
    probability = cells.integer("Probability", 0, 100)
    if probability is not None:
        data["probability"] = probability
    for key, column in (("close_date", "Close Date"), ("expiration_date", "Expiration Date"),
                        ("delivery_date", "Delivery Date")):
        _present(cells, data, key, column, cells.date(column))
    for key, column in (("type", "Type"), ("payment_terms", "Payment Terms"), ("source", "Source"),
                        ("competitors", "Competitors"), ("comments", "Comments")):
        _present(cells, data, key, column, cells.text(column))
    _present(cells, data, "reminder_at", "Reminder", cells.moment("Reminder"))
    _present(cells, data, "categories", "Categories", cells.names("Categories"))
    initiator_type = cells.record_type("Initiated By Type", INITIATOR_TYPES)
    initiator = cells.text("Initiated By")
    if initiator and initiator_type:
        initiator_id, wrong = directory.find(initiator_type, initiator)
        if wrong:
            cells.fail("Initiated By", wrong)
        else:
            data["initiated_by"] = {"type": initiator_type, "id": initiator_id}
    elif initiator and not cells.text("Initiated By Type"):
        cells.fail("Initiated By Type",
                   "is required with Initiated By: Account, Business Contact or Marketing Activity")
    lines, line_rows = [], []
    for row in group.rows:
        line = _line(cells, row, directory) if _has_line(row) else None
        if line is not None:
            lines.append(line)
            line_rows.append(row.number)
    if lines:
        data["lines"] = lines
    # A bad cell is left out of `data`; the service still checks the rest, so the report is complete.
    return Plan(data["title"] or "", lambda: create_opportunity(session, member, data), OPPORTUNITY_FIELDS, line_rows)


def _line(cells: Cells, row: Row, directory: Directory) -> LineInput | None:
    name = row.get("Product or Service") or None
    before = len(cells.errors)
    quantity = cells.decimal("Quantity", row)
    price = cells.decimal("Unit Price", row)
    discount = cells.decimal("Discount (%)", row)
    if name is None:
        cells.fail("Product or Service", "is required on a row with a product or service line", row.number)
    if len(cells.errors) > before:
        return None
    product_id = None
    if name:
        product_id, _wrong = directory.find("product", name)  # no such product: a free-text line
    return LineInput(product_id=product_id, name=name, description=row.get("Line Description") or None,
                     quantity=quantity if quantity is not None else Decimal(1), unit_price=price,
                     discount_percent=discount if discount is not None else Decimal(0))
