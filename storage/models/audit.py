"""The audit log: what an owner did that must be accounted for (erasing a person on request).

An event keeps counts and record ids only, never a name, an address or any content: the log must not
keep the personal data the action removed.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Timestamp


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_workspace_at", "workspace_id", "at"),)

    id: so.Mapped[IdPk]
    workspace_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    at: so.Mapped[Timestamp]
    actor_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    detail: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)



