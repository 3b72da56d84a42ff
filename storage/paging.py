"""Keyset pagination: stable pages under inserts, no OFFSET scans on big tables.

The cursor is opaque to clients: base64 of the last row's sort value and id.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import BadInput, FieldError
from storage.i18n import _

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, Decimal)):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


def _decode_value(raw: Any, python_type: type) -> Any:
    if raw is None:
        return None
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(raw)
    if python_type is dt.date:
        return dt.date.fromisoformat(raw)
    if python_type is Decimal:
        value = Decimal(str(raw))
        if not value.is_finite():
            raise ValueError("not a finite number")
        return value
    if python_type is int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not an integer")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a string")
    return raw


def encode_cursor(sort_key: str, value: Any, row_id: str) -> str:
    payload = json.dumps({"s": sort_key, "v": _encode_value(value), "id": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort_key: str, python_type: type) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["s"] != sort_key or not isinstance(data["id"], str):
            raise ValueError("cursor of another listing")
        return _decode_value(data["v"], python_type), data["id"]
    except (ValueError, ArithmeticError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        message = _("is not valid for this listing; start again without it")
        raise BadInput(_("%(field)s: %(message)s", field="cursor", message=message),
                       [FieldError("cursor", message)]) from error


def keyset_page(session: so.Session, stmt: sa.Select, *, sort_key: str, column, id_column, descending: bool,
                python_type: type, cursor: str | None, limit: int, value_of=None) -> Page:
    """One page of `stmt` ordered by `column` (NULLs last) then id.

    `stmt` selects one entity; `column` may be any SQL expression of it, with
    `value_of(row)` giving the expression's value for a loaded row.
    """
    if cursor:
        value, last_id = decode_cursor(cursor, sort_key, python_type)
        after_id = id_column > last_id
        if value is None:
            stmt = stmt.where(column.is_(None), after_id)
        else:
            beyond = column < value if descending else column > value
            stmt = stmt.where(sa.or_(beyond, column.is_(None), sa.and_(column == value, after_id)))
    order = column.desc() if descending else column.asc()
    stmt = stmt.order_by(column.is_(None), order, id_column.asc()).limit(limit + 1)
    rows = list(session.scalars(stmt).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort_key, (value_of or _attribute(column))(last), last.id)
    return Page(rows, next_cursor)


def _attribute(column):
    name = column.key
    return lambda row: getattr(row, name)
