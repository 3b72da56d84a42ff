"""The linker's writer: applies `graph_sync.rules` to a page of synced e-mails and meetings.

Per page it loads what the rules need in a few queries (known items, contacts by address, accounts
by domain, opportunities by conversation and by id, each series' next stored occurrence), asks the
rules which histories each item belongs in, and writes: new items and their links in bulk, known
items refreshed with only the properties Graph sent (a partial delta item changes nothing it did not
carry), links added once. A person's manual link or unlink always wins: `link_item` never revives a
suppressed link.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import (
    AccountDomain, ContactEmail, HistoryItem, HistoryLink, Mailbox, Opportunity,
)
from storage.db import insert_rows
from storage.services.crm import FREE_MAIL_DOMAINS
from storage.models import new_id
from storage.services.mail import NotTheSameMessage, link_item, same_message, upsert_mail_item
from storage.types import utcnow

from . import rules
from .records import event_fields, event_keys, known_fields, message_fields, message_keys
from .rules import Directory, Target
from .stamp import opportunity_stamp

log = logging.getLogger(__name__)

NEW_ITEM_FIELDS = (
    "body", "duration_minutes", "direction", "graph_id", "internet_message_id", "ical_uid", "conversation_id",
    "web_link", "change_key", "from_address", "starts_at", "ends_at", "location", "series_id", "sent_at",
)


def _link_row(link: dict[str, Any]) -> dict[str, Any]:
    return {"opportunity_id": None, "account_id": None, "contact_id": None, **link}


@dataclass
class PageResult:
    seen: int = 0
    stored: int = 0
    updated: int = 0
    links: int = 0
    skipped: int = 0
    removed: int = 0
    set_aside: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class PageLinker:
    def __init__(self, session: so.Session, mailbox: Mailbox, now: Callable[[], dt.datetime] = utcnow):
        self.session, self.mailbox = session, mailbox
        self.workspace_id = mailbox.workspace_id
        self.own = mailbox.address.lower()
        self._now = now

    def apply(self, kind: str, raw_items: list[dict[str, Any]], removed_ids: list[str]) -> PageResult:
        result = PageResult(seen=len(raw_items) + len(removed_ids))
        messages = kind == "message"
        mapper = message_fields if messages else event_fields
        items = [message_keys(raw) if messages else event_keys(raw) for raw in raw_items]
        if messages:
            for raw, keys in zip(raw_items, items):
                # an internet header anyone can write: trusted only on mail this mailbox sent
                keys["stamp"] = opportunity_stamp(raw, header_too=keys["from_address"] == self.own)
        known = self._known_items(items)
        directory = self._directory(items)
        now = self._now()
        upcoming = {} if messages else rules.next_upcoming(items, self._stored_upcoming(items, now), now)
        new_items: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        new_link_keys: set[tuple[str, str, str]] = set()

        def add_links(item_id: str, found: list[Target]) -> None:
            for target in found:
                key = (item_id, target.kind, target.id)
                if key not in new_link_keys:
                    new_link_keys.add(key)
                    new_links.append({"id": new_id(), "item_id": item_id, f"{target.kind}_id": target.id,
                                      "origin": "auto", "reason": target.why, "suppressed": False, "created_at": now})
                    result.links += 1
                    result.reasons[target.kind] = result.reasons.get(target.kind, 0) + 1

        for raw, keys in zip(raw_items, items):
            if rules.blocked(keys, directory):
                result.skipped += 1
                continue
            found = rules.targets(keys, directory)
            existing = self._match(known, keys)
            if existing is None and (not found or not (messages or rules.meeting_kept(
                    keys, now, upcoming.get(keys.get("series_id") or "")))):
                result.skipped += 1
                continue
            fields = mapper(raw, mailbox_address=self.own, keep_body=self.mailbox.keep_bodies, keys=keys)
            if existing is None:
                # A new item: gathered as plain rows and inserted in bulk below (the first sync of a big
                # mailbox is nearly all new items; ORM objects per item cost more than the SQL).
                row = self._new_row(fields)
                self._remember_key(known, fields, row)
                new_items.append(row)
                result.stored += 1
                add_links(row["id"], found)
            elif isinstance(existing, dict):  # seen earlier on this very page: only its links may grow
                if not same_message(existing["kind"], existing["from_address"], existing["sent_at"], fields):
                    result.skipped += 1
                    continue
                add_links(existing["id"], found)
            else:
                try:
                    item, _ = upsert_mail_item(self.session, self.workspace_id,
                                               known_fields(fields["kind"], raw, fields), existing=existing)
                except NotTheSameMessage:
                    # Anyone can reuse a Message-ID: a copy from another sender or date neither
                    # rewrites the stored mail nor puts it in other histories.
                    log.warning("%s: a message reuses the Message-ID of a stored one from another sender or "
                                "date; left out", self.own)
                    result.skipped += 1
                    continue
                result.updated += 1
                for target in found:
                    _, added = link_item(item, origin="auto", reason=target.why, **{f"{target.kind}_id": target.id})
                    result.links += added
                    if added:
                        result.reasons[target.kind] = result.reasons.get(target.kind, 0) + 1
        self.session.flush()
        connection = self.session.connection()  # one executemany each: no per-row ORM or Core bookkeeping
        insert_rows(connection, HistoryItem.__table__, new_items)
        insert_rows(connection, HistoryLink.__table__, [_link_row(l) for l in new_links])
        if removed_ids:
            result.removed = self._mark_removed(removed_ids)
        return result

    def _directory(self, items: list[dict[str, Any]]) -> Directory:
        everyone = set().union(*(rules.people(f, self.own) for f in items)) if items else set()
        return Directory(
            own=self.own,
            contacts=self._contacts_by_address(everyone),
            accounts=self._accounts_by_domain({rules.domain(p) for p in everyone} - FREE_MAIL_DOMAINS),
            by_conversation=self._opportunities_by_conversation({f["conversation_id"] for f in items
                                                                 if f.get("conversation_id")}),
            opportunities=self._opportunities({f["stamp"] for f in items if f.get("stamp")}),
            never_log=rules.never_log_rules(self.mailbox.never_log))

    def _stored_upcoming(self, items: list[dict[str, Any]], now: dt.datetime) -> dict[str, dt.datetime]:
        """Per series of this page: the earliest stored occurrence still to come (not cancelled)."""
        series = {f["series_id"] for f in items if f.get("series_id")}
        if not series:
            return {}
        return dict(self.session.execute(
            sa.select(HistoryItem.series_id, sa.func.min(HistoryItem.starts_at))
            .where(HistoryItem.workspace_id == self.workspace_id, HistoryItem.series_id.in_(series),
                   HistoryItem.starts_at > now, HistoryItem.cancelled.is_(False))
            .group_by(HistoryItem.series_id)).all())

    def _new_row(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        row = {name: fields.get(name) for name in NEW_ITEM_FIELDS}
        row.update(id=new_id(), workspace_id=self.workspace_id, kind=fields["kind"], cancelled=bool(fields.get("cancelled")),
                   subject=fields.get("subject") or "", summary=fields.get("summary") or "",
                   occurred_at=fields.get("occurred_at") or now, to_addresses=fields.get("to_addresses") or [],
                   cc_addresses=fields.get("cc_addresses") or [], done=False, removed_in_mailbox=False, version=1,
                   created_at=now, updated_at=now)
        return row

    @staticmethod
    def _remember_key(known: dict, fields: dict, row: dict) -> None:
        for key in (fields.get("internet_message_id"), fields.get("ical_uid"), fields.get("graph_id")):
            if key:
                known[key] = row

    # ---- lookups (a few queries per page, not per item) ----------------------------------------

    def _known_items(self, items: list[dict]) -> dict[str, HistoryItem]:
        # Each item by its strongest key only (an e-mail by its internetMessageId, a meeting by its
        # iCalUId, anything else by its Graph id): one index probe per item, not three.
        imids = {f["internet_message_id"] for f in items if f.get("internet_message_id")}
        uids = {f["ical_uid"] for f in items if f.get("ical_uid") and not f.get("internet_message_id")}
        gids = {f["graph_id"] for f in items
                if f.get("graph_id") and not f.get("internet_message_id") and not f.get("ical_uid")}
        known: dict[str, HistoryItem] = {}
        for column, keys in ((HistoryItem.internet_message_id, imids), (HistoryItem.ical_uid, uids),
                             (HistoryItem.graph_id, gids)):
            if keys:
                for row in self.session.scalars(sa.select(HistoryItem).where(
                        HistoryItem.workspace_id == self.workspace_id, column.in_(keys))):
                    self._remember(known, row)
        return known

    @staticmethod
    def _remember(known: dict[str, HistoryItem], item: HistoryItem) -> None:
        for key in (item.internet_message_id, item.ical_uid, item.graph_id):
            if key:
                known[key] = item

    @staticmethod
    def _match(known: dict[str, HistoryItem], fields: dict) -> HistoryItem | None:
        for key in (fields.get("internet_message_id"), fields.get("ical_uid"), fields.get("graph_id")):
            if key and key in known:
                return known[key]
        return None

    def _contacts_by_address(self, people: set[str]) -> dict[str, list[str]]:
        if not people:
            return {}
        found: dict[str, list[str]] = {}
        for address, contact_id in self.session.execute(
            sa.select(ContactEmail.address, ContactEmail.contact_id).where(
                ContactEmail.workspace_id == self.workspace_id, ContactEmail.address.in_(people))):
            found.setdefault(address, []).append(contact_id)
        return found

    def _accounts_by_domain(self, domains: set[str]) -> dict[str, list[str]]:
        if not domains:
            return {}
        found: dict[str, list[str]] = {}
        for domain, account_id in self.session.execute(
            sa.select(AccountDomain.domain, AccountDomain.account_id).where(
                AccountDomain.workspace_id == self.workspace_id, AccountDomain.domain.in_(domains))):
            found.setdefault(domain, []).append(account_id)
        return found

    def _opportunities_by_conversation(self, conversations: set[str]) -> dict[str, list[str]]:
        if not conversations:
            return {}
        found: dict[str, list[str]] = {}
        rows = self.session.execute(
            sa.select(HistoryItem.conversation_id, HistoryLink.opportunity_id).distinct()
            .join(HistoryLink, HistoryLink.item_id == HistoryItem.id)
            .join(Opportunity, Opportunity.id == HistoryLink.opportunity_id)
            .where(HistoryItem.workspace_id == self.workspace_id, HistoryItem.conversation_id.in_(conversations),
                   HistoryLink.suppressed.is_(False), Opportunity.follow_conversations.is_(True)))
        for conversation_id, opportunity_id in rows:
            found.setdefault(conversation_id, []).append(opportunity_id)
        return found

    def _opportunities(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        return set(self.session.scalars(sa.select(Opportunity.id).where(
            Opportunity.workspace_id == self.workspace_id, Opportunity.id.in_(ids))))

    def _mark_removed(self, graph_ids: list[str]) -> int:
        """`@removed` never deletes history: the item is flagged; a later sighting clears the flag."""
        result = self.session.execute(
            sa.update(HistoryItem).where(HistoryItem.workspace_id == self.workspace_id,
                                         HistoryItem.graph_id.in_(graph_ids),
                                         HistoryItem.removed_in_mailbox.is_(False))
            .values(removed_in_mailbox=True, version=HistoryItem.version + 1)
            .execution_options(synchronize_session=False))
        return result.rowcount or 0
