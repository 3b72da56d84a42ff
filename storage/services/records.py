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


def get_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str) -> T:
    record = session.get(cls, record_id) if isinstance(record_id, str) and len(record_id) <= 64 else None
    if record is None or record.workspace_id != workspace_id:  # type: ignore[attr-defined]
        raise NotFound(f"No such {NOUNS.get(cls, 'record')}.")
    return record


def find_record(session: so.Session, cls: type[T], workspace_id: str, record_id: str | None) -> T | None:
    """Like get_record, for ids inside a request body: None instead of 404."""
    if not record_id:
        return None
    try:
        return get_record(session, cls, workspace_id, record_id)
    except NotFound:
        return None
