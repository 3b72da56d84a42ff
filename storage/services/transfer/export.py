"""Export: the rows of a spreadsheet, and CSV text a spreadsheet opens without running a formula.

In a language that writes decimals with a comma (French), the file is what a spreadsheet in that
language reads as numbers and dates: columns separated by semicolons (Excel splits a CSV file with the
list separator of the Windows regional settings, a semicolon where the comma is the decimal mark:
https://learn.microsoft.com/power-automate/desktop-flows/how-to/convert-csv-excel ), decimals with a
comma (CLDR's decimal symbol, from Babel), dates DD/MM/YYYY; the import reads all of it back.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.i18n import SOURCE_LANGUAGE, _
from storage.models import Account, Contact, MarketingActivity, Member, Opportunity, OpportunityLine, User

from .columns import (
    FORMULA_STARTS, INITIATOR_TYPES, KINDS, LINE_COLUMNS, LINK_TYPES, LIST_SEPARATOR, TEXT_MARKER, column_names,
    type_word,
)
from .csv_reading import COMMA_DECIMAL_LANGUAGES, DAY_FIRST_LANGUAGES


class Style:
    """How a file in one language writes numbers and dates."""

    def __init__(self, language: str):
        self.language = language
        self.decimal_mark = _decimal_symbol(language) if language in COMMA_DECIMAL_LANGUAGES else "."
        self.day_first = language in DAY_FIRST_LANGUAGES

    def number(self, text: str) -> str:
        return text if self.decimal_mark == "." else text.replace(".", self.decimal_mark)

    def date(self, value: dt.date | None) -> str:
        if not value:
            return ""
        return value.strftime("%d/%m/%Y") if self.day_first else value.isoformat()

    def type_word(self, value: str) -> str:
        return type_word(value, self.language) if value else ""


@functools.cache
def _decimal_symbol(language: str) -> str:
    from babel.numbers import get_decimal_symbol  # noqa: PLC0415 - Babel only once a file is exported

    return get_decimal_symbol(language)


def delimiter(language: str) -> str:
    """The column separator of a file in `language`: ';' where the comma is the decimal mark."""
    return ";" if language in COMMA_DECIMAL_LANGUAGES else ","


def export_rows(session: so.Session, workspace_id: str, kind: str,
                language: str = SOURCE_LANGUAGE) -> tuple[list[str], list[list[str]]]:
    """The columns (named in `language`) and rows of `kind` (one of KINDS) in this workspace, as text
    cells written as a spreadsheet in `language` reads them."""
    style = Style(language)
    if kind == "accounts":
        return column_names(kind, language), [_account_row(a) for a in
                                              _all(session, Account, workspace_id, Account.name)]
    if kind == "contacts":
        names = _names(session, Account, Account.name, workspace_id)
        return column_names(kind, language), [_contact_row(c, names) for c in
                                              _all(session, Contact, workspace_id, Contact.display_name)]
    if kind == "opportunities":
        return column_names(kind, language), list(_opportunity_rows(session, workspace_id, style))
    raise RuleViolation.on("kind", _("must be one of %(kinds)s", kinds=", ".join(KINDS)))


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


def _opportunity_rows(session: so.Session, workspace_id: str, style: Style) -> Iterable[list[str]]:
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
        number = style.number
        record = [
            o.id, o.title, style.type_word(LINK_TYPES[o.link_type]), link_name,
            emails.get(o.assigned_to, "") if o.assigned_to else "", o.type or "", o.stage.name if o.stage else "",
            str(o.probability), style.date(o.close_date), o.payment_terms or "", style.date(o.expiration_date),
            style.date(o.delivery_date), o.source or "",
            style.type_word(INITIATOR_TYPES.get(o.initiated_by_type or "", "")), initiator, o.competitors or "",
            o.close_reason or "",
            o.reminder_at.astimezone(dt.timezone.utc).isoformat() if o.reminder_at else "",
            _join(o.category_names), o.comments or "", number(_money(o.total)), number(_money(o.expected_revenue)),
        ]
        lines: list[OpportunityLine] = list(o.lines)
        if not lines:
            yield record + [""] * len(LINE_COLUMNS)
        for line in lines:
            yield record + [line.name, line.description or "", number(_plain(line.quantity)),
                            number(_money(line.unit_price)), number(_plain(line.discount_percent)),
                            number(_money(line.amount))]


def _join(values: list[str]) -> str:
    return f"{LIST_SEPARATOR} ".join(values)


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


def write_csv(columns: list[str], rows: Iterable[list[str]], language: str = SOURCE_LANGUAGE) -> str:
    """CSV text (RFC 4180, CRLF) with a UTF-8 byte order mark so Excel reads it as UTF-8; columns
    separated as a spreadsheet in `language` expects (delimiter())."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter(language))
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()
