"""Column types that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")

# The bounds of every money and quantity value, stated once; the services refuse more (422 on the field).
MAX_MONEY = Decimal("999999999999.99")  # a unit price, a line's amount, an opportunity's total: 12 digits
MAX_QUANTITY = Decimal("1000000000")  # a line's quantity (3 decimal places)
MAX_PERCENT = Decimal(100)  # a line's discount (2 decimal places)
# Stored as scaled integers in a BIGINT: MAX_MONEY is 10**14 cents, MAX_QUANTITY 10**12 thousandths,
# far below 2**63 - 1, and 500 lines of MAX_MONEY would still fit (the total itself is held to MAX_MONEY).
BIGINT_MAX = 2**63 - 1


def round_money(value: Decimal) -> Decimal:
    """Half-up to cents, as BCM and accountants do (never banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class ScaledDecimal(TypeDecorator):
    """An exact decimal stored as a scaled integer (cents for money).

    SQLite has no exact decimal type; an integer is exact on both databases and
    still sums and sorts in SQL.
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, places: int = 2):
        super().__init__()
        self.places = places
        self.factor = 10**places
        self.quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        # The services bound every value first; this never lets the driver fail or store something else.
        if not value.is_finite() or abs(value) * self.factor > BIGINT_MAX:
            raise ValueError(f"{value} does not fit a {self.places}-place scaled BIGINT")
        return int(value.quantize(self.quantum, rounding=ROUND_HALF_UP) * self.factor)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / self.factor).quantize(self.quantum)


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored date-time needs a time zone")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SpokenText(TypeDecorator):
    """A sentence for people kept in a column (a mailbox's status_detail): a storage.i18n.Text is stored
    with its msgid and parameters (JSON, marked by a leading NUL-free "\x1e" record separator) so the API
    can say it in the reader's language; plain strings (and rows written before) read back as they are.
    A Text whose JSON would not fit is stored as its English words."""

    impl = sa.String
    cache_ok = True
    MARK = "\x1e"

    def process_bind_param(self, value, dialect):
        from storage.i18n import Text, to_data  # noqa: PLC0415

        if isinstance(value, Text):
            import json  # noqa: PLC0415

            encoded = self.MARK + json.dumps(to_data(value), ensure_ascii=False, separators=(",", ":"))
            if self.impl.length is None or len(encoded) <= self.impl.length:
                return encoded
            value = str(value)
        if value is not None and self.impl.length is not None:
            value = value[: self.impl.length]
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, str) and value.startswith(self.MARK):
            import json  # noqa: PLC0415

            from storage.i18n import from_data  # noqa: PLC0415

            try:
                return from_data(json.loads(value[1:]))
            except ValueError:
                return value[1:]
        return value
