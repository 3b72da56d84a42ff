"""A person's rights over what the workspace keeps about them (GDPR articles 15 and 17): export
everything stored about a business contact, or erase them so that a later sync never brings them back.

Erasing a contact, in one transaction (the caller commits):

- Refused (409) while opportunities are linked to the contact: Business Contact Manager links an
  opportunity to exactly one account or contact, so the owner links them elsewhere or deletes them
  first, as for deleting a contact (storage.services.crm.delete_contact). Nothing is changed then.
- A history item linked to the contact **concerns nobody else** of the workspace, and is deleted, when
  none of its other links (hidden ones, `suppressed`, do not count: the item is in no one's history
  there) is
    * to another contact,
    * to an opportunity (a deal's history is the workspace's record of the deal),
    * to an account by hand (`origin` manual: a person filed it with the company),
    * to an account automatically (`origin` auto, by e-mail domain) when another participant of the
      item (from, to, cc), not one of the person's addresses, has one of that account's domains: the
      item also concerns that colleague of theirs.
  Other items linked to the contact stay, without the person's addresses among their participants.
- Every item of the workspace that names one of the person's addresses as sender or recipient loses
  that address (the item itself stays: it is linked to other records).
- Another business contact carrying one of the same addresses (a duplicate) loses it.
- Opportunities the contact initiated (`initiated_by`) no longer name them; projects linked to them
  are no longer linked (project associations with them go).
- Every mailbox connected to the workspace gets the person's addresses on its never-log list
  (graph_sync.rules.blocked drops an item naming any of them before anything is stored), so the next
  sync does not put their mail back in an account's history by its domain.
- An AuditEvent "erase_contact" keeps the counts and the erased contact's id, never a name or address.

The change log keeps its entries: a link change names `contact:<id>` only.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import Conflict
from storage.i18n import _, ngettext
from storage.models import (
    Account, AuditEvent, Contact, ContactEmail, HistoryItem, HistoryLink, Mailbox, Opportunity, OpportunityChange,
    Project, ProjectAssociation, User,
)

from . import access
from .records import get_record

MAX_TITLES_LISTED = 10


def erase_contact(session: so.Session, workspace_id: str, user: User, contact_id: str) -> dict[str, Any]:
    """Erase business contact `contact_id` (owner only; 404 outside the workspace). Returns the receipt."""
    member = access.membership(session, workspace_id, user)
    access.require_owner(member, _("erase a person"))
    contact = get_record(session, Contact, workspace_id, contact_id)
    _refuse_if_opportunities(session, contact)
    addresses = set(contact.email_addresses)

    removed, kept = 0, 0
    for item in _items_of(session, contact.id):
        if _concerns_somebody_else(session, item, contact.id, addresses):
            kept += 1
            item.links = [link for link in item.links if link.contact_id != contact.id]  # out of their history
        else:
            session.delete(item)
            removed += 1
    session.flush()

    stripped = _strip_participants(session, workspace_id, addresses)
    other_contacts = _remove_from_other_contacts(session, workspace_id, contact.id, addresses)
    initiated = _clear_initiator(session, workspace_id, contact.id)
    projects = _unlink_projects(session, workspace_id, contact.id)
    mailboxes = _block_in_mailboxes(session, workspace_id, addresses)

    session.delete(contact)
    session.flush()
    counts = {"history_items": stripped, "contacts": other_contacts, "opportunities_initiated": initiated,
              "projects": projects}
    event = AuditEvent(workspace_id=workspace_id, actor_id=user.id, action="erase_contact", detail={
        "contact_id": contact_id, "history_items_removed": removed, "history_items_kept": kept,
        "addresses_removed_from": counts, "mailboxes_blocking": mailboxes, "addresses_blocked": len(addresses)})
    session.add(event)
    session.flush()
    return {"contact_id": contact_id, "history_items_removed": removed, "history_items_kept": kept,
            "addresses_removed_from": counts, "addresses_blocked": len(addresses), "mailboxes_blocking": mailboxes,
            "audit_event_id": event.id}


def _refuse_if_opportunities(session: so.Session, contact: Contact) -> None:
    titles = list(session.scalars(sa.select(Opportunity.title).where(Opportunity.link_contact_id == contact.id)
                                  .order_by(Opportunity.title)))
    if not titles:
        return
    shown = ", ".join(titles[:MAX_TITLES_LISTED]) + (", …" if len(titles) > MAX_TITLES_LISTED else "")
    raise Conflict(ngettext(
        "%(count)s opportunity is linked to this person (%(titles)s); link it elsewhere or delete it before "
        "erasing the person.",
        "%(count)s opportunities are linked to this person (%(titles)s); link them elsewhere or delete them "
        "before erasing the person.",
        len(titles), count=len(titles), titles=shown))


def _items_of(session: so.Session, contact_id: str) -> list[HistoryItem]:
    linked = sa.select(HistoryLink.item_id).where(HistoryLink.contact_id == contact_id)
    return list(session.scalars(sa.select(HistoryItem).where(HistoryItem.id.in_(linked))))


def _participants(item: HistoryItem) -> set[str]:
    found = {a.lower() for a in [*(item.to_addresses or []), *(item.cc_addresses or [])] if a}
    if item.from_address:
        found.add(item.from_address.lower())
    return found


def _concerns_somebody_else(session: so.Session, item: HistoryItem, contact_id: str, addresses: set[str]) -> bool:
    others = [link for link in item.links if link.contact_id != contact_id and not link.suppressed]
    if any(link.contact_id or link.opportunity_id for link in others):
        return True
    if any(link.account_id and link.origin == "manual" for link in others):
        return True
    account_ids = {link.account_id for link in others if link.account_id}
    if not account_ids:
        return False
    accounts = session.scalars(sa.select(Account).where(Account.id.in_(account_ids))).unique()
    account_domains = {d for account in accounts for d in account.email_domains}
    colleagues = {p.rsplit("@", 1)[-1] for p in _participants(item) - addresses}
    return bool(colleagues & account_domains)


def _strip_participants(session: so.Session, workspace_id: str, addresses: set[str]) -> int:
    """Take the addresses out of every item's from/to/cc; the number of items changed."""
    if not addresses:
        return 0
    condition = [HistoryItem.from_address.in_(addresses)]
    for address in addresses:
        pattern = '%"' + address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
        for column in (HistoryItem.to_addresses, HistoryItem.cc_addresses):
            condition.append(sa.cast(column, sa.Text).like(pattern, escape="\\"))
    changed = 0
    for item in session.scalars(sa.select(HistoryItem).where(HistoryItem.workspace_id == workspace_id,
                                                             sa.or_(*condition))):
        to = [a for a in item.to_addresses or [] if a.lower() not in addresses]
        cc = [a for a in item.cc_addresses or [] if a.lower() not in addresses]
        sender = None if (item.from_address or "").lower() in addresses else item.from_address
        if to != (item.to_addresses or []) or cc != (item.cc_addresses or []) or sender != item.from_address:
            item.to_addresses, item.cc_addresses, item.from_address = to, cc, sender
            changed += 1
    session.flush()
    return changed


def _remove_from_other_contacts(session: so.Session, workspace_id: str, contact_id: str, addresses: set[str]) -> int:
    if not addresses:
        return 0
    owners = sa.select(ContactEmail.contact_id).where(ContactEmail.workspace_id == workspace_id,
                                                      ContactEmail.address.in_(addresses),
                                                      ContactEmail.contact_id != contact_id)
    changed = 0
    for other in session.scalars(sa.select(Contact).where(Contact.id.in_(owners))):
        other.addresses = [row for row in other.addresses if row.address not in addresses]
        for position, row in enumerate(other.addresses):
            row.position = position
        so.attributes.flag_modified(other, "workspace_id")  # its version moves: open forms see the change
        changed += 1
    session.flush()
    return changed


def _clear_initiator(session: so.Session, workspace_id: str, contact_id: str) -> int:
    result = session.execute(
        sa.update(Opportunity)
        .where(Opportunity.workspace_id == workspace_id, Opportunity.initiated_by_type == "contact",
               Opportunity.initiated_by_id == contact_id)
        .values(initiated_by_type=None, initiated_by_id=None, version=Opportunity.version + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _unlink_projects(session: so.Session, workspace_id: str, contact_id: str) -> int:
    linked = list(session.scalars(sa.select(Project).where(Project.workspace_id == workspace_id,
                                                           Project.link_contact_id == contact_id)))
    for project in linked:
        project.link_contact_id = None
    associated = session.execute(sa.delete(ProjectAssociation).where(ProjectAssociation.contact_id == contact_id)
                                 .execution_options(synchronize_session=False)).rowcount or 0
    session.flush()
    return len(linked) + associated


def _block_in_mailboxes(session: so.Session, workspace_id: str, addresses: set[str]) -> int:
    mailboxes = list(session.scalars(sa.select(Mailbox).where(Mailbox.workspace_id == workspace_id)))
    for mailbox in mailboxes:
        current = list(mailbox.never_log or [])
        known = {v.strip().lower() for v in current}
        mailbox.never_log = current + sorted(a for a in addresses if a not in known)  # a new list: JSON is saved
    session.flush()
    return len(mailboxes)


# ---- export ------------------------------------------------------------------------------------

def export_contact(session: so.Session, workspace_id: str, user: User, contact_id: str) -> dict[str, Any]:
    """Everything the workspace stores about business contact `contact_id`, JSON-ready (any member)."""
    access.membership(session, workspace_id, user)
    contact = get_record(session, Contact, workspace_id, contact_id)
    account = session.get(Account, contact.account_id) if contact.account_id else None
    items = _items_of(session, contact.id)
    linked_opportunities = list(session.scalars(sa.select(Opportunity).where(
        Opportunity.workspace_id == workspace_id,
        sa.or_(Opportunity.link_contact_id == contact.id,
               sa.and_(Opportunity.initiated_by_type == "contact", Opportunity.initiated_by_id == contact.id)))
        .order_by(Opportunity.created_at, Opportunity.id)))
    associated = sa.select(ProjectAssociation.project_id).where(ProjectAssociation.contact_id == contact.id)
    projects = list(session.scalars(sa.select(Project).where(
        Project.workspace_id == workspace_id, sa.or_(Project.link_contact_id == contact.id, Project.id.in_(associated)))
        .order_by(Project.created_at, Project.id)))
    named = f"contact:{contact.id}"
    changes = list(session.scalars(sa.select(OpportunityChange).join(
        Opportunity, Opportunity.id == OpportunityChange.opportunity_id).where(
        Opportunity.workspace_id == workspace_id,
        sa.or_(OpportunityChange.old_value == named, OpportunityChange.new_value == named))
        .order_by(OpportunityChange.changed_at, OpportunityChange.id)))
    return {
        "exported_at": _iso(dt.datetime.now(dt.timezone.utc)),
        "contact": {"id": contact.id, "display_name": contact.display_name, "job_title": contact.job_title,
                    "phone": contact.phone, "email_addresses": contact.email_addresses,
                    "categories": contact.category_names, "account_id": contact.account_id,
                    "created_at": _iso(contact.created_at), "updated_at": _iso(contact.updated_at)},
        "account": {"id": account.id, "name": account.name} if account else None,
        "history": [_item_out(i) for i in sorted(items, key=lambda i: (i.occurred_at, i.id))],
        "opportunities": [{"id": o.id, "title": o.title, "role": "link" if o.link_contact_id == contact.id
                           else "initiated_by", "total": _money(o.total), "close_date": _iso(o.close_date),
                           "stage_id": o.stage_id, "comments": o.comments} for o in linked_opportunities],
        "projects": [{"id": p.id, "name": p.name, "role": "link" if p.link_contact_id == contact.id else "associated",
                      "start_date": _iso(p.start_date)} for p in projects],
        "change_log": [{"opportunity_id": c.opportunity_id, "changed_at": _iso(c.changed_at), "field": c.field,
                        "old_value": c.old_value, "new_value": c.new_value} for c in changes],
    }


def _item_out(item: HistoryItem) -> dict[str, Any]:
    return {
        "id": item.id, "kind": item.kind, "subject": item.subject, "summary": item.summary, "body": item.body,
        "occurred_at": _iso(item.occurred_at), "direction": item.direction, "from_address": item.from_address,
        "to_addresses": item.to_addresses or [], "cc_addresses": item.cc_addresses or [],
        "starts_at": _iso(item.starts_at), "ends_at": _iso(item.ends_at), "location": item.location,
        "due_date": _iso(item.due_date), "file_name": item.file_name, "web_link": item.web_link,
        "attachments": item.attachments or [],
        "links": [{"record_type": link.record_type, "record_id": link.record_id, "origin": link.origin,
                   "reason": link.reason, "suppressed": link.suppressed} for link in item.links],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
