"""Communication history items created by people: notes, phone logs, tasks and file links."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import orm as so

from storage import limits
from storage.errors import NotFound
from storage.i18n import _
from storage.models import HistoryItem, HistoryLink, Opportunity, User
from storage.types import utcnow

from .records import load
from .validation import Problems, optional_text

FILE_SCHEMES = ("http", "https", "file")


def add_manual_item(session: so.Session, opportunity: Opportunity, user: User, data: dict[str, Any]) -> HistoryItem:
    """A history item made from an open opportunity is linked to it (and so shows in the
    history of its account or contact)."""
    problems = Problems()
    kind = data.get("kind")
    item = HistoryItem(workspace_id=opportunity.workspace_id, kind=kind, created_by=user.id)
    item.subject = optional_text(problems, "subject", data.get("subject"), limits.SUBJECT) or ""
    item.body = optional_text(problems, "body", data.get("body"), limits.LONG_TEXT)
    occurred = data.get("occurred_at") or utcnow()
    if occurred.tzinfo is None:
        problems.add("occurred_at", _("needs a time zone offset"))
        occurred = utcnow()
    item.occurred_at = occurred.astimezone(dt.timezone.utc)  # stored and answered in UTC
    minutes = data.get("duration_minutes")
    if minutes is not None and not 0 <= minutes <= 60 * 24 * 31:
        problems.add("duration_minutes", _("must be between %(low)s and %(high)s", low=0, high=60 * 24 * 31))
    item.duration_minutes = minutes
    item.direction = data.get("direction")
    if item.direction and kind != "phone_log":
        problems.add("direction", _("applies to phone logs only"))
    if kind == "task":
        item.due_date = data.get("due_date")
        item.done = bool(data.get("done"))
    if kind == "file":
        file = data.get("file") or {}
        item.file_name = optional_text(problems, "file.name", file.get("name"), limits.FILE_NAME)
        item.file_url = optional_text(problems, "file.url", file.get("url"), limits.URL)
        if not item.file_name:
            problems.add("file.name", _("is required for a file link"))
        if not item.file_url or urlsplit(item.file_url).scheme.lower() not in FILE_SCHEMES:
            problems.add("file.url", _("must be an http, https or file URL of an existing file"))
        if not item.subject:
            item.subject = item.file_name or ""
    elif data.get("file"):
        problems.add("file", _("applies to file links only"))
    if not item.subject and not item.body:
        problems.add("subject", _("a subject or a body is required"))
    problems.raise_if_any()
    item.summary = summarise(item.body or item.subject)
    item.links = [HistoryLink(opportunity_id=opportunity.id, origin="manual", reason="created from the opportunity")]
    session.add(item)
    session.flush()
    return item


def summarise(text: str, length: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def unlink(session: so.Session, opportunity: Opportunity, item_id: str) -> None:
    """Take an item out of an opportunity's history. A hand-made item nothing else links to is
    deleted; otherwise the link is kept hidden (suppressed), so the sync never links it again."""
    item = load(session, HistoryItem, opportunity.workspace_id, item_id)
    link = next((l for l in item.links if l.opportunity_id == opportunity.id and not l.suppressed), None) \
        if item else None
    if item is None or link is None:
        raise NotFound(_("No such history item on this opportunity."))
    others = [l for l in item.links if l is not link and not l.suppressed]
    if not others and item.kind not in ("email", "appointment"):
        session.delete(item)
    else:
        link.suppressed, link.origin, link.reason = True, "manual", "removed by a person"
        so.attributes.flag_modified(item, "workspace_id")
    session.flush()
