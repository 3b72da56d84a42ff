"""Pure rules with no I/O: money arithmetic, error field paths, cursors."""
from decimal import Decimal

import pytest

from addin.errors import field_path
from storage.errors import BadInput
from storage.paging import decode_cursor, encode_cursor
from storage.services.opportunities import expected_revenue, line_amount
from storage.types import ScaledDecimal


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "amount"),
    [
        ("3", "19.99", "0", "59.97"),
        ("7", "33.33", "12.5", "204.15"),  # 204.1462... half-up
        ("0.5", "0.01", "0", "0.01"),  # 0.005 rounds up, never to even
        ("1", "0.05", "50", "0.03"),  # 0.025 -> 0.03
        ("2.5", "100.00", "100", "0.00"),
        ("1000000", "999.99", "0", "999990000.00"),
    ],
)
def test_line_amount_is_quantity_times_price_less_discount_rounded_half_up(quantity, price, discount, amount):
    assert line_amount(Decimal(quantity), Decimal(price), Decimal(discount)) == Decimal(amount)


@pytest.mark.parametrize(("total", "probability", "expected"), [
    ("59.97", 50, "29.99"), ("100.00", 0, "0.00"), ("100.00", 100, "100.00"), ("0.05", 50, "0.03"),
])
def test_expected_revenue_is_total_times_probability_rounded_half_up(total, probability, expected):
    assert expected_revenue(Decimal(total), probability) == Decimal(expected)


def test_scaled_decimal_round_trips_exactly():
    money = ScaledDecimal(2)
    for value in ("0.00", "0.10", "12345678901.99", "-5.55"):
        stored = money.process_bind_param(Decimal(value), None)
        assert isinstance(stored, int)
        assert money.process_result_value(stored, None) == Decimal(value)


@pytest.mark.parametrize(("loc", "path"), [
    (("lines", 0, "quantity"), "lines[0].quantity"),
    (("link", "id"), "link.id"),
    (("title",), "title"),
    ((), ""),
])
def test_field_paths_read_like_the_json_they_point_at(loc, path):
    assert field_path(loc) == path


def test_a_cursor_only_fits_the_listing_that_made_it():
    cursor = encode_cursor("-updated_at", "2026-01-01T00:00:00+00:00", "abc")
    with pytest.raises(BadInput):
        decode_cursor(cursor, "title", str)


@pytest.mark.parametrize("garbage", ["!!!", "e30", "bm90IGpzb24", "W10"])
def test_a_garbled_cursor_is_bad_input_not_a_crash(garbage):
    with pytest.raises(BadInput):
        decode_cursor(garbage, "title", str)
