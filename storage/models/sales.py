"""The sales process: customisable lists, sales stages with their activities, and opportunities."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.types import ScaledDecimal

from .base import Base, IdPk, Versioned, WorkspaceOwned
from .crm import Account, Category, Contact, opportunity_category
from .directory import User

LIST_NAMES = ("type", "payment_terms", "source", "close_reason")
OUTCOMES = ("won", "lost")


class ListValue(WorkspaceOwned, Base):
    """One value of a customisable list (Type, Payment terms, Source), in order.

    Records store the value as text: a value removed from the list stays on the
    records that have it (`active` false) but can no longer be chosen.
    """

    __tablename__ = "list_value"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "list_name", "value"),
        sa.CheckConstraint("list_name IN ('type', 'payment_terms', 'source', 'close_reason')", name="list_name"),
    )

    id: so.Mapped[IdPk]
    list_name: so.Mapped[str] = so.mapped_column(sa.String(20))
    value: so.Mapped[str] = so.mapped_column(sa.String(100))
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True)


class SalesStage(WorkspaceOwned, Base):
    """A step of the sales process. The two built-in stages carry an outcome and close the deal."""

    __tablename__ = "sales_stage"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "name"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('won', 'lost')", name="outcome"),
    )

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    position: so.Mapped[int] = so.mapped_column(default=0)
    is_default: so.Mapped[bool] = so.mapped_column(default=False)
    built_in: so.Mapped[bool] = so.mapped_column(default=False)
    outcome: so.Mapped[Optional[str]] = so.mapped_column(sa.String(4))

    activities: so.Mapped[list["SalesActivity"]] = so.relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="SalesActivity.position", lazy="selectin"
    )

    @property
    def is_closed(self) -> bool:
        return self.outcome is not None


class SalesActivity(Base):
    """An item of a stage's checklist, with how long it takes and whether it gets a reminder."""

    __tablename__ = "sales_activity"

    id: so.Mapped[IdPk]
    stage_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("sales_stage.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    position: so.Mapped[int] = so.mapped_column(default=0)
    duration_days: so.Mapped[int] = so.mapped_column(default=0)
    reminder: so.Mapped[bool] = so.mapped_column(default=False)

    stage: so.Mapped[SalesStage] = so.relationship(back_populates="activities")


class Opportunity(WorkspaceOwned, Versioned, Base):
    """A potential customer order, linked to exactly one account or one business contact."""

    __tablename__ = "opportunity"
    __table_args__ = (
        sa.CheckConstraint(
            "(link_account_id IS NULL) <> (link_contact_id IS NULL)", name="exactly_one_link"
        ),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
        sa.CheckConstraint(
            "initiated_by_type IS NULL OR initiated_by_type IN ('account', 'contact', 'marketing_activity')",
            name="initiated_by_type",
        ),
        sa.Index("ix_opportunity_ws_close", "workspace_id", "close_date"),
        sa.Index("ix_opportunity_ws_updated", "workspace_id", "updated_at"),
    )

    id: so.Mapped[IdPk]
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    assigned_to: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    type: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    link_account_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("account.id", ondelete="RESTRICT"), index=True
    )
    link_contact_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("contact.id", ondelete="RESTRICT"), index=True
    )
    probability: so.Mapped[int] = so.mapped_column(default=0)
    total: so.Mapped[Decimal] = so.mapped_column(default=Decimal("0.00"))
    expected_revenue: so.Mapped[Decimal] = so.mapped_column(default=Decimal("0.00"))
    close_date: so.Mapped[Optional[dt.date]]
    payment_terms: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    expiration_date: so.Mapped[Optional[dt.date]]
    delivery_date: so.Mapped[Optional[dt.date]]
    source: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    # Why it was won or lost: a value of the close_reason list, chosen when it is closed.
    close_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    initiated_by_type: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    initiated_by_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), index=True)
    competitors: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    stage_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("sales_stage.id", ondelete="SET NULL"), index=True
    )
    stage_entered_on: so.Mapped[Optional[dt.date]]
    reminder_at: so.Mapped[Optional[dt.datetime]]
    comments: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Replies in a conversation already linked to this opportunity are linked too.
    follow_conversations: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"))

    stage: so.Mapped[Optional[SalesStage]] = so.relationship(lazy="joined")
    link_account: so.Mapped[Optional[Account]] = so.relationship(foreign_keys=[link_account_id], lazy="joined")
    link_contact: so.Mapped[Optional[Contact]] = so.relationship(foreign_keys=[link_contact_id], lazy="joined")
    assignee: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[assigned_to])
    lines: so.Mapped[list["OpportunityLine"]] = so.relationship(
        cascade="all, delete-orphan", order_by="OpportunityLine.position", lazy="selectin"
    )
    checklist: so.Mapped[list["ChecklistMark"]] = so.relationship(cascade="all, delete-orphan", lazy="selectin")
    categories: so.Mapped[list[Category]] = so.relationship(secondary=opportunity_category, lazy="selectin")
    projects: so.Mapped[list["Project"]] = so.relationship(  # noqa: F821 - storage.models.projects
        viewonly=True, order_by="Project.created_at", lazy="selectin")

    @property
    def status(self) -> str:
        return self.stage.outcome if self.stage is not None and self.stage.outcome else "open"

    @property
    def read_only(self) -> bool:
        return self.status != "open"

    @property
    def link_type(self) -> str:
        return "account" if self.link_account_id else "contact"

    @property
    def link_id(self) -> str:
        return self.link_account_id or self.link_contact_id  # type: ignore[return-value]

    @property
    def category_names(self) -> list[str]:
        return sorted(c.name for c in self.categories)


class OpportunityLine(Base):
    """A product/service line. `amount` is derived and stored so SQL can sum it."""

    __tablename__ = "opportunity_line"
    __table_args__ = (
        sa.CheckConstraint("discount_percent BETWEEN 0 AND 10000", name="discount"),
        sa.CheckConstraint("quantity >= 0", name="quantity"),
    )

    id: so.Mapped[IdPk]
    opportunity_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("opportunity.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    product_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    quantity: so.Mapped[Decimal] = so.mapped_column(ScaledDecimal(3))
    unit_price: so.Mapped[Decimal]
    discount_percent: so.Mapped[Decimal] = so.mapped_column(default=Decimal("0.00"))
    amount: so.Mapped[Decimal]


class ChecklistMark(Base):
    """An activity of a stage marked done on one opportunity.

    The checklist shown is always the current stage's activities; a mark survives a
    change of stage (coming back keeps it) and goes with the activity when it is deleted.
    """

    __tablename__ = "checklist_mark"

    opportunity_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("sales_activity.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    done_at: so.Mapped[dt.datetime]


class OpportunityChange(Base):
    """One entry of an opportunity's change log: who changed which field when, from what to what."""

    __tablename__ = "opportunity_change"
    __table_args__ = (sa.Index("ix_opportunity_change_opportunity_at", "opportunity_id", "changed_at"),)

    id: so.Mapped[IdPk]
    opportunity_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("opportunity.id", ondelete="CASCADE")
    )
    user_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32), sa.ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: so.Mapped[dt.datetime]
    field: so.Mapped[str] = so.mapped_column(sa.String(30))
    old_value: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    new_value: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
