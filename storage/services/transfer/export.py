"""Export: the rows of a spreadsheet, and CSV text a spreadsheet opens without running a formula."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.models import Account, Contact, MarketingActivity, Member, Opportunity, OpportunityLine, User

from .columns import (
    ACCOUNT_COLUMNS, CONTACT_COLUMNS, FORMULA_STARTS, KINDS, LINE_COLUMNS, LINK_TYPES, INITIATOR_TYPES,
    LIST_SEPARATOR, OPPORTUNITY_COLUMNS, TEXT_MARKER,
)


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
