"""Connected mailboxes, their sync cursors, and the encrypted MSAL token caches."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.types import SpokenText

from .base import Base, IdPk, Timestamp, WorkspaceOwned

MAILBOX_MODES = ("delegated", "application", "dev")
MAILBOX_STATUSES = ("ok", "needs_sign_in", "missing_permission", "error", "paused")


class Mailbox(WorkspaceOwned, Base):
    """A mailbox whose mail, meetings and tasks feed the workspace's history.

    `status` tells the user and the admin what to do: needs_sign_in (the grant was revoked
    or expired: the user opens the pane once), missing_permission (Graph answered 403: an admin
    grants the permission `status_detail` names; signing in again does not help), error (see
    `last_error`), paused.
    """

    __tablename__ = "mailbox"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "address"),
        sa.CheckConstraint("mode IN ('delegated', 'application', 'dev')", name="mode"),
        sa.CheckConstraint("status IN ('ok', 'needs_sign_in', 'missing_permission', 'error', 'paused')",
                           name="status"),
        sa.Index("ix_mailbox_due", "status", "next_sync_at"),
        sa.Index("ix_mailbox_woken", "status", "woken_at"),
    )

    id: so.Mapped[IdPk]
    address: so.Mapped[str] = so.mapped_column(sa.String(320))
    user_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"),
                                                         index=True)
    mode: so.Mapped[str] = so.mapped_column(sa.String(12))
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="ok")
    # What a person reads: a storage.i18n.Text said in the reader's language by the API (SpokenText).
    status_detail: so.Mapped[str] = so.mapped_column(SpokenText(500), default="")
    keep_bodies: so.Mapped[bool] = so.mapped_column(default=False)
    never_log: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    folders: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=lambda: ["inbox", "sentitems"])
    items_synced: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    errors: so.Mapped[int] = so.mapped_column(default=0)
    last_sync_at: so.Mapped[Optional[dt.datetime]]
    last_error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(1000))
    last_error_at: so.Mapped[Optional[dt.datetime]]
    next_sync_at: so.Mapped[Optional[dt.datetime]]
    todo_list_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    lease_owner: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    lease_expires_at: so.Mapped[Optional[dt.datetime]]
    # A change notification was accepted (graph_sync.notifications): the mailbox is due at once, for a
    # pass over `woken_parts` (the sync's resource names: "mail:inbox", "calendar"; "full": everything).
    # Cleared by the pass that saw this very woken_at (graph_sync.worker.release); next_sync_at stays
    # the time of the next safety pass.
    woken_at: so.Mapped[Optional[dt.datetime]]
    woken_parts: so.Mapped[Optional[list[str]]] = so.mapped_column(sa.JSON)
    # When full passes are hours apart (webhooks): the next push of Dealpane's To Do tasks (no Graph
    # request when nothing changed); None when the full passes do it.
    next_tasks_at: so.Mapped[Optional[dt.datetime]]
    created_at: so.Mapped[Timestamp]


class SyncCursor(Base):
    """Where the sync of one resource of a mailbox stands: the nextLink of a round under way,
    or the deltaLink of the last finished round. Invariant: it is written in the same
    transaction as the page it follows, so a crash replays at most one page."""

    __tablename__ = "sync_cursor"

    mailbox_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
                                                  primary_key=True)
    resource: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    cursor: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    in_round: so.Mapped[bool] = so.mapped_column(default=False)
    full_syncs: so.Mapped[int] = so.mapped_column(default=0)
    pages: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    updated_at: so.Mapped[Timestamp]
    # calendarView delta: the window [start, end) its rounds cover, fixed in the delta token
    # (https://learn.microsoft.com/graph/delta-query-events); re-anchored as time passes.
    window_start: so.Mapped[Optional[dt.datetime]]
    window_end: so.Mapped[Optional[dt.datetime]]
    # what the round asks Graph for (graph_sync's message_query fingerprint): a delta link replays
    # its first request's query, so a cursor made with another query starts a new round
    query: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))


class SetAsideItem(Base):
    """A synced item that failed to apply: kept aside with its error so the rest of its page and the
    cursor go on (one item never stops a mailbox), tried again later by its id."""

    __tablename__ = "sync_set_aside"

    mailbox_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
                                                  primary_key=True)
    graph_id: so.Mapped[str] = so.mapped_column(sa.String(300), primary_key=True)
    resource: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # message | event
    error: so.Mapped[str] = so.mapped_column(sa.String(1000))
    attempts: so.Mapped[int] = so.mapped_column(default=1)
    first_failed_at: so.Mapped[dt.datetime]
    next_try_at: so.Mapped[dt.datetime]


class GraphTokenCache(Base):
    """A user's MSAL token cache, encrypted (Fernet, key from DEALPANE_SECRET_KEY)."""

    __tablename__ = "graph_token_cache"

    user_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="CASCADE"),
                                               primary_key=True)
    blob: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    updated_at: so.Mapped[Timestamp]


class Subscription(Base):
    """A Graph change-notification subscription for one resource of a mailbox."""

    __tablename__ = "subscription"

    id: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)  # Graph's subscription id
    mailbox_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
                                                  index=True)
    resource: so.Mapped[str] = so.mapped_column(sa.String(300))
    client_state: so.Mapped[str] = so.mapped_column(sa.String(128))
    expires_at: so.Mapped[dt.datetime]
    created_at: so.Mapped[Timestamp]


class Notification(Base):
    """A change notification received, kept until the sync has acted on it (and to refuse replays)."""

    __tablename__ = "notification"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "fingerprint"),
                      sa.Index("ix_notification_received_at", "received_at"))

    id: so.Mapped[IdPk]
    subscription_id: so.Mapped[str] = so.mapped_column(sa.String(100), index=True)
    mailbox_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("mailbox.id", ondelete="CASCADE"),
                                                  index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))  # created/updated/deleted/missed/reauthorizationRequired...
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    received_at: so.Mapped[Timestamp]


class ReminderTask(Base):
    """A To Do task Dealpane keeps for an opportunity's reminder or a sales activity's due date.

    `key` ("o:<opportunity>:reminder" or "o:<opportunity>:a:<activity>") is also the task's
    linkedResource externalId, so a task created just before a crash is found and adopted
    instead of created twice.
    """

    __tablename__ = "reminder_task"
    __table_args__ = (sa.UniqueConstraint("mailbox_id", "key"),)

    id: so.Mapped[IdPk]
    mailbox_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("mailbox.id", ondelete="CASCADE"))
    key: so.Mapped[str] = so.mapped_column(sa.String(120))
    opportunity_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("opportunity.id", ondelete="CASCADE"),
                                                      index=True)
    activity_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    task_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    title: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    due: so.Mapped[Optional[dt.date]]
    reminder_at: so.Mapped[Optional[dt.datetime]]
    completed: so.Mapped[bool] = so.mapped_column(default=False)
    updated_at: so.Mapped[Timestamp]
