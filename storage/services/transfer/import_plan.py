"""Import planning: the file's records checked against the workspace, in time linear in the file.

Names (link, stage, assignee, account, product, initiator), categories, list values and e-mail
domains are read once per file, one query per table (Directory). Each record is then checked in
memory by Rules, which apply the rules of the services that create records through the API
(crm.save_account, crm.save_contact, opportunities.create_opportunity): the same fields, limits and
messages; tests/api/test_import_rules.py runs both on the same input. When every record is fine and
it is not a dry run, import_write.Batch inserts them all, a statement per table. Nothing is written
otherwise: an import is all or nothing.

Before, each record went through the service itself in a savepoint of its own; the services read
every category of the workspace per record, so 1,000 rows with distinct categories took 7.5 s of CPU
and 2,000 rows 40 s (bench/import_rows.py).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import limits
from storage.errors import FieldError
from storage.i18n import Text, _
from storage.models import (
    Account, AccountDomain, Category, Contact, ListValue, MarketingActivity, Member, Product, SalesStage, User,
)
from storage.types import round_money

from .. import crm
from .. import opportunities as opp_rules
from ..opportunities import LineInput
from ..validation import Problems, optional_text, require_text
from .columns import (
    ACCOUNT_FIELDS, CONTACT_FIELDS, INITIATOR_TYPES, LINE_COLUMNS, LINE_FIELDS, LINK_TYPES, OPPORTUNITY_FIELDS,
    READ_ONLY, RECORD_COLUMNS,
)
from .csv_reading import CellError, Cells, Header, Row, read_csv
from .import_write import Batch


# ---- the report --------------------------------------------------------------------------

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


# ---- the workspace, read once per file -------------------------------------------------------

NAMED = {
    "account": (Account, Account.name),
    "contact": (Contact, Contact.display_name),
    "marketing_activity": (MarketingActivity, MarketingActivity.name),
    "product": (Product, Product.name),
    "stage": (SalesStage, SalesStage.name),
}


def _nobody_named(kind: str, name: str) -> Text:
    """One whole sentence per kind: languages do not build it alike (« aucun compte », « aucune étape »)."""
    if kind == "account":
        return _("no account is named '%(name)s'", name=name)
    if kind == "contact":
        return _("no business contact is named '%(name)s'", name=name)
    if kind == "marketing_activity":
        return _("no marketing activity is named '%(name)s'", name=name)
    if kind == "product":
        return _("no product is named '%(name)s'", name=name)
    return _("no sales stage is named '%(name)s'", name=name)


def _several_named(kind: str, name: str, count: int) -> Text:
    if kind == "account":
        return _("%(count)s accounts are named '%(name)s'; rename one of them first", count=count, name=name)
    if kind == "contact":
        return _("%(count)s business contacts are named '%(name)s'; rename one of them first", count=count, name=name)
    if kind == "marketing_activity":
        return _("%(count)s marketing activities are named '%(name)s'; rename one of them first", count=count,
                 name=name)
    if kind == "product":
        return _("%(count)s products are named '%(name)s'; rename one of them first", count=count, name=name)
    return _("%(count)s sales stages are named '%(name)s'; rename one of them first", count=count, name=name)


def _not_of_workspace(kind: str) -> Text:
    """The services' message when an id is no record of this kind in the workspace (storage.services.records)."""
    if kind == "account":
        return _("is not an account of this workspace")
    if kind == "contact":
        return _("is not a contact of this workspace")
    if kind == "marketing_activity":
        return _("is not a marketing activity of this workspace")
    return _("is not a product of this workspace")


@dataclass
class StageInfo:
    id: str
    name: str
    outcome: str | None
    is_default: bool


class Directory:
    """The workspace's records by name (case-insensitive), its members, stages, products, list
    values, categories and e-mail domains: each table read with one query, the first time the file
    needs it."""

    def __init__(self, session: so.Session, workspace_id: str):
        self.session, self.workspace_id = session, workspace_id
        self._cache: dict[str, Any] = {}

    def _once(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def _rows(self, kind: str) -> list[tuple]:
        cls, column = NAMED[kind]
        extra = {"product": (Product.unit_price,), "stage": (SalesStage.outcome, SalesStage.is_default)}.get(kind, ())
        return self._once(f"rows:{kind}", lambda: self.session.execute(
            sa.select(cls.id, column, *extra).where(cls.workspace_id == self.workspace_id)).all())

    def _index(self, kind: str) -> dict[str, list[str]]:
        def load() -> dict[str, list[str]]:
            index: dict[str, list[str]] = {}
            for record_id, name, *_ in self._rows(kind):
                index.setdefault(name.strip().casefold(), []).append(record_id)
            return index
        return self._once(f"index:{kind}", load)

    def find(self, kind: str, name: str) -> tuple[str | None, str | None]:
        """(id, None) or (None, what is wrong)."""
        ids = self._index(kind).get(name.casefold(), [])
        if not ids:
            return None, _nobody_named(kind, name)
        if len(ids) > 1:
            return None, _several_named(kind, name, len(ids))
        return ids[0], None

    def exists(self, kind: str, record_id: str | None) -> bool:
        return record_id in self._once(f"ids:{kind}", lambda: {row[0] for row in self._rows(kind)})

    def product(self, product_id: str) -> tuple[str, Decimal] | None:
        products = self._once("products", lambda: {row[0]: (row[1], row[2]) for row in self._rows("product")})
        return products.get(product_id)

    def stage(self, stage_id: str | None) -> StageInfo | None:
        stages = self._once("stages", lambda: {row[0]: StageInfo(*row) for row in self._rows("stage")})
        return stages.get(stage_id)

    def default_stage_id(self) -> str | None:
        self.stage(None)
        return next((s.id for s in self._cache["stages"].values() if s.is_default), None)

    def member(self, text: str) -> tuple[str | None, str | None]:
        ids = self._members().get(text.casefold(), [])
        if len(ids) == 1:
            return ids[0], None
        if ids:
            return None, _("'%(text)s' names %(count)s members; use the e-mail address", text=text, count=len(ids))
        return None, _("'%(text)s' is not a member of this workspace (use the e-mail address)", text=text)

    def _members(self) -> dict[str, list[str]]:
        def load() -> dict[str, list[str]]:
            by: dict[str, list[str]] = {}
            for user_id, email, name in self.session.execute(
                    sa.select(User.id, User.email, User.display_name).join(Member, Member.user_id == User.id)
                    .where(Member.workspace_id == self.workspace_id)):
                by.setdefault(email.casefold(), []).append(user_id)
                if name and name.casefold() != email.casefold():
                    by.setdefault(name.strip().casefold(), []).append(user_id)
            return by
        return self._once("members", load)

    def is_member(self, user_id: str) -> bool:
        return user_id in self._once("member ids", lambda: {i for ids in self._members().values() for i in ids})

    def list_values(self, list_name: str) -> set[str]:
        def load() -> dict[str, set[str]]:
            values: dict[str, set[str]] = {}
            for name, value in self.session.execute(
                    sa.select(ListValue.list_name, ListValue.value)
                    .where(ListValue.workspace_id == self.workspace_id, ListValue.active.is_(True))):
                values.setdefault(name, set()).add(value)
            return values
        return self._once("lists", load).get(list_name, set())

    def categories(self) -> dict[str, tuple[str, str]]:
        """casefolded name -> (id, name), as crm.resolve_categories matches them."""
        return self._once("categories", lambda: {
            name.casefold(): (category_id, name) for category_id, name in self.session.execute(
                sa.select(Category.id, Category.name).where(Category.workspace_id == self.workspace_id))})

    def domain_owners(self) -> dict[str, str]:
        """e-mail domain -> the name of the account it belongs to."""
        return self._once("domains", lambda: dict(self.session.execute(
            sa.select(AccountDomain.domain, Account.name).join(Account, Account.id == AccountDomain.account_id)
            .where(AccountDomain.workspace_id == self.workspace_id)).all()))


# ---- the services' rules, against the directory ------------------------------------------------

@dataclass
class Checked:
    """A record that passed (problems empty) or not, with what Batch needs to insert it."""

    problems: Problems
    values: dict[str, Any] = field(default_factory=dict)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (casefolded, as written)
    children: list[Any] = field(default_factory=list)  # domains, addresses or lines


class Rules:
    """The rules of crm.save_account, crm.save_contact and opportunities.create_opportunity for a new
    record, with the same fields and messages, checked against the Directory instead of a query per
    record. Records earlier in the file count as the services would see them: an e-mail domain of an
    earlier (good) account is taken."""

    def __init__(self, directory: Directory, member: Member, today: dt.date):
        self.directory, self.member, self.today = directory, member, today
        self.claimed_domains: dict[str, str] = {}

    def categories(self, problems: Problems, names: list[str], field: str = "categories") -> list[tuple[str, str]]:
        """crm.resolve_categories' rule on names (crm.category_names)."""
        return list(crm.category_names(problems, names, field).items())

    def account(self, data: dict[str, Any]) -> Checked:
        problems = Problems()
        values: dict[str, Any] = {"name": require_text(problems, "name", data.get("name"))}
        for name, max_len in crm.ACCOUNT_TEXT.items():
            values[name] = optional_text(problems, name, data[name], max_len) if name in data else None
        domains: list[str] = []
        if "email_domains" in data:
            domains = crm._clean_domains(problems, data["email_domains"] or [])  # noqa: SLF001 - the service's rule
            owners = self.directory.domain_owners()
            for i, domain in enumerate(domains):
                owner = owners.get(domain) or self.claimed_domains.get(domain)
                if owner is not None:
                    problems.add(f"email_domains[{i}]", _("%(domain)s already belongs to the account %(account)s",
                                                           domain=domain, account=owner))
        categories = self.categories(problems, data["categories"] or []) if "categories" in data else []
        if not problems:
            for domain in domains:
                self.claimed_domains[domain] = values["name"]
        return Checked(problems, values, categories, domains)

    def contact(self, data: dict[str, Any]) -> Checked:
        problems = Problems()
        values: dict[str, Any] = {"display_name": require_text(problems, "display_name", data.get("display_name"))}
        for name, max_len in crm.CONTACT_TEXT.items():
            values[name] = optional_text(problems, name, data[name], max_len) if name in data else None
        account_id = data.get("account_id")
        if account_id and not self.directory.exists("account", account_id):
            problems.add("account_id", _("is not an account of this workspace"))
        values["account_id"] = account_id or None
        addresses: list[str] = []
        for i, value in enumerate(data.get("email_addresses") or []):
            address = (value or "").strip().lower()
            if not crm.is_email(address):
                problems.add(f"email_addresses[{i}]", _("is not an e-mail address"))
            elif address not in addresses:
                addresses.append(address)
        categories = self.categories(problems, data["categories"] or []) if "categories" in data else []
        return Checked(problems, values, categories, addresses)

    def opportunity(self, data: dict[str, Any]) -> Checked:
        """opportunities.create_opportunity and its _apply, for a new record."""
        problems = Problems()
        directory = self.directory
        data = dict(data)
        data.setdefault("assigned_to", self.member.user_id)
        if "stage_id" not in data:
            data["stage_id"] = directory.default_stage_id()
        v: dict[str, Any] = {"title": require_text(problems, "title", data.get("title")),
                             "link_account_id": None, "link_contact_id": None}
        link = data.get("link")
        if not link:
            problems.add("link", _("is required: one account or one business contact"))
        elif link.get("type") not in LINK_TYPES:
            problems.add("link.type", _("must be account or contact"))
        elif not directory.exists(link["type"], link.get("id")):
            problems.add("link.id", _not_of_workspace(link["type"]))
        else:
            v[f"link_{link['type']}_id"] = link["id"]
        user_id = data["assigned_to"]
        if user_id is not None and not directory.is_member(user_id):
            problems.add("assigned_to", _("must be a member of the workspace"))
        v["assigned_to"] = user_id
        for name in opp_rules.LIST_FIELDS:
            value = optional_text(problems, name, data[name], limits.LIST_VALUE) if name in data else None
            if value is not None and value not in directory.list_values(name):
                problems.add(name, opp_rules.not_a_list_value(name, value))
            v[name] = value
        for name in opp_rules.DATE_FIELDS:
            v[name] = data.get(name)
        v["competitors"] = optional_text(problems, "competitors", data.get("competitors"), limits.DESCRIPTION)
        v["comments"] = optional_text(problems, "comments", data.get("comments"), limits.LONG_TEXT) or ""
        reminder = data.get("reminder_at")
        if reminder is not None and reminder.tzinfo is None:
            problems.add("reminder_at", _("needs a time zone offset"))
        elif reminder is not None:
            reminder = reminder.astimezone(dt.timezone.utc)
        v["reminder_at"] = reminder
        v["initiated_by_type"] = v["initiated_by_id"] = None
        initiator = data.get("initiated_by")
        if initiator:
            kind, record_id = initiator.get("type"), initiator.get("id")
            if kind not in INITIATOR_TYPES:
                problems.add("initiated_by.type", _("must be account, contact or marketing_activity"))
            elif not directory.exists(kind, record_id):
                problems.add("initiated_by.id", _not_of_workspace(kind))
            else:
                v["initiated_by_type"], v["initiated_by_id"] = kind, record_id
        categories = self.categories(problems, data["categories"] or []) if "categories" in data else []
        lines = self._lines(problems, data.get("lines") or [])

        stage_id = data["stage_id"]
        stage = directory.stage(stage_id) if stage_id else None
        if stage_id and stage is None:
            problems.add("stage_id", _("is not a sales stage of this workspace"))
        v["stage_id"] = stage.id if stage else None
        v["stage_entered_on"] = self.today
        if "probability" in data and data["probability"] is None:
            problems.add("probability", _("must be a number between %(low)s and %(high)s", low=0, high=100))
            probability = 0
        else:
            probability = data.get("probability", 0)
            if not 0 <= probability <= 100:
                problems.add("probability", _("must be between %(low)s and %(high)s", low=0, high=100))
        if stage is not None and stage.outcome:
            forced = opp_rules.OUTCOME_PROBABILITY[stage.outcome]
            if "probability" in data and data["probability"] != forced:
                problems.add("probability", _("is %(probability)s for a %(stage)s opportunity", probability=forced,
                                              stage=stage.name))
            probability = forced
            if "close_date" not in data:
                v["close_date"] = self.today
        v["probability"] = probability
        # opportunities._apply_close_reason: a value of the list, for a closed deal only
        reason = optional_text(problems, opp_rules.CLOSE_REASON, data.get(opp_rules.CLOSE_REASON), limits.LIST_VALUE)
        if reason is not None and (stage is None or not stage.outcome):
            problems.add(opp_rules.CLOSE_REASON, _("can be given only when the opportunity is closed (won or lost)"))
        elif reason is not None and reason not in directory.list_values(opp_rules.CLOSE_REASON):
            problems.add(opp_rules.CLOSE_REASON, opp_rules.not_a_list_value(opp_rules.CLOSE_REASON, reason))
        v["close_reason"] = reason
        total = round_money(sum((line["amount"] for line in lines), Decimal(0)))
        v["total"], v["expected_revenue"] = total, opp_rules.expected_revenue(total, probability)
        return Checked(problems, v, categories, lines)

    def _lines(self, problems: Problems, lines: list[LineInput]) -> list[dict[str, Any]]:
        """opportunities._apply_lines for a new record."""
        result: list[dict[str, Any]] = []
        for i, given in enumerate(lines):
            name_of = f"lines[{i}]"
            product = None
            if given.product_id:
                product = self.directory.product(given.product_id)
                if product is None:
                    problems.add(f"{name_of}.product_id", _not_of_workspace("product"))
                    continue
            name = optional_text(problems, f"{name_of}.name", given.name, limits.NAME) or (product[0] if product else None)
            if name is None:
                problems.add(f"{name_of}.name", _("is required for a line without a product"))
                continue
            price = given.unit_price if given.unit_price is not None else (product[1] if product else None)
            if price is None:
                problems.add(f"{name_of}.unit_price", _("is required for a line without a product"))
                continue
            crm.check_money(problems, f"{name_of}.unit_price", price)
            opp_rules._check_places(problems, f"{name_of}.quantity", given.quantity, 3,  # noqa: SLF001
                                    MAX_QUANTITY)
            opp_rules._check_places(problems, f"{name_of}.discount_percent", given.discount_percent, 2,  # noqa: SLF001
                                    MAX_PERCENT)
            if problems:
                continue
            amount = opp_rules.line_amount(given.quantity, price, given.discount_percent)
            if amount > MAX_MONEY:  # each factor is in bounds, their product need not be
                problems.add(f"{name_of}.quantity",
                             _("quantity × unit price comes to %(amount)s; a line may be at most %(limit)s",
                               amount=amount, limit=MAX_MONEY))
                continue
            description = optional_text(problems, f"{name_of}.description", given.description, limits.DESCRIPTION)
            result.append({"product_id": given.product_id if product else None, "name": name,
                           "description": description, "quantity": given.quantity, "unit_price": price,
                           "discount_percent": given.discount_percent, "amount": amount, "position": i})
        total = sum((line["amount"] for line in result), Decimal(0))
        if not problems and total > MAX_MONEY:
            problems.add("lines", _("the lines add up to %(total)s; an opportunity's total may be at most %(limit)s",
                                    total=total, limit=MAX_MONEY))
        return result


# the services' bounds (storage.types states them once since issue 16; before that, in the services)
try:
    from storage.types import MAX_MONEY, MAX_PERCENT, MAX_QUANTITY
except ImportError:  # pragma: no cover - the bounds as the services held them before
    MAX_MONEY, MAX_QUANTITY, MAX_PERCENT = Decimal("999999999999.99"), Decimal("1000000000"), Decimal(100)


# ---- cells to the services' data ---------------------------------------------------------------

@dataclass
class Plan:
    """One record: its name for the report, the data the service would get, which column each of
    the service's fields came from, and the row of each line."""

    name: str
    data: dict[str, Any]
    fields: dict[str, str]
    line_rows: list[int] = field(default_factory=list)


@dataclass
class Group:
    """The rows of one record (an opportunity with several lines has several rows)."""

    rows: list[Row]

    @property
    def first(self) -> Row:
        return self.rows[0]


def _groups(kind: str, header: Header, rows: list[Row]) -> list[Group]:
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


def import_csv(session: so.Session, member: Member, kind: str, text: str, *, dry_run: bool,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Create the file's records, all or nothing. On a dry run, or when any record fails, nothing
    is written: the report says per record what would be created or what is wrong, row and column.
    `progress(done, total)` is called as records are checked (every 500) and when they are written."""
    header, rows = read_csv(text, kind)
    zone = member.user.time_zone if member.user is not None else None
    directory = Directory(session, member.workspace_id)
    build = {"accounts": _account, "contacts": _contact, "opportunities": _opportunity}[kind]
    rules = Rules(directory, member, dt.date.today())
    check = {"accounts": rules.account, "contacts": rules.contact, "opportunities": rules.opportunity}[kind]
    batch = Batch(member.workspace_id, directory)
    report = ImportReport(kind, dry_run, [])
    groups = _groups(kind, header, rows)
    any_failed = False
    for done, group in enumerate(groups):
        if progress is not None and done % 500 == 0:
            progress(done, len(groups))
        cells = Cells(group.first, header, zone)
        plan = build(cells, group, directory)
        result = RecordResult(group.first.number, [r.number for r in group.rows], plan.name, len(plan.line_rows))
        report.records.append(result)
        checked = check(plan.data)
        if checked.problems:
            result.errors.extend(_service_errors(checked.problems.errors, group.first.number, plan, cells.errors))
        result.errors[:0] = cells.errors
        result.errors.sort(key=lambda e: e.row)
        any_failed = any_failed or not result.ok
        if not any_failed and not dry_run:
            result.id = batch.add(kind, checked, member)
    if progress is not None:
        progress(len(groups), len(groups))
    if report.imported:
        batch.write(session)
    else:
        for result in report.records:
            result.id = None  # nothing was created
    for error in report.errors():  # the columns as the file names them (in its language)
        error.column = header.shown(error.column)
    return report


def _service_errors(errors: list[FieldError], first_row: int, plan: Plan, already: list[CellError]) -> list[CellError]:
    """The rules' field errors as (row, column): lines[2].quantity is on the third line's row.
    A column that already has a reading error is not reported twice."""
    taken = {(e.row, e.column) for e in already}
    result = []
    for item in errors:
        row = first_row
        match = re.match(r"^lines\[(\d+)\]\.?(\w*)", item.field)
        if match:
            index = int(match.group(1))
            row = plan.line_rows[index] if index < len(plan.line_rows) else row
            column = LINE_FIELDS.get(match.group(2), "Product or Service")
        elif item.field == "lines":  # the lines' sum: the opportunity's (computed) total
            column = "Total"
        else:
            base = re.split(r"[.\[]", item.field, maxsplit=1)[0]
            column = plan.fields.get(base, item.field)
        partner = {"Link To": "Link To Type", "Initiated By": "Initiated By Type"}.get(column)
        if (row, column) not in taken and (row, partner) not in taken:
            taken.add((row, column))
            result.append(CellError(row, column, item.message))
    if not result and not already and errors:
        result.append(CellError(first_row, "", errors[0].message))
    return result


def _present(cells: Cells, data: dict[str, Any], key: str, column: str, value: Any) -> None:
    """A column the file has sets the field (an empty cell clears it); a column it lacks leaves it alone."""
    if cells.has(column):
        data[key] = value


def _account(cells: Cells, group: Group, directory: Directory) -> Plan:
    data: dict[str, Any] = {"name": cells.text("Account Name")}
    _present(cells, data, "email_domains", "E-mail Domains", cells.names("E-mail Domains"))
    _present(cells, data, "phone", "Business Phone", cells.text("Business Phone"))
    _present(cells, data, "web_site", "Web Page Address", cells.text("Web Page Address"))
    _present(cells, data, "address", "Business Address", cells.text("Business Address"))
    _present(cells, data, "categories", "Categories", cells.names("Categories"))
    return Plan(data["name"] or "", data, ACCOUNT_FIELDS)


def _contact(cells: Cells, group: Group, directory: Directory) -> Plan:
    data: dict[str, Any] = {"display_name": cells.text("Full Name")}
    _present(cells, data, "email_addresses", "E-mail Address", cells.names("E-mail Address"))
    _present(cells, data, "job_title", "Job Title", cells.text("Job Title"))
    _present(cells, data, "phone", "Business Phone", cells.text("Business Phone"))
    _present(cells, data, "categories", "Categories", cells.names("Categories"))
    account = cells.text("Account")
    if account:
        _resolved(cells, data, "account_id", "Account", directory.find("account", account))
    elif cells.has("Account"):
        data["account_id"] = None
    return Plan(data["display_name"] or "", data, CONTACT_FIELDS)


def _resolved(cells: Cells, data: dict[str, Any], key: str, column: str, found: tuple[Any, str | None]) -> None:
    """A name looked up in the directory: its id into `data`, or the reason on the cell."""
    record_id, wrong = found
    if wrong:
        cells.fail(column, wrong)
    else:
        data[key] = record_id


def _has_line(row: Row) -> bool:
    return any(row.get(c) for c in LINE_COLUMNS if c not in READ_ONLY)


def _opportunity(cells: Cells, group: Group, directory: Directory) -> Plan:
    first = group.first
    for row in group.rows[1:]:  # the opportunity's own cells repeat on each line row, or stay empty
        for column in RECORD_COLUMNS:
            if row.get(column) and row.get(column) != first.get(column):
                cells.fail(column, _("differs from row %(row)s, the first row of this opportunity", row=first.number),
                           row.number)
    data: dict[str, Any] = {"title": cells.text("Opportunity Title")}
    link_type = cells.record_type("Link To Type", LINK_TYPES)
    link_name = cells.text("Link To")
    if not link_name:
        cells.fail("Link To", _("is required: the name of one account or one business contact"))
    elif not cells.text("Link To Type"):
        cells.fail("Link To Type", _("is required: Account or Business Contact"))
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
            _resolved(cells, data, "assigned_to", "Assigned To", directory.member(who))
    stage = cells.text("Sales Stage")
    if stage:
        _resolved(cells, data, "stage_id", "Sales Stage", directory.find("stage", stage))
    probability = cells.integer("Probability", 0, 100)
    if probability is not None:
        data["probability"] = probability
    for key, column in (("close_date", "Close Date"), ("expiration_date", "Expiration Date"),
                        ("delivery_date", "Delivery Date")):
        _present(cells, data, key, column, cells.date(column))
    for key, column in (("type", "Type"), ("payment_terms", "Payment Terms"), ("source", "Source"),
                        ("competitors", "Competitors"), ("close_reason", "Close Reason"), ("comments", "Comments")):
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
                   _("is required with Initiated By: Account, Business Contact or Marketing Activity"))
    lines, line_rows = [], []
    for row in group.rows:
        line = _line(cells, row, directory) if _has_line(row) else None
        if line is not None:
            lines.append(line)
            line_rows.append(row.number)
    if lines:
        data["lines"] = lines
    # A bad cell is left out of `data`; the rules still check the rest, so the report is complete.
    return Plan(data["title"] or "", data, OPPORTUNITY_FIELDS, line_rows)


def _line(cells: Cells, row: Row, directory: Directory) -> LineInput | None:
    name = row.get("Product or Service") or None
    before = len(cells.errors)
    quantity = cells.decimal("Quantity", row)
    price = cells.decimal("Unit Price", row)
    discount = cells.decimal("Discount (%)", row)
    if name is None:
        cells.fail("Product or Service", _("is required on a row with a product or service line"), row.number)
    if len(cells.errors) > before:
        return None
    product_id = None
    if name:
        product_id, _wrong = directory.find("product", name)  # no such product: a free-text line
    return LineInput(product_id=product_id, name=name, description=row.get("Line Description") or None,
                     quantity=quantity if quantity is not None else Decimal(1), unit_price=price,
                     discount_percent=discount if discount is not None else Decimal(0))
