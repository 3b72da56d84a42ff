"""Business projects made from opportunities, their tasks, and project templates."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Versioned, WorkspaceOwned


class ProjectTemplate(WorkspaceOwned, Versioned, Base):
    __tablename__ = "project_template"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)

    tasks: so.Mapped[list["TemplateTask"]] = so.relationship(
        cascade="all, delete-orphan", order_by="TemplateTask.position", lazy="selectin"
    )


class TemplateTask(Base):
    """A task a template puts into every project made from it, due `offset_days` after the start."""

    __tablename__ = "template_task"

    id: so.Mapped[IdPk]
    template_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("project_template.id", ondelete="CASCADE"), index=True
    )
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    offset_days: so.Mapped[int] = so.mapped_column(default=0)
    position: so.Mapped[int] = so.mapped_column(default=0)


class Project(WorkspaceOwned, Versioned, Base):
    __tablename__ = "project"
    __table_args__ = (
        sa.CheckConstraint("(link_account_id IS NULL) OR (link_contact_id IS NULL)", name="at_most_one_link"),
    )

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    opportunity_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True
    )
    link_account_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    link_contact_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("contact.id", ondelete="SET NULL"), index=True
    )
    assigned_to: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    start_date: so.Mapped[Optional[dt.date]]
    template_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("project_template.id", ondelete="SET NULL")
    )

    tasks: so.Mapped[list["ProjectTask"]] = so.relationship(
        cascade="all, delete-orphan", order_by="ProjectTask.position", lazy="selectin"
    )
    associations: so.Mapped[list["ProjectAssociation"]] = so.relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ProjectTask(Base):
    __tablename__ = "project_task"

    id: so.Mapped[IdPk]
    project_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                  index=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    assigned_to: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    due_date: so.Mapped[Optional[dt.date]]
    done: so.Mapped[bool] = so.mapped_column(default=False)
    position: so.Mapped[int] = so.mapped_column(default=0)


class ProjectAssociation(Base):
    """An account or contact associated with a project (besides its link)."""

    __tablename__ = "project_association"
    __table_args__ = (
        sa.CheckConstraint("(account_id IS NULL) <> (contact_id IS NULL)", name="exactly_one_record"),
        sa.UniqueConstraint("project_id", "account_id"),
        sa.UniqueConstraint("project_id", "contact_id"),
    )

    id: so.Mapped[IdPk]
    project_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("project.id", ondelete="CASCADE"),
                                                  index=True)
    account_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("account.id", ondelete="CASCADE")
    )
    contact_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("contact.id", ondelete="CASCADE")
    )
