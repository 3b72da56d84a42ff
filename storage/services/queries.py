"""Read side: listing with filters, sorting and keyset pages; search; the pane's context."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.i18n import _
from storage.models import (
    Account, Category, Contact, HistoryItem, HistoryLink, MarketingActivity, Opportunity,
    SalesStage, User,
)
from storage.models.search import KEYS, SEARCHED, SUFFIX_CHARS, NameWord, prefix_range
from storage.paging import Page, keyset_page

_SortAccount = so.aliased(Account, name="sort_account")
_SortContact = so.aliased(Contact, name="sort_contact")
_SortStage = so.aliased(SalesStage, name="sort_stage")
_SortUser = so.aliased(User, name="sort_user")

# Sorts over another table's column join it (an outer join; NULLs sort last).
SORT_JOINS = {
    "stage": lambda stmt: stmt.outerjoin(_SortStage, _SortStage.id == Opportunity.stage_id),
    "assigned_to": lambda stmt: stmt.outerjoin(_SortUser, _SortUser.id == Opportunity.assigned_to),
    "link": lambda stmt: stmt.outerjoin(_SortAccount, _SortAccount.id == Opportunity.link_account_id)
                             .outerjoin(_SortContact, _SortContact.id == Opportunity.link_contact_id),
}


def _link_name(o: Opportunity) -> str:
    record = o.link_account if o.link_account_id else o.link_contact
    return ((record.name if o.link_account_id else record.display_name) or "").lower() if record else ""


OPPORTUNITY_SORTS: dict[str, tuple[Any, type, Any]] = {
    "stage": (_SortStage.position, int, lambda o: o.stage.position if o.stage is not None else None),
    "assigned_to": (sa.func.lower(_SortUser.display_name), str,
                    lambda o: o.assignee.display_name.lower() if o.assignee is not None else None),
    "link": (sa.func.lower(sa.func.coalesce(_SortAccount.name, _SortContact.display_name)), str, _link_name),
    "title": (sa.func.lower(Opportunity.title), str, lambda o: o.title.lower()),
    "close_date": (Opportunity.close_date, dt.date, None),
    "updated_at": (Opportunity.updated_at, dt.datetime, None),
    "created_at": (Opportunity.created_at, dt.datetime, None),
    "probability": (Opportunity.probability, int, None),
    "total": (Opportunity.total, Decimal, None),
    "expected_revenue": (Opportunity.expected_revenue, Decimal, None),
}


@dataclass
class OpportunityFilter:
    stage_id: str | None = None
    status: str | None = None
    assigned_to: str | None = None
    link_type: str | None = None
    link_id: str | None = None
    q: str | None = None
    close_before: dt.date | None = None
    close_after: dt.date | None = None
    category: str | None = None
    sort: str = "-updated_at"
    extra: dict[str, Any] = field(default_factory=dict)


def like_prefix(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def like_anywhere(text: str) -> str:
    return "%" + like_prefix(text)


def list_opportunities(session: so.Session, workspace_id: str, f: OpportunityFilter, cursor: str | None,
                       limit: int) -> Page[Opportunity]:
    descending = f.sort.startswith("-")
    key = f.sort.removeprefix("-")
    if key not in OPPORTUNITY_SORTS:
        raise RuleViolation.on("sort", _("must be one of %(expected)s, optionally with '-'",
                                         expected=", ".join(sorted(OPPORTUNITY_SORTS))))
    column, python_type, value_of = OPPORTUNITY_SORTS[key]
    stmt = sa.select(Opportunity).where(Opportunity.workspace_id == workspace_id)
    if key in SORT_JOINS:
        stmt = SORT_JOINS[key](stmt)
    if f.stage_id:
        stmt = stmt.where(Opportunity.stage_id == f.stage_id)
    if f.status:
        if f.status == "open":
            closed = sa.select(SalesStage.id).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome.is_not(None))
            stmt = stmt.where(sa.or_(Opportunity.stage_id.is_(None), Opportunity.stage_id.not_in(closed)))
        else:
            stage = sa.select(SalesStage.id).where(SalesStage.workspace_id == workspace_id, SalesStage.outcome == f.status)
            stmt = stmt.where(Opportunity.stage_id.in_(stage))
    if f.assigned_to:
        stmt = stmt.where(Opportunity.assigned_to == f.assigned_to)
    if f.link_type == "account":
        stmt = stmt.where(Opportunity.link_account_id.is_not(None))
        if f.link_id:
            stmt = stmt.where(Opportunity.link_account_id == f.link_id)
    elif f.link_type == "contact":
        stmt = stmt.where(Opportunity.link_contact_id.is_not(None))
        if f.link_id:
            stmt = stmt.where(Opportunity.link_contact_id == f.link_id)
    elif f.link_id:
        stmt = stmt.where(sa.or_(Opportunity.link_account_id == f.link_id, Opportunity.link_contact_id == f.link_id))
    if f.q:
        stmt = stmt.where(sa.func.lower(Opportunity.title).like(like_anywhere(f.q), escape="\\"))
    if f.close_before:
        stmt = stmt.where(Opportunity.close_date <= f.close_before)
    if f.close_after:
        stmt = stmt.where(Opportunity.close_date >= f.close_after)
    if f.category:
        stmt = stmt.where(Opportunity.categories.any(sa.func.lower(Category.name) == f.category.lower()))
    return keyset_page(session, stmt, sort_key=f.sort, column=column, id_column=Opportunity.id, descending=descending,
                       python_type=python_type, cursor=cursor, limit=limit, value_of=value_of)


def list_named(session: so.Session, cls, name_column, workspace_id: str, q: str | None, cursor: str | None,
               limit: int) -> Page:
    """Accounts, contacts, products, marketing activities: by name, with an optional prefix filter."""
    stmt = sa.select(cls).where(cls.workspace_id == workspace_id)
    if q:
        stmt = stmt.where(sa.func.lower(name_column).like(like_prefix(q), escape="\\"))
    name = name_column.key
    return keyset_page(session, stmt, sort_key="name", column=sa.func.lower(name_column), id_column=cls.id,
                       descending=False, python_type=str, cursor=cursor, limit=limit,
                       value_of=lambda row: getattr(row, name).lower())


# ---- history -------------------------------------------------------------------------

def history_of(session: so.Session, workspace_id: str, record_type: str, record_id: str, cursor: str | None,
               limit: int) -> Page[HistoryItem]:
    """A record's communication history, newest first. An account's includes its contacts'
    and its opportunities'; a contact's includes its opportunities'."""
    conditions = []
    if record_type == "opportunity":
        conditions.append(HistoryLink.opportunity_id == record_id)
    elif record_type == "contact":
        conditions.append(HistoryLink.contact_id == record_id)
        conditions.append(HistoryLink.opportunity_id.in_(
            sa.select(Opportunity.id).where(Opportunity.link_contact_id == record_id)))
    else:
        contacts = sa.select(Contact.id).where(Contact.account_id == record_id)
        conditions.append(HistoryLink.account_id == record_id)
        conditions.append(HistoryLink.contact_id.in_(contacts))
        conditions.append(HistoryLink.opportunity_id.in_(sa.select(Opportunity.id).where(
            sa.or_(Opportunity.link_account_id == record_id, Opportunity.link_contact_id.in_(contacts)))))
    linked = sa.select(HistoryLink.item_id).where(sa.or_(*conditions), HistoryLink.suppressed.is_(False))
    stmt = sa.select(HistoryItem).where(HistoryItem.workspace_id == workspace_id, HistoryItem.id.in_(linked))
    return keyset_page(session, stmt, sort_key="-occurred_at", column=HistoryItem.occurred_at, id_column=HistoryItem.id,
                       descending=True, python_type=dt.datetime, cursor=cursor, limit=limit)


# ---- search (the "Link to" dialog) ------------------------------------------------------

SEARCH_TYPES = ("account", "contact", "opportunity", "marketing_activity")


def search(session: so.Session, workspace_id: str, q: str, types: list[str], limit: int) -> list[dict[str, Any]]:
    """Prefix, case-insensitive matches on names (their start or any later word's), contacts' e-mail
    addresses and accounts' domains, all through the name_word table (storage/models/search.py): one
    index range per record type, however large the workspace. Every id comes from the workspace's
    own name words, so the records are read by primary key with no filter on their workspace_id
    (SQLite, which plans without statistics, would walk the workspace's rows by it)."""
    pattern = like_prefix(q.strip())
    low, high = prefix_range(q)

    long_query = len(q.strip()) > SUFFIX_CHARS

    def found(record_type: str, key_type: str | None = None):
        """The records of this type whose name matches, or whose e-mail address (domain) starts with
        the query: one range of the name words' primary key per type, the records then read by
        primary key. A query longer than the stored suffixes is checked against the values too."""
        model, attribute = SEARCHED[record_type]
        ids = sa.select(NameWord.record_id).where(
            NameWord.workspace_id == workspace_id,
            NameWord.record_type.in_([record_type] + ([key_type] if key_type else [])),
            NameWord.suffix >= low, NameWord.suffix < high)
        if long_query:
            name = sa.func.lower(getattr(model, attribute))
            ids = sa.select(model.id).where(model.id.in_(ids.where(NameWord.record_type == record_type)), (
                name.like(pattern, escape="\\") | name.like(like_anywhere(" " + q.strip()), escape="\\")))
            if key_type:
                key_model, owner, value = KEYS[key_type]
                ids = sa.union(ids, sa.select(getattr(key_model, owner)).where(
                    key_model.workspace_id == workspace_id, getattr(key_model, value).like(pattern, escape="\\")))
        return model.id.in_(ids)

    results: list[dict[str, Any]] = []
    if "account" in types:
        for a in session.scalars(
            sa.select(Account).where(found("account", "account_domain"))
            .order_by(sa.func.lower(Account.name)).limit(limit)
        ):
            results.append({"type": "account", "id": a.id, "name": a.name, "detail": ", ".join(a.email_domains)})
    if "contact" in types:
        for c in session.scalars(
            sa.select(Contact).where(found("contact", "contact_address"))
            .order_by(sa.func.lower(Contact.display_name)).limit(limit)
        ):
            results.append({"type": "contact", "id": c.id, "name": c.display_name,
                            "detail": c.email_addresses[0] if c.email_addresses else ""})
    if "opportunity" in types:
        for o in session.scalars(
            sa.select(Opportunity).where(found("opportunity"))
            .order_by(sa.func.lower(Opportunity.title)).limit(limit)
        ):
            results.append({"type": "opportunity", "id": o.id, "name": o.title,
                            "detail": o.stage.name if o.stage else ""})
    if "marketing_activity" in types:
        for m in session.scalars(
            sa.select(MarketingActivity).where(found("marketing_activity"))
            .order_by(sa.func.lower(MarketingActivity.name)).limit(limit)
        ):
            results.append({"type": "marketing_activity", "id": m.id, "name": m.name, "detail": m.kind or ""})
    return results
