"""Loading workspace records by id: anything outside the caller's workspace is 404."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import orm as so

from storage.errors import NotFound
from storage.i18n import Text, _
from storage.models import Account, Contact, MarketingActivity, Opportunity, Product

T = TypeVar("T")

RECORD_CLASSES = {
    "account": Account,
    "contact": Contact,
    "marketing_activity": MarketingActivity,
    "product": Product,
    "opportunity": Opportunity,
}
NOUNS = {Account: "account", Contact: "contact", MarketingActivity: "marketing activity", Product: "product",
         Opportunity: "opportunity"}


def is_valid_id(value) -> bool:
    """Ids are short opaque strings; anything else can match no row (and a NUL would upset PostgreSQL)."""
    return isinstance(value, str) and 0 < len(value) <= 64 and "\x00" not in value


def load(session: so.Session, cls: type[T], workspace_id: str, record_id) -> T | None:
    """The record of this workspace with this id, or None."""
    record = session.get(cls, record_id) if is_valid_id(record_id) else None
    if record is None or record.workspace_id != workspace_id:  # type: ignore[attr-defined]
        return None
    return record


def no_such(noun: str | None) -> Text:
    """The 404 detail for a kind of record ("No such account."): one whole sentence per kind, as
    languages do not build it alike ("Aucun compte", "Aucune opportunité")."""
    sentences = {
        "account": _("No such account."), "contact": _("No such contact."),
        "marketing activity": _("No such marketing activity."), "product": _("No such product."),
        "opportunity": _("No such opportunity."), "sales stage": _("No such sales stage."),
        "project": _("No such project."), "project template": _("No such project template."),
    }
    return sentences.get(noun or "") or _("No such record.")


def not_of_workspace(kind: str | None) -> Text:
    """A field's message when the id it gives is no record of this kind in the workspace."""
    sentences = {
        "account": _("is not an account of this workspace"), "contact": _("is not a contact of this workspace"),
        "marketing_activity": _("is not a marketing activity of this workspace"),
        "product": _("is not a product of this workspace"),
    }
    return sentences.get(kind or "") or _("is not a record of this workspace")


def get_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str, noun: str | None = None) -> T:
    record = load(session, cls, workspace_id, record_id)
    if record is None:
        raise NotFound(no_such(noun or NOUNS.get(cls)))
    return record


def find_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str | None) -> T | None:
    """Like get_record, for ids inside a request body: None instead of 404."""
    return load(session, cls, workspace_id, record_id)
