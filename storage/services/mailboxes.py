"""Connecting mailboxes to a workspace, and what the sync status shows about them."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import NotFound, RuleViolation
from storage.models import Mailbox, Member, SyncCursor, Workspace

from .access import user_by_email
from .crm import EMAIL_RE


def connect_mailbox(session: so.Session, workspace_id: str, address: str, mode: str) -> tuple[Mailbox, bool]:
    """Connect (or reconnect) a mailbox. Delegated mailboxes belong to a member (their own grant)."""
    address = (address or "").strip().lower()
    if not EMAIL_RE.match(address):
        raise RuleViolation.on("address", "is not an e-mail address")
    if mode not in ("delegated", "application", "dev"):
        raise RuleViolation.on("mode", "must be delegated, application or dev")
    if session.get(Workspace, workspace_id) is None:
        raise NotFound("No such workspace.")
    user = user_by_email(session, address)
    if mode == "delegated" and (user is None or session.get(Member, (workspace_id, user.id)) is None):
        raise RuleViolation.on("address", "a delegated mailbox must be a workspace member's own")
    mailbox = session.scalar(sa.select(Mailbox).where(Mailbox.workspace_id == workspace_id,
                                                      Mailbox.address == address))
    created = mailbox is None
    if created:
        mailbox = Mailbox(workspace_id=workspace_id, address=address, folders=["inbox", "sentitems"], never_log=[])
        session.add(mailbox)
    mailbox.mode = mode
    mailbox.user_id = user.id if user else None
    mailbox.status, mailbox.status_detail, mailbox.next_sync_at = "ok", "", None
    session.flush()
    return mailbox, created


def mailboxes_for_user(session: so.Session, user_id: str) -> list[Mailbox]:
    """The mailboxes of every workspace the user belongs to."""
    workspaces = sa.select(Member.workspace_id).where(Member.user_id == user_id)
    return list(session.scalars(sa.select(Mailbox).where(Mailbox.workspace_id.in_(workspaces))
                                .order_by(Mailbox.address)))


def cursors_of(session: so.Session, mailbox_id: str) -> list[SyncCursor]:
    return list(session.scalars(sa.select(SyncCursor).where(SyncCursor.mailbox_id == mailbox_id)
                                .order_by(SyncCursor.resource)))
