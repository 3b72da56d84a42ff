"""The pane's context call, on the hot path: one SQL statement, rows not objects.

Every e-mail a salesperson opens asks this, so it is answered from SQL alone (no Graph) in a
single round trip: a UNION ALL whose branches each use one selective index
(tests/integration/test_query_plans.py EXPLAINs it on SQLite and PostgreSQL):

- the caller: their user row, their membership of the workspace, its currency;
- the history items this mail item already is (by internetMessageId, Graph id or the pane's id);
- the opportunities those items are linked to (manual unlinks excluded);
- the contacts matched by address (at most 50), with all their addresses;
- the accounts matched by domain or through a matched contact (at most 50), with their domains;
- the open opportunities of those contacts, and of those accounts (at most 50 each, soonest close first).

Why one statement: each statement costs the web process more than its SQL (parameter expansion,
result set-up, a GIL hand-off per step under threads), and the pane waits for all of them. One
statement is ~4× cheaper than the five it replaces (bench/context_latency.py).

Every branch yields the same 15 columns (see COLUMNS); `kind` says which branch a row is from.
The statement is built and compiled once per process and database kind, on first use (never at
import time), and run on the connection's DBAPI cursor (_rows).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import NotFound
from storage.i18n import _
from storage.types import ScaledDecimal
from storage.models import (
    Account, AccountDomain, Contact, ContactEmail, HistoryItem, HistoryLink, Member, Opportunity, SalesStage, User,
    Workspace,
)

from .records import is_valid_id

LIMIT = 50
MAX_PEOPLE = 4096  # distinct addresses looked at per call (SQLite allows 32,766 parameters per statement)

# kinds of row
OPEN_BY_CONTACT, OPEN_BY_ACCOUNT, LINKED, CALLER, ITEM, CONTACT, ACCOUNT = range(7)
COLUMNS = ("kind", "id", "name", "a", "b", "c", "stage_id", "stage_name", "outcome", "probability", "total",
           "expected_revenue", "close_date", "assigned_to", "position")


@dataclass
class Caller:
    user_id: str
    email: str
    role: str
    currency: str


@dataclass
class OpportunityRow:
    id: str
    title: str
    link_type: str
    link_id: str
    link_name: str
    stage_id: str | None
    stage_name: str | None
    status: str
    probability: int
    total: Decimal
    expected_revenue: Decimal
    close_date: dt.date | None
    assigned_to: str | None


@dataclass
class ContactRow:
    id: str
    display_name: str
    account_id: str | None
    job_title: str | None
    email_addresses: list[str] = field(default_factory=list)


@dataclass
class AccountRow:
    id: str
    name: str
    email_domains: list[str] = field(default_factory=list)


@dataclass
class PaneContext:
    caller: Caller | None  # None: the user is not known yet
    linked_items: list[str]
    linked_opportunities: list[OpportunityRow]
    matched_contacts: list[ContactRow]
    matched_accounts: list[AccountRow]
    open_opportunities: list[OpportunityRow]


def _int(value: int):
    """An integer written into the SQL text (row kinds, LIMITs), not a parameter."""
    return sa.literal_column(str(value), sa.Integer)


_INT_COLUMNS = ("probability", "total", "expected_revenue", "position")  # money: integer cents (ScaledDecimal)


def _null(name: str):
    """A typed NULL: PostgreSQL must be able to match every branch's column types."""
    if name in _INT_COLUMNS:
        return sa.cast(sa.null(), sa.BigInteger)
    return sa.cast(sa.null(), sa.Date if name == "close_date" else sa.String)


def _row(kind: int, **columns):
    """A branch's select list in the common shape: absent columns are typed NULLs."""
    return [_int(kind).label("kind")] + [columns.get(name, _null(name)).label(name) for name in COLUMNS[1:]]


def _bucket(count: int) -> int:
    """The IN lists' length for `count` values: 4, 16, 64, ... (padded with NULL, which matches nothing)."""
    size = 4
    while size < count:
        size *= 4
    return size


def _list(name: str, size: int) -> list:
    return [sa.bindparam(f"{name}{i}") for i in range(size)]


@functools.cache
def _statement(by_object_id: bool, size: int) -> sa.CompoundSelect:
    """The statement for IN lists of `size` values. Fixed-length lists of plain parameters, not
    SQLAlchemy's expanding IN: its SQL is rendered once, not per call (a quarter of the call's cost)."""
    ws = sa.bindparam("ws")
    people = _list("p", size)
    domains = _list("d", size)

    # the matched ids are named once (WITH) and read by several branches
    contact_ids = sa.select(sa.select(ContactEmail.contact_id).where(
        ContactEmail.workspace_id == ws, ContactEmail.address.in_(people)).cte("matched_contact_ids"))
    account_ids = sa.select(sa.union(
        sa.select(AccountDomain.account_id).where(AccountDomain.workspace_id == ws, AccountDomain.domain.in_(domains)),
        sa.select(Contact.account_id).where(Contact.id.in_(contact_ids), Contact.account_id.is_not(None)),
    ).cte("matched_account_ids"))
    # one branch per key, each on its own index (an OR inside a subquery walks the workspace's items)
    item_ids = sa.select(sa.union(*(
        sa.select(HistoryItem.id).where(HistoryItem.workspace_id == ws, column == sa.bindparam(name))
        for column, name in ((HistoryItem.internet_message_id, "internet_message_id"), (HistoryItem.graph_id, "item_id"),
                             (HistoryItem.client_item_id, "item_id")))).cte("matched_item_ids"))
    linked_ids = sa.select(HistoryLink.opportunity_id).where(
        HistoryLink.item_id.in_(item_ids), HistoryLink.opportunity_id.is_not(None), HistoryLink.suppressed.is_(False))

    link_account = so.aliased(Account, name="link_account")
    link_contact = so.aliased(Contact, name="link_contact")

    def opportunities(kind: int, condition, *, open_only: bool):
        stmt = (
            sa.select(*_row(
                kind, id=Opportunity.id, name=Opportunity.title, a=Opportunity.link_account_id,
                b=Opportunity.link_contact_id, c=sa.func.coalesce(link_account.name, link_contact.display_name),
                stage_id=Opportunity.stage_id, stage_name=SalesStage.name, outcome=SalesStage.outcome,
                probability=Opportunity.probability, total=Opportunity.total,
                expected_revenue=Opportunity.expected_revenue, close_date=Opportunity.close_date,
                assigned_to=Opportunity.assigned_to))
            .select_from(Opportunity)
            .outerjoin(SalesStage, SalesStage.id == Opportunity.stage_id)
            .outerjoin(link_account, link_account.id == Opportunity.link_account_id)
            .outerjoin(link_contact, link_contact.id == Opportunity.link_contact_id)
            .where(condition)
        )
        if not open_only:
            return stmt
        stmt = stmt.where(SalesStage.outcome.is_(None)).order_by(
            Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id).limit(_int(LIMIT))
        return sa.select(stmt.subquery())  # a compound's member cannot have its own LIMIT in SQLite

    who = (User.tenant_id == sa.bindparam("tenant_id")) & (User.object_id == sa.bindparam("object_id")) \
        if by_object_id else (User.email == sa.bindparam("email")) & User.tenant_id.is_(None)  # dev mode's key
    caller = (
        sa.select(*_row(CALLER, id=User.id, a=User.email, b=Member.role, c=Workspace.currency))
        .select_from(User)
        .outerjoin(Member, (Member.user_id == User.id) & (Member.workspace_id == ws))
        .outerjoin(Workspace, Workspace.id == Member.workspace_id)
        .where(who)
    )
    items = sa.select(*_row(ITEM, id=HistoryItem.id)).where(HistoryItem.id.in_(item_ids))

    matched_contacts = (sa.select(Contact.id, Contact.display_name, Contact.account_id, Contact.job_title)
                        .where(Contact.id.in_(contact_ids)).order_by(Contact.display_name, Contact.id)
                        .limit(_int(LIMIT)).subquery())
    contacts = (
        sa.select(*_row(CONTACT, id=matched_contacts.c.id, name=matched_contacts.c.display_name,
                        a=matched_contacts.c.account_id, b=matched_contacts.c.job_title, c=ContactEmail.address,
                        position=ContactEmail.position))
        .select_from(matched_contacts)
        .outerjoin(ContactEmail, ContactEmail.contact_id == matched_contacts.c.id)
    )
    matched_accounts = (sa.select(Account.id, Account.name).where(Account.id.in_(account_ids))
                        .order_by(Account.name, Account.id).limit(_int(LIMIT)).subquery())
    accounts = (
        sa.select(*_row(ACCOUNT, id=matched_accounts.c.id, name=matched_accounts.c.name, c=AccountDomain.domain,
                        position=AccountDomain.position))
        .select_from(matched_accounts)
        .outerjoin(AccountDomain, AccountDomain.account_id == matched_accounts.c.id)
    )
    # The first member fixes the result's column types (money, dates): an opportunity branch.
    return sa.union_all(
        opportunities(OPEN_BY_CONTACT, Opportunity.link_contact_id.in_(contact_ids), open_only=True),
        opportunities(OPEN_BY_ACCOUNT, Opportunity.link_account_id.in_(account_ids), open_only=True),
        opportunities(LINKED, Opportunity.id.in_(linked_ids), open_only=False),
        caller, items, contacts, accounts,
    )


@functools.cache
def _compiled(dialect: sa.Dialect, by_object_id: bool, size: int) -> tuple[str, tuple[str, ...] | None, dict]:
    """The statement's SQL for this database, rendered once: its text, for drivers with positional
    parameters the parameter names in order, and the values SQLAlchemy binds itself (constants)."""
    compiled = _statement(by_object_id, size).compile(dialect=dialect)
    constants = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    if dialect.name == "postgresql":
        return (*_dollar_placeholders(compiled.string), constants)
    return compiled.string, tuple(compiled.positiontup) if compiled.positional else None, constants


def _dollar_placeholders(sql: str) -> tuple[str, tuple[str, ...]]:
    """psycopg's %(name)s placeholders turned into PostgreSQL's own $1, $2, ... once, and the names
    in their order. psycopg converts a statement this long (over 4 KB) again on every execution
    (~90 µs of the web process's CPU per call); a raw cursor (`cursor`) sends $n SQL as it is."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((\w+)\)s", number, sql)
    if "%" in text.replace("%%", ""):
        raise ValueError("a placeholder style the conversion does not know")
    return text.replace("%%", "%"), tuple(names)


def cursor(dbapi_connection):
    """A cursor that runs `sql_for`'s SQL as it is: psycopg's raw cursor ($n placeholders), else the
    driver's own (SQLite's ? placeholders)."""
    psycopg = sys.modules.get("psycopg")  # loaded by SQLAlchemy when the connection is psycopg's
    if psycopg is not None and isinstance(dbapi_connection, psycopg.Connection):
        return psycopg.RawCursor(dbapi_connection)
    return dbapi_connection.cursor()


def sql_for(dialect: sa.Dialect, by_object_id: bool, size: int, parameters: dict) -> tuple[str, tuple | dict]:
    """The SQL text and the driver's parameters for one call (tests EXPLAIN exactly this)."""
    sql, names, constants = _compiled(dialect, by_object_id, size)
    values = {**constants, **parameters}
    return sql, tuple(values[n] for n in names) if names is not None else values


def _rows(conn: sa.Connection, by_object_id: bool, size: int, parameters: dict) -> list:
    """Run the statement on the DBAPI cursor of `conn`, converting money (integer cents) and dates
    as the column types would. SQLAlchemy's per-call execution machinery cost as much as SQLite's
    own work for this statement (188 -> 116 µs per call without it); the SQL, its compilation and
    the connection are still SQLAlchemy's."""
    sql, bound = sql_for(conn.dialect, by_object_id, size, parameters)
    dbapi_error = conn.dialect.loaded_dbapi.Error
    dbapi_cursor = cursor(conn.connection.driver_connection)
    try:
        dbapi_cursor.execute(sql, bound)
        rows = dbapi_cursor.fetchall()
    except dbapi_error as error:  # as SQLAlchemy would: its exception types, a dead connection invalidated
        gone = conn.dialect.is_disconnect(error, conn.connection.dbapi_connection, dbapi_cursor)
        if gone:
            conn.invalidate(error)
        raise sa.exc.DBAPIError.instance(sql, bound, error, dbapi_error, connection_invalidated=gone,
                                         dialect=conn.dialect) from error
    finally:
        dbapi_cursor.close()
    converted = []
    for row in rows:
        if row[0] <= LINKED:  # an opportunity: money and date columns
            row = list(row)
            row[10] = _money(row[10])
            row[11] = _money(row[11])
            if isinstance(row[12], str):
                row[12] = dt.date.fromisoformat(row[12])
        converted.append(row)
    return converted


_MONEY = ScaledDecimal(2)  # the money columns' type, for its conversion of stored cents


def _money(cents: int | None) -> Decimal | None:
    return _MONEY.process_result_value(cents, None)


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def _opportunity(id_, title, account_id, contact_id, link_name, stage_id, stage_name, outcome, probability, total,
                 expected_revenue, close_date, assigned_to) -> OpportunityRow:
    return OpportunityRow(id_, title, "account" if account_id else "contact", account_id or contact_id,
                          link_name or "", stage_id, stage_name, outcome or "open", probability, total,
                          expected_revenue, close_date, assigned_to)


def parameters_for(workspace_id: str, *, internet_message_id: str | None, item_id: str | None,
                   addresses: list[str], caller_email: str | None, tenant_id: str | None = None,
                   object_id: str | None = None) -> tuple[int, dict]:
    """The IN lists' size and the statement's parameters for one call; the caller's own address
    is never one of the people looked up."""
    own = (caller_email or "").strip().lower()
    people = sorted({a.strip().lower() for a in addresses if a and "@" in a} - {own})[:MAX_PEOPLE]
    domains = sorted({domain_of(a) for a in people})
    size = _bucket(len(people))
    parameters = {"ws": workspace_id, "internet_message_id": internet_message_id, "item_id": item_id,
                  "email": own, "tenant_id": tenant_id, "object_id": object_id}
    parameters.update((f"p{i}", people[i] if i < len(people) else None) for i in range(size))
    parameters.update((f"d{i}", domains[i] if i < len(domains) else None) for i in range(size))
    return size, parameters


def pane_context(conn: sa.Connection, workspace_id: str, *, internet_message_id: str | None, item_id: str | None,
                 addresses: list[str], caller_email: str | None = None, tenant_id: str | None = None,
                 object_id: str | None = None) -> PaneContext:
    """What the pane shows for an open e-mail or appointment: the opportunities the item is
    linked to, the contacts and accounts its people match, and their open opportunities.

    The caller is named by e-mail (dev mode) or by tenant and object id (Entra); their own
    address is never matched. NotFound when they are not a member of the workspace (outsiders
    never learn that it exists); `caller` None when the user has no row yet."""
    if not is_valid_id(workspace_id):
        raise NotFound(_("No such workspace."))
    size, parameters = parameters_for(workspace_id, internet_message_id=internet_message_id, item_id=item_id,
                                      addresses=addresses, caller_email=caller_email, tenant_id=tenant_id,
                                      object_id=object_id)
    caller: Caller | None = None
    items: list[str] = []
    linked: list[OpportunityRow] = []
    open_opps: dict[str, OpportunityRow] = {}
    contacts: dict[str, ContactRow] = {}
    accounts: dict[str, AccountRow] = {}
    addresses_of: list[tuple] = []
    domains_of: list[tuple] = []
    # rows unpacked by position (COLUMNS): attribute access per field would cost more than the SQL
    for kind, id_, name, a, b, c, *opportunity, position in _rows(conn, object_id is not None, size, parameters):
        if kind <= OPEN_BY_ACCOUNT:
            if id_ not in open_opps:  # a contact's opportunity can also be its account's
                open_opps[id_] = _opportunity(id_, name, a, b, c, *opportunity)
        elif kind == LINKED:
            linked.append(_opportunity(id_, name, a, b, c, *opportunity))
        elif kind == CALLER:
            if b is None:
                raise NotFound(_("No such workspace."))
            caller = Caller(id_, a, b, c)
        elif kind == ITEM:
            items.append(id_)
        elif kind == CONTACT:
            if id_ not in contacts:
                contacts[id_] = ContactRow(id_, name, a, b)
            if c is not None:
                addresses_of.append((id_, position, c))
        else:
            if id_ not in accounts:
                accounts[id_] = AccountRow(id_, name)
            if c is not None:
                domains_of.append((id_, position, c))
    if caller is None:
        return PaneContext(None, [], [], [], [], [])
    for contact_id, _position, address in sorted(addresses_of):
        contacts[contact_id].email_addresses.append(address)
    for account_id, _position, domain in sorted(domains_of):
        accounts[account_id].email_domains.append(domain)
    return PaneContext(
        caller, sorted(items), sorted(linked, key=lambda o: o.title.lower()),
        sorted(contacts.values(), key=lambda c: (c.display_name, c.id)),
        sorted(accounts.values(), key=lambda a: (a.name, a.id)),
        sorted(open_opps.values(), key=lambda o: (o.close_date is None, o.close_date or dt.date.max, o.id))[:LIMIT],
    )
