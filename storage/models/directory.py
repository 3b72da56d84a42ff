"""Who uses Dealpane: users, workspaces (a shared BCM "database") and their members."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Timestamp

ROLES = ("owner", "member")


class User(Base):
    """A person. `tenant_id`+`object_id` identify an Entra user; both are empty for a
    colleague invited by e-mail who has not signed in yet, and in dev mode."""

    __tablename__ = "user"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "object_id"),)

    id: so.Mapped[IdPk]
    tenant_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(36))
    object_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(36))
    email: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="UTC")
    created_at: so.Mapped[Timestamp]


class Workspace(Base):
    __tablename__ = "workspace"

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="USD")
    created_at: so.Mapped[Timestamp]

    members: so.Mapped[list["Member"]] = so.relationship(
        back_populates="workspace", cascade="all, delete-orphan", passive_deletes=True
    )


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (sa.CheckConstraint("role IN ('owner', 'member')", name="role"),)

    workspace_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(10))
    added_at: so.Mapped[Timestamp]

    workspace: so.Mapped[Workspace] = so.relationship(back_populates="members", lazy="joined")
    user: so.Mapped[User] = so.relationship(lazy="joined")
