"""Connecting mailboxes to a workspace, and what the sync status shows about them."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import NotFound, RuleViolation
from storage.i18n import _
from storage.models import Mailbox, Member, SetAsideItem, SyncCursor, Workspace

from storage.types import utcnow

from .access import member_by_email
from .crm import is_email


def check_connection(session: so.Session, workspace_id: str, address: str, mode: str) -> str:
    """The rules of connect_mailbox, without changing anything (checked before probing Graph).
    Returns the address as stored."""
    address = (address or "").strip().lower()
    if not is_email(address):
        raise RuleViolation.on("address", _("is not an e-mail address"))
    if mode not in ("delegated", "application", "dev"):
        raise RuleViolation.on("mode", _("must be delegated, application or dev"))
    if session.get(Workspace, workspace_id) is None:
        raise NotFound(_("No such workspace."))
    user = member_by_email(session, workspace_id, address)
    if mode == "delegated" and user is None:
        raise RuleViolation.on("address", _("a delegated mailbox must be a workspace member's own"))
    return address


def connect_mailbox(session: so.Session, workspace_id: str, address: str, mode: str) -> tuple[Mailbox, bool]:
    """Connect (or reconnect) a mailbox. Delegated mailboxes belong to a member (their own grant).
    Reconnecting makes it ok and due at once, whatever stopped it."""
    address = check_connection(session, workspace_id, address, mode)
    # The member the admin's address names (addresses are display only: a workspace's members only,
    # never a user of another workspace who happens to show it).
    user = member_by_email(session, workspace_id, address)
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


def set_aside_of(session: so.Session, mailbox_id: str, limit: int = 50) -> list[SetAsideItem]:
    """Items the sync could not apply, kept aside to be tried again (graph_sync.sync)."""
    return list(session.scalars(sa.select(SetAsideItem).where(SetAsideItem.mailbox_id == mailbox_id)
                                .order_by(SetAsideItem.first_failed_at, SetAsideItem.graph_id).limit(limit)))


def own_delegated_mailboxes(session: so.Session, user_id: str) -> list[Mailbox]:
    """The mailboxes synced with this user's own grant, in every workspace."""
    return list(session.scalars(sa.select(Mailbox).where(Mailbox.user_id == user_id, Mailbox.mode == "delegated")
                                .order_by(Mailbox.address, Mailbox.workspace_id)))


def grant_renewed(session: so.Session, user_id: str, now: dt.datetime) -> list[Mailbox]:
    """The user's grant works again (a fresh on-behalf-of exchange just succeeded): their mailboxes
    waiting for a sign-in become ok and due at once; those missing a permission are due at once to
    be checked again (the user may have just consented to it). Returns the mailboxes made ok."""
    recovered = []
    for mailbox in own_delegated_mailboxes(session, user_id):
        if mailbox.status == "needs_sign_in":
            mailbox.status, mailbox.status_detail, mailbox.next_sync_at = "ok", "", now
            recovered.append(mailbox)
        elif mailbox.status == "missing_permission":
            mailbox.next_sync_at = now
    session.flush()
    return recovered


def permission_missing(mailbox: Mailbox, detail: str, recheck_after: dt.timedelta | None) -> None:
    """Graph refused a permission: missing_permission, the detail naming it. With `recheck_after` (the
    mailbox cannot sync at all) it waits that long; without, it is due now and syncs what it can (the
    worker then waits before trying the refused part again)."""
    mailbox.status, mailbox.status_detail = "missing_permission", detail  # SpokenText fits it to the column
    mailbox.next_sync_at = utcnow() + recheck_after if recheck_after is not None else None
