"""Loading workspace records by id: anything outside the caller's workspace is 404."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import orm as so

from storage.errors import NotFound
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


def get_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str, noun: str | None = None) -> T:
    record = load(session, cls, workspace_id, record_id)
    if record is None:
        raise NotFound(f"No such {noun or NOUNS.get(cls, 'record')}.")
    return record


def find_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str | None) -> T | None:
    """Like get_record, for ids inside a request body: None instead of 404."""
    return load(session, cls, workspace_id, record_id)
