"""The linker: which synced e-mails and meetings land in which histories, and why.

Per page it loads what it needs in a few queries (known items, contacts by address, accounts
by domain, opportunities by conversation and by id), then decides per item:
  1. an item already stored: its fields are refreshed (and the rules below may add links);
  2. a message stamped with x-dealpane-opportunity, or in a conversation already linked to an
     opportunity that follows conversations: linked to that opportunity;
  3. from/to/with a business contact's address: the contact's history; an account's e-mail
     domain (never a free-mail one): the account's history;
  4. anything else is not stored. The mailbox's never-log list drops an item entirely.
A person's manual link or unlink always wins: automatic rules never revive a suppressed link.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.models import (
    AccountDomain, ContactEmail, HistoryItem, HistoryLink, Mailbox, Opportunity,
)
from storage.db import insert_rows
from storage.services.crm import FREE_MAIL_DOMAINS
from storage.models import new_id
from storage.services.mail import link_item, upsert_mail_item
from storage.types import utcnow

from .records import OPPORTUNITY_HEADER, event_fields, event_keys, message_fields, message_keys, people_of
from .stamp import opportunity_stamp

NEW_ITEM_FIELDS = (
    "body", "duration_minutes", "direction", "graph_id", "internet_message_id", "ical_uid", "conversation_id",
    "web_link", "change_key", "from_address", "starts_at", "ends_at", "location",
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
    reasons: dict[str, int] = field(default_factory=dict)


def _header(message: dict, name: str) -> str | None:
    for header in message.get("internetMessageHeaders") or []:
        if (header.get("name") or "").lower() == name:
            return (header.get("value") or "").strip() or None
    return None


def never_log_rules(never_log: list[str] | None) -> frozenset[str]:
    return frozenset(r.strip().lower().lstrip("@") for r in never_log or [] if r and r.strip())


def _blocked(people: set[str], rules: frozenset[str]) -> bool:
    return bool(rules) and any(p in rules or p.rsplit("@", 1)[-1] in rules for p in people)


class PageLinker:
    def __init__(self, session: so.Session, mailbox: Mailbox):
        self.session, self.mailbox = session, mailbox
        self.workspace_id = mailbox.workspace_id
        self.own = mailbox.address.lower()

    def apply(self, kind: str, raw_items: list[dict[str, Any]], removed_ids: list[str]) -> PageResult:
        result = PageResult(seen=len(raw_items) + len(removed_ids))
        mapper = message_fields if kind == "message" else event_fields
        items = [(message_keys if kind == "message" else event_keys)(raw) for raw in raw_items]
        stamped = [opportunity_stamp(raw) if kind == "message" else None for raw in raw_items]
        known = self._known_items(items)
        persons_of = [people_of(f) - {self.own} for f in items]
        people = set().union(*persons_of) if items else set()
        contacts = self._contacts_by_address(people)
        accounts = self._accounts_by_domain({p.rsplit("@", 1)[-1] for p in people} - FREE_MAIL_DOMAINS)
        by_conversation = self._opportunities_by_conversation({f["conversation_id"] for f in items
                                                               if f.get("conversation_id")})
        explicit = self._opportunities({o for o in stamped if o})
        new_items: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        new_link_keys: set[tuple[str, str, str]] = set()
        now = utcnow()
        rules = never_log_rules(self.mailbox.never_log)

        for raw, keys, persons, opportunity_id in zip(raw_items, items, persons_of, stamped):
            if rules and _blocked(persons | {keys.get("from_address") or ""}, rules):
                result.skipped += 1
                continue
            targets: list[tuple[str, str, str]] = []  # (record type, id, reason)
            if opportunity_id and opportunity_id in explicit:
                targets.append(("opportunity", opportunity_id, "sent from Dealpane for this opportunity"))
            for opp_id in by_conversation.get(keys.get("conversation_id"), ()):
                targets.append(("opportunity", opp_id, "reply in a conversation linked to the opportunity"))
            for address in sorted(persons):
                for contact_id in contacts.get(address, ()):
                    targets.append(("contact", contact_id, f"{'from' if address == keys.get('from_address') else 'with'} contact {address}"))
                for account_id in accounts.get(address.rsplit("@", 1)[-1], ()):
                    targets.append(("account", account_id, f"e-mail domain {address.rsplit('@', 1)[-1]}"))
            existing = self._match(known, keys)
            if existing is None and not targets:
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
                for record_type, record_id, reason in targets:
                    key = (row["id"], record_type, record_id)
                    if key not in new_link_keys:
                        new_link_keys.add(key)
                        new_links.append({"id": new_id(), "item_id": row["id"], f"{record_type}_id": record_id,
                                          "origin": "auto", "reason": reason[:200], "suppressed": False,
                                          "created_at": now})
                        result.links += 1
                        result.reasons[record_type] = result.reasons.get(record_type, 0) + 1
                continue
            if isinstance(existing, dict):  # seen earlier on this very page: only its links may grow
                for record_type, record_id, reason in targets:
                    key = (existing["id"], record_type, record_id)
                    if key not in new_link_keys:
                        new_link_keys.add(key)
                        new_links.append({"id": new_id(), "item_id": existing["id"], f"{record_type}_id": record_id,
                                          "origin": "auto", "reason": reason[:200], "suppressed": False,
                                          "created_at": now})
                        result.links += 1
                continue
            item, _ = upsert_mail_item(self.session, self.workspace_id, fields, existing=existing)
            result.updated += 1
            for record_type, record_id, reason in targets:
                _, added = link_item(item, origin="auto", reason=reason[:200], **{f"{record_type}_id": record_id})
                result.links += added
                if added:
                    result.reasons[record_type] = result.reasons.get(record_type, 0) + 1
        self.session.flush()
        connection = self.session.connection()  # one executemany each: no per-row ORM or Core bookkeeping
        insert_rows(connection, HistoryItem.__table__, new_items)
        insert_rows(connection, HistoryLink.__table__, [_link_row(l) for l in new_links])
        if removed_ids:
            result.removed = self._mark_removed(removed_ids)
        return result

    def _new_row(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        row = {name: fields.get(name) for name in NEW_ITEM_FIELDS}
        row.update(id=new_id(), workspace_id=self.workspace_id, kind=fields["kind"],
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
