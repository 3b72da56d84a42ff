"""Declarative base, naming convention and the column aliases every model shares."""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.types import ScaledDecimal, UtcDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """Opaque, time-ordered id: 48-bit milliseconds + 80 random bits, 32 hex chars.

    Time order keeps B-tree inserts local and makes `id` a stable tie-breaker for
    keyset pagination.
    """
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    return f"{millis:012x}{_random_bits()}"


_RANDOM = threading.local()


def _random_bits() -> str:
    """80 bits from os.urandom, read 4 KB at a time: a first sync stores tens of thousands of rows,
    and one getrandom() system call per id was 8 % of its time. Per thread, and never across a
    fork (a forked worker must not reuse its parent's unread bytes)."""
    pool = getattr(_RANDOM, "pool", b"")
    if len(pool) < 10 or _RANDOM.pid != os.getpid():
        pool, _RANDOM.pid = os.urandom(4096), os.getpid()
    _RANDOM.pool = pool[10:]
    return pool[:10].hex()


IdPk = Annotated[str, so.mapped_column(sa.String(32), primary_key=True, default=new_id)]
Str200 = Annotated[str, so.mapped_column(sa.String(200))]
Money = Annotated[Decimal, so.mapped_column(ScaledDecimal(2))]
Timestamp = Annotated[dt.datetime, so.mapped_column(UtcDateTime(), default=utcnow)]


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UtcDateTime(),
        Decimal: ScaledDecimal(2),
        str: sa.String(200),
    }


class WorkspaceOwned:
    """Every CRM record belongs to exactly one workspace; queries always filter on it."""

    workspace_id: so.Mapped[str] = so.mapped_column(
        sa.String(32), sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )


class Versioned:
    """Optimistic concurrency: `version` goes up on every UPDATE (ETag / If-Match)."""

    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    created_at: so.Mapped[Timestamp]
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    @so.declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
