"""Communication history: notes, phone logs, tasks, files, e-mails and appointments."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Timestamp, Versioned, WorkspaceOwned

HISTORY_KINDS = ("note", "phone_log", "task", "file", "email", "appointment")
MANUAL_KINDS = ("note", "phone_log", "task", "file")
LINK_TYPES = ("opportunity", "account", "contact")


class HistoryItem(WorkspaceOwned, Versioned, Base):
    """One communication. An e-mail or appointment is stored once per workspace (by its
    internetMessageId / iCalUId) and linked to as many records as it concerns."""

    __tablename__ = "history_item"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('note', 'phone_log', 'task', 'file', 'email', 'appointment')", name="kind"
        ),
        sa.CheckConstraint("direction IS NULL OR direction IN ('incoming', 'outgoing')", name="direction"),
        # Keys that most rows lack (an e-mail has no iCalUId, a meeting no internetMessageId, only
        # items linked from the pane have its id) are indexed only where present: two index entries
        # fewer to write per synced item. Every lookup is `column = value`, which these indexes serve.
        *(sa.Index(f"{prefix}_history_item_ws_{column}", "workspace_id", column, unique=unique,
                   sqlite_where=sa.text(f"{column} IS NOT NULL"), postgresql_where=sa.text(f"{column} IS NOT NULL"))
          for prefix, column, unique in (("uq", "internet_message_id", True), ("uq", "ical_uid", True),
                                         ("ix", "client_item_id", False))),
        sa.Index("ix_history_item_ws_graph_id", "workspace_id", "graph_id"),
        sa.Index("ix_history_item_ws_conversation", "workspace_id", "conversation_id"),
        sa.Index("ix_history_item_ws_series_id", "workspace_id", "series_id",
                 sqlite_where=sa.text("series_id IS NOT NULL"), postgresql_where=sa.text("series_id IS NOT NULL")),
    )

    id: so.Mapped[IdPk]
    # the (workspace_id, …) key indexes lead with it: no index of its own, one less to write per item
    workspace_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    subject: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    body: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    summary: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    occurred_at: so.Mapped[dt.datetime] = so.mapped_column(index=True)
    duration_minutes: so.Mapped[Optional[int]]
    direction: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    # task
    due_date: so.Mapped[Optional[dt.date]]
    done: so.Mapped[bool] = so.mapped_column(default=False)
    # file link (a file is never created, only pointed at)
    file_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    # An e-mail's attachments as Graph lists them: [{id, name, size, content_type, is_inline}]; the
    # content stays in the mailbox (fetched on demand). None: not known (items stored before 0014).
    attachments: so.Mapped[Optional[list]] = so.mapped_column(sa.JSON)
    file_url: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2000))
    # e-mail / appointment, filled by linking and by the sync
    graph_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    # The id Outlook gave the pane when it linked the item (EWS format): Office.js knows no
    # immutable ids, and the context call may not ask Graph, so the pane's id is kept too.
    client_item_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    internet_message_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    ical_uid: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    conversation_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    web_link: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2000))
    change_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(200))
    from_address: so.Mapped[Optional[str]] = so.mapped_column(sa.String(320))
    to_addresses: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    cc_addresses: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    starts_at: so.Mapped[Optional[dt.datetime]]
    ends_at: so.Mapped[Optional[dt.datetime]]
    location: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    removed_in_mailbox: so.Mapped[bool] = so.mapped_column(default=False)
    # a meeting: one occurrence of a recurring series (Graph's seriesMasterId), and whether the
    # organizer cancelled it (Graph's isCancelled)
    series_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(300))
    cancelled: so.Mapped[bool] = so.mapped_column(default=False)
    # an e-mail: Graph's sentDateTime (its Date header), the same on every copy of one message
    sent_at: so.Mapped[Optional[dt.datetime]]
    created_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"))

    links: so.Mapped[list["HistoryLink"]] = so.relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin"
    )


class HistoryLink(Base):
    """Puts a history item in the history of one opportunity, account or contact.

    `origin` says whether a person or the sync made it and `reason` why; a manual link
    or unlink is never undone by the sync.
    """

    __tablename__ = "history_link"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN opportunity_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN account_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN contact_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_record",
        ),
        sa.CheckConstraint("origin IN ('manual', 'auto')", name="origin"),
        sa.UniqueConstraint("item_id", "opportunity_id"),
        sa.UniqueConstraint("item_id", "account_id"),
        sa.UniqueConstraint("item_id", "contact_id"),
    )

    id: so.Mapped[IdPk]
    item_id: so.Mapped[str] = so.mapped_column(  # led by the unique (item_id, …) indexes: none of its own
        sa.String(32), sa.ForeignKey("history_item.id", ondelete="CASCADE")
    )
    opportunity_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    account_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    contact_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    origin: so.Mapped[str] = so.mapped_column(sa.String(6), default="manual")
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # A person took the item out of this record's history: the row stays, hidden, so that
    # the sync never puts it back.
    suppressed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[Timestamp]

    item: so.Mapped[HistoryItem] = so.relationship(back_populates="links")

    @property
    def record_type(self) -> str:
        if self.opportunity_id:
            return "opportunity"
        return "account" if self.account_id else "contact"

    @property
    def record_id(self) -> str:
        return self.opportunity_id or self.account_id or self.contact_id  # type: ignore[return-value]
