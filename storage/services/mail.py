"""E-mails and appointments in the history: stored once per workspace, linked to records."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import Conflict
from storage.i18n import _
from storage.models import HistoryItem, HistoryLink

# Two copies of one e-mail (the sender's sent copy, each recipient's) carry the same Date header:
# Graph's sentDateTime. Allow for a rounding of the seconds, nothing more.
SAME_SENT_TIME = dt.timedelta(seconds=60)


class NotTheSameMessage(Conflict):
    """Graph gave a message whose internetMessageId is stored already, but from another sender or
    sent at another time: anyone can put any Message-ID on a mail, so it must not replace what the
    deal's history shows. Not stored, not linked."""

MAIL_FIELDS = (
    "subject", "summary", "body", "occurred_at", "starts_at", "ends_at", "duration_minutes", "location", "graph_id",
    "web_link", "change_key", "from_address", "to_addresses", "cc_addresses", "direction", "conversation_id",
    "series_id", "cancelled", "sent_at", "attachments",
)
# None for these means "not known", never "empty": it does not replace what is stored
KEEP_WHEN_UNKNOWN = ("body", "attachments")


def find_mail_item(session: so.Session, workspace_id: str, fields: dict[str, Any]) -> HistoryItem | None:
    """The stored item for this e-mail/appointment: by internetMessageId or iCalUId, else by immutable id."""
    keys = []
    if fields.get("internet_message_id"):
        keys.append(HistoryItem.internet_message_id == fields["internet_message_id"])
    if fields.get("ical_uid"):
        keys.append(HistoryItem.ical_uid == fields["ical_uid"])
    if not keys and fields.get("graph_id"):
        keys.append(HistoryItem.graph_id == fields["graph_id"])
    if not keys:
        return None
    return session.scalars(sa.select(HistoryItem).where(HistoryItem.workspace_id == workspace_id, sa.or_(*keys))
                           .limit(1)).first()


_LOOK_IT_UP = object()


def upsert_mail_item(session: so.Session, workspace_id: str, fields: dict[str, Any],
                     existing: HistoryItem | None | object = _LOOK_IT_UP) -> tuple[HistoryItem, bool]:
    """Store (or refresh) one e-mail/appointment; returns (item, created). A caller that has
    already looked the item up (the sync does it for a whole page at once) passes `existing`."""
    item = find_mail_item(session, workspace_id, fields) if existing is _LOOK_IT_UP else existing
    if item is not None and not same_message(item.kind, item.from_address, item.sent_at, fields):
        raise NotTheSameMessage(_("A different message with the same Message-ID is already in the history."))
    created = item is None
    if created:
        item = HistoryItem(workspace_id=workspace_id, kind=fields["kind"],
                           internet_message_id=fields.get("internet_message_id"), ical_uid=fields.get("ical_uid"))
        session.add(item)
    for name in MAIL_FIELDS:
        if name in fields and (fields[name] is not None or name not in KEEP_WHEN_UNKNOWN):
            setattr(item, name, fields[name])
    item.removed_in_mailbox = False
    return item, created


def same_message(kind: str, from_address: str | None, sent_at: dt.datetime | None, fields: dict[str, Any]) -> bool:
    """Whether `fields` (a message just read from Graph) may refresh the stored e-mail it matched by
    internetMessageId: the same sender and the same sent time, where both sides know them. The same
    mail seen from two mailboxes merges; a copy with another sender or date never overwrites it."""
    if kind != "email" or fields.get("kind", "email") != "email":
        return True
    new_from, new_sent = fields.get("from_address"), fields.get("sent_at")
    if from_address and new_from and from_address != new_from:
        return False
    if sent_at is not None and new_sent is not None:
        stored = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=dt.timezone.utc)
        if abs(stored - new_sent) > SAME_SENT_TIME:
            return False
    return True


def link_item(item: HistoryItem, *, opportunity_id: str | None = None, account_id: str | None = None,
              contact_id: str | None = None, origin: str, reason: str) -> tuple[HistoryLink, bool]:
    """Put the item in a record's history (once); returns (link, created). A manual link made
    earlier is never downgraded to automatic."""
    for link in item.links:
        if (link.opportunity_id, link.account_id, link.contact_id) == (opportunity_id, account_id, contact_id):
            if link.suppressed and origin == "manual":  # a person links it again: their word wins
                link.suppressed, link.origin, link.reason = False, "manual", reason
                return link, True
            return link, False  # an automatic rule never revives what a person removed
    link = HistoryLink(opportunity_id=opportunity_id, account_id=account_id, contact_id=contact_id, origin=origin,
                       reason=reason)
    item.links.append(link)
    return link, True
