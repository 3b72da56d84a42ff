"""Accounts, business contacts, marketing activities, products and categories."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from .base import Base, IdPk, Versioned, WorkspaceOwned


class Category(WorkspaceOwned, Base):
    """An Outlook-style category of the workspace; records carry any number of them."""

    __tablename__ = "category"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(100))


def _category_link_table(record: str) -> sa.Table:
    return sa.Table(
        f"{record}_category",
        Base.metadata,
        sa.Column(f"{record}_id", sa.String(32), sa.ForeignKey(f"{record}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("category_id", sa.String(32), sa.ForeignKey("category.id", ondelete="CASCADE"), primary_key=True, index=True),
    )


account_category = _category_link_table("account")
contact_category = _category_link_table("contact")
opportunity_category = _category_link_table("opportunity")


class Categorised:
    @property
    def category_names(self) -> list[str]:
        return sorted(c.name for c in self.categories)


class Account(WorkspaceOwned, Versioned, Categorised, Base):
    __tablename__ = "account"

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(50))
    web_site: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    address: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)

    domains: so.Mapped[list["AccountDomain"]] = so.relationship(
        cascade="all, delete-orphan", order_by="AccountDomain.position", lazy="selectin"
    )
    categories: so.Mapped[list[Category]] = so.relationship(secondary=account_category, lazy="selectin")

    @property
    def email_domains(self) -> list[str]:
        return [d.domain for d in self.domains]


class AccountDomain(WorkspaceOwned, Base):
    """An e-mail domain of an account (lower case); the pane matches senders by it."""

    __tablename__ = "account_domain"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "domain"),
        sa.Index("ix_account_domain_lookup", "workspace_id", "domain"),
    )

    id: so.Mapped[IdPk]
    # the (workspace_id, domain) lookup index leads with it: no index of its own
    workspace_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    account_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("account.id", ondelete="CASCADE"))
    domain: so.Mapped[str] = so.mapped_column(sa.String(255))
    position: so.Mapped[int] = so.mapped_column(default=0)


class Contact(WorkspaceOwned, Versioned, Categorised, Base):
    """A business contact (a person), optionally working for an account."""

    __tablename__ = "contact"

    id: so.Mapped[IdPk]
    display_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    account_id: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(32), sa.ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    job_title: so.Mapped[Optional[str]] = so.mapped_column(sa.String(200))
    phone: so.Mapped[Optional[str]] = so.mapped_column(sa.String(50))

    addresses: so.Mapped[list["ContactEmail"]] = so.relationship(
        cascade="all, delete-orphan", order_by="ContactEmail.position", lazy="selectin"
    )
    categories: so.Mapped[list[Category]] = so.relationship(secondary=contact_category, lazy="selectin")

    @property
    def email_addresses(self) -> list[str]:
        return [a.address for a in self.addresses]


class ContactEmail(WorkspaceOwned, Base):
    """An e-mail address of a contact (lower case); the pane and the sync match on it."""

    __tablename__ = "contact_email"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "address"),
        sa.Index("ix_contact_email_lookup", "workspace_id", "address"),
    )

    id: so.Mapped[IdPk]
    # the (workspace_id, address) lookup index leads with it: no index of its own
    workspace_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    contact_id: so.Mapped[str] = so.mapped_column(sa.String(32), sa.ForeignKey("contact.id", ondelete="CASCADE"))
    address: so.Mapped[str] = so.mapped_column(sa.String(320))
    position: so.Mapped[int] = so.mapped_column(default=0)


class MarketingActivity(WorkspaceOwned, Versioned, Base):
    """A campaign; opportunities it produced name it in `initiated_by`."""

    __tablename__ = "marketing_activity"
    __table_args__ = (sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"),)

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[Optional[str]] = so.mapped_column(sa.String(100))
    start_date: so.Mapped[Optional[dt.date]]
    end_date: so.Mapped[Optional[dt.date]]


class Product(WorkspaceOwned, Versioned, Base):
    """An item of the product and service catalogue."""

    __tablename__ = "product"

    id: so.Mapped[IdPk]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    unit_price: so.Mapped[Decimal] = so.mapped_column(default=Decimal("0.00"))
