"""Accounts, business contacts, marketing activities, products and categories."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage import limits
from storage.errors import Conflict
from storage.i18n import _, ngettext
from storage.models import (
    Account, AccountDomain, Category, Contact, ContactEmail, MarketingActivity, Opportunity, Product, SalesStage,
)
from storage.types import MAX_MONEY

from .records import find_record
from .validation import Problems, optional_text, require_text

# E-mail addresses, length first. RFC 5321 section 4.5.3.1 caps the local part at 64 octets and the
# domain at 255 (https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1): 64 + "@" + 255 = 320.
MAX_EMAIL_LENGTH, MAX_LOCAL_PART, MAX_DOMAIN = limits.EMAIL_ADDRESS, limits.EMAIL_LOCAL_PART, limits.EMAIL_DOMAIN
# Linear and bounded: the lookahead reads at most 64 + 1 + 256 characters, so a 100 KB input is
# refused after a few hundred steps (the old r"^[^@\s]+@[^@\s]+\.[^@\s]+$" tried every dot of the
# domain against the whole rest: seconds for 20 KB). Domain labels exclude the dot, so each character
# has one way to match (no nested quantifier can backtrack). Callers that use EMAIL_RE.match directly
# (graph_sync.outbound) get the length limit with it; is_email checks the length before anything.
EMAIL_RE = re.compile(rf"^(?=[^@\s]{{1,{MAX_LOCAL_PART}}}@[^@\s]{{1,{MAX_DOMAIN}}}\Z)[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+\Z")
# Domains shared by many unrelated people: they never identify a company.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "proton.me",
    "protonmail.com", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "qq.com", "163.com",
})
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def is_email(address: str) -> bool:
    """An e-mail address (already trimmed): at most 320 characters, checked before the pattern."""
    return 0 < len(address) <= MAX_EMAIL_LENGTH and EMAIL_RE.match(address) is not None


# ---- categories ----------------------------------------------------------------------

def category_names(problems: Problems, names: list[str], field: str = "categories") -> dict[str, str]:
    """Category names as given: at most 100 characters, not empty, each once (case-insensitive):
    casefolded name -> the name as first written."""
    wanted: dict[str, str] = {}
    for i, raw in enumerate(names):
        name = optional_text(problems, f"{field}[{i}]", raw, limits.LIST_VALUE)
        if name is None:
            problems.add(f"{field}[{i}]", _("must not be empty"))
        else:
            wanted.setdefault(name.casefold(), name)
    return wanted


def resolve_categories(session: so.Session, workspace_id: str, names: list[str], problems: Problems,
                       field: str = "categories") -> list[Category]:
    """The workspace's categories with these names, creating new ones as Outlook does."""
    wanted = category_names(problems, names, field)
    if not wanted:
        return []
    existing = {
        c.name.casefold(): c
        for c in session.scalars(sa.select(Category).where(Category.workspace_id == workspace_id))
        if c.name.casefold() in wanted
    }
    result = []
    for key, name in wanted.items():
        category = existing.get(key)
        if category is None:
            category = Category(workspace_id=workspace_id, name=name)
            session.add(category)
        result.append(category)
    return result


# ---- accounts ------------------------------------------------------------------------

ACCOUNT_TEXT = {"phone": limits.PHONE, "web_site": limits.WEB_SITE, "address": limits.POSTAL_ADDRESS}


def save_account(session: so.Session, workspace_id: str, account: Account | None, data: dict[str, Any]) -> Account:
    """Create (account None) or change an account from the fields present in `data`."""
    problems = Problems()
    creating = account is None
    if creating:
        account = Account(workspace_id=workspace_id)
    if creating or "name" in data:
        account.name = require_text(problems, "name", data.get("name"))
    for field, max_len in ACCOUNT_TEXT.items():
        if field in data:
            setattr(account, field, optional_text(problems, field, data[field], max_len))
    if "email_domains" in data:
        domains = _clean_domains(problems, data["email_domains"] or [])
        _check_domains_free(session, workspace_id, account, domains, problems)
        keep = {d.domain: d for d in account.domains}
        account.domains = [
            keep.get(d) or AccountDomain(workspace_id=workspace_id, domain=d) for d in domains
        ]
        for position, row in enumerate(account.domains):
            row.position = position
    if "categories" in data:
        account.categories = resolve_categories(session, workspace_id, data["categories"] or [], problems)
    problems.raise_if_any()
    if creating:
        session.add(account)
    _touch(account)
    session.flush()
    return account


def _clean_domains(problems: Problems, raw: list[str]) -> list[str]:
    result: list[str] = []
    for i, value in enumerate(raw):
        domain = (value or "").strip().lower().lstrip("@")
        if len(domain) > limits.DOMAIN_NAME or not DOMAIN_RE.match(domain):
            problems.add(f"email_domains[{i}]", _("is not a domain name such as contoso.com"))
        elif domain in FREE_MAIL_DOMAINS:
            problems.add(f"email_domains[{i}]",
                         _("%(domain)s is a free-mail domain and cannot identify an account", domain=domain))
        elif domain not in result:
            result.append(domain)
    return result


def _check_domains_free(session, workspace_id, account, domains, problems) -> None:
    """A domain names one account, or the pane could not tell which company wrote."""
    if not domains:
        return
    taken = session.execute(
        sa.select(AccountDomain.domain, Account.name).join(Account, Account.id == AccountDomain.account_id).where(
            AccountDomain.workspace_id == workspace_id, AccountDomain.domain.in_(domains),
            AccountDomain.account_id != (account.id or ""),
        )
    ).all()
    for domain, name in taken:
        problems.add(f"email_domains[{domains.index(domain)}]",
                     _("%(domain)s already belongs to the account %(account)s", domain=domain, account=name))


def delete_account(session: so.Session, account: Account) -> None:
    _refuse_if_linked(session, Opportunity.link_account_id == account.id, "account")
    session.delete(account)
    session.flush()


# ---- contacts ------------------------------------------------------------------------

CONTACT_TEXT = {"job_title": limits.NAME, "phone": limits.PHONE}


def save_contact(session: so.Session, workspace_id: str, contact: Contact | None, data: dict[str, Any]) -> Contact:
    problems = Problems()
    creating = contact is None
    if creating:
        contact = Contact(workspace_id=workspace_id)
    if creating or "display_name" in data:
        contact.display_name = require_text(problems, "display_name", data.get("display_name"))
    for field, max_len in CONTACT_TEXT.items():
        if field in data:
            setattr(contact, field, optional_text(problems, field, data[field], max_len))
    if "account_id" in data:
        account_id = data["account_id"]
        if account_id and find_record(session, Account, workspace_id, account_id) is None:
            # not assigned: a later query would flush the unknown key and fail as a conflict (409)
            problems.add("account_id", _("is not an account of this workspace"))
        else:
            contact.account_id = account_id or None
    if "email_addresses" in data:
        addresses: list[str] = []
        for i, value in enumerate(data["email_addresses"] or []):
            address = (value or "").strip().lower()
            if not is_email(address):
                problems.add(f"email_addresses[{i}]", _("is not an e-mail address"))
            elif address not in addresses:
                addresses.append(address)
        keep = {a.address: a for a in contact.addresses}
        contact.addresses = [keep.get(a) or ContactEmail(workspace_id=workspace_id, address=a) for a in addresses]
        for position, row in enumerate(contact.addresses):
            row.position = position
    if "categories" in data:
        contact.categories = resolve_categories(session, workspace_id, data["categories"] or [], problems)
    problems.raise_if_any()
    if creating:
        session.add(contact)
    _touch(contact)
    session.flush()
    return contact


def delete_contact(session: so.Session, contact: Contact) -> None:
    _refuse_if_linked(session, Opportunity.link_contact_id == contact.id, "contact")
    session.delete(contact)
    session.flush()


# ---- marketing activities and products ------------------------------------------------

def save_marketing_activity(session: so.Session, workspace_id: str, activity: MarketingActivity | None,
                            data: dict[str, Any]) -> MarketingActivity:
    problems = Problems()
    creating = activity is None
    if creating:
        activity = MarketingActivity(workspace_id=workspace_id)
    if creating or "name" in data:
        activity.name = require_text(problems, "name", data.get("name"))
    if "kind" in data:
        activity.kind = optional_text(problems, "kind", data["kind"], limits.LIST_VALUE)
    for field in ("start_date", "end_date"):
        if field in data:
            setattr(activity, field, data[field])
    if activity.start_date and activity.end_date and activity.end_date < activity.start_date:
        problems.add("end_date", _("must not be before start_date"))
    problems.raise_if_any()
    if creating:
        session.add(activity)
    _touch(activity)
    session.flush()
    return activity


def marketing_results(session: so.Session, activity: MarketingActivity) -> dict[str, Any]:
    """What the campaign produced: opportunities and their pipeline total, and the won ones."""
    won = sa.select(SalesStage.id).where(SalesStage.workspace_id == activity.workspace_id, SalesStage.outcome == "won")
    cents = sa.type_coerce(Opportunity.total, sa.BigInteger)
    count, total, won_count, won_total = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(cents), 0),
            sa.func.count().filter(Opportunity.stage_id.in_(won)),
            sa.func.coalesce(sa.func.sum(cents).filter(Opportunity.stage_id.in_(won)), 0),
        ).where(
            Opportunity.workspace_id == activity.workspace_id,
            Opportunity.initiated_by_type == "marketing_activity",
            Opportunity.initiated_by_id == activity.id,
        )
    ).one()
    return {"opportunity_count": count, "pipeline_total": cents_to_money(total), "won_count": won_count,
            "won_total": cents_to_money(won_total)}


def cents_to_money(cents) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))


def delete_marketing_activity(session: so.Session, activity: MarketingActivity) -> None:
    session.execute(
        sa.update(Opportunity)
        .where(Opportunity.initiated_by_type == "marketing_activity", Opportunity.initiated_by_id == activity.id)
        .values(initiated_by_type=None, initiated_by_id=None, version=Opportunity.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.delete(activity)
    session.flush()


def save_product(session: so.Session, workspace_id: str, product: Product | None, data: dict[str, Any]) -> Product:
    problems = Problems()
    creating = product is None
    if creating:
        product = Product(workspace_id=workspace_id)
    if creating or "name" in data:
        product.name = require_text(problems, "name", data.get("name"))
    if "description" in data:
        product.description = optional_text(problems, "description", data["description"], limits.DESCRIPTION)
    if "unit_price" in data or creating:
        price = data.get("unit_price")
        if price is None:
            price = Decimal("0.00")
        check_money(problems, "unit_price", price)
        product.unit_price = price
    problems.raise_if_any()
    if creating:
        session.add(product)
    _touch(product)
    session.flush()
    return product


def delete_product(session: so.Session, product: Product) -> None:
    session.delete(product)  # lines keep their name and price; product_id becomes NULL
    session.flush()


# ---- helpers -------------------------------------------------------------------------



def check_money(problems: Problems, field: str, value: Decimal, *, allow_negative: bool = False) -> None:
    if not value.is_finite():
        problems.add(field, _("must be a number"))
    elif value.as_tuple().exponent < -2:  # type: ignore[operator]
        problems.add(field, _("must have at most %(places)s decimal places", places=2))
    elif value < 0 and not allow_negative:
        problems.add(field, _("must not be negative"))
    elif abs(value) > MAX_MONEY:
        problems.add(field, _("must be at most %(limit)s", limit=MAX_MONEY))


def _refuse_if_linked(session: so.Session, condition, noun: str) -> None:
    count = session.scalar(sa.select(sa.func.count()).select_from(Opportunity).where(condition))
    if not count:
        return
    if noun == "account":
        raise Conflict(ngettext(
            "This account is the link of %(count)s opportunity; link it elsewhere or delete it first.",
            "This account is the link of %(count)s opportunities; link them elsewhere or delete them first.",
            count, count=count))
    raise Conflict(ngettext(
        "This contact is the link of %(count)s opportunity; link it elsewhere or delete it first.",
        "This contact is the link of %(count)s opportunities; link them elsewhere or delete them first.",
        count, count=count))


def _touch(record) -> None:
    """Mark the row changed so its version and updated_at move even when only children changed."""
    if record.id is not None and sa.inspect(record).persistent:
        so.attributes.flag_modified(record, "workspace_id")
