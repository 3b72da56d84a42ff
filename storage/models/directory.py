"""Who uses Dealpane: users, workspaces (a shared BCM "database") and their members."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Timestamp

ROLES = ("owner", "member")


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


class User(Base):
    """A person, in one of three states:

    - an Entra user: `tenant_id` + `object_id` (the token's `tid` + `oid`) are who they are, the only
      key Microsoft documents as stable and unique ("use the immutable claim values tid and oid as a
      combined key": https://learn.microsoft.com/entra/identity-platform/claims-validation ). `email`
      is display only: the verified username of their last sign-in (addin.tokens), never a key.
    - invited, not signed in yet: `tenant_id` is the tenant whose token may accept the invitation,
      `object_id` is empty; `email` is the address the owner typed (storage.services.access).
    - dev mode (X-Dev-User), or an invitation made without any tenant: both empty, `email` is the key.
    """

    __tablename__ = "user"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "object_id"),
        # the key of dev-mode users
        sa.Index("ux_user_email_no_tenant", "email", unique=True, **_where("tenant_id IS NULL")),
        # one pending invitation per tenant and address
        sa.Index("ux_user_invited_tenant_email", "tenant_id", "email", unique=True,
                 **_where("tenant_id IS NOT NULL AND object_id IS NULL")),
        sa.Index("ix_user_tenant_email", "tenant_id", "email"),
    )

    id: so.Mapped[IdPk]
    tenant_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(36))
    object_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(36))
    email: so.Mapped[str] = so.mapped_column(sa.String(320))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="UTC")
    # The language they chose for the workspace ("fr", "en"); None: follow the browser (Accept-Language).
    language: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[Timestamp]


class Workspace(Base):
    """`tenant_id`: the Entra tenant the workspace belongs to (its creator's `tid`; empty in dev mode):
    an invitation is accepted only by a token of this tenant, unless the owner named another."""

    __tablename__ = "workspace"

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    tenant_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(36))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="USD")
    # The language it was created in (its default stages and lists) and shows by default: storage.i18n.languages().
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="en", server_default="en")
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
