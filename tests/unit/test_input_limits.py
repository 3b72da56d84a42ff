"""Issue 16: the e-mail check is length-first and bounded, and the money bounds fit the storage.
(bench/input_validation.py times the checks; nothing here is timed.)"""
from __future__ import annotations

from decimal import Decimal

import pytest

from storage.services import crm
from storage.types import BIGINT_MAX, MAX_MONEY, MAX_PERCENT, MAX_QUANTITY, ScaledDecimal

GOOD = ["lee.gu@northwindtraders.com", "megan+deals@fabrikam.co.uk", "a@b.io", "o'brien@contoso.com",
        "x" * 64 + "@" + "d" * 63 + ".com", "a@" + ".".join(["d" * 63] * 3) + "." + "e" * 61]
BAD = ["", "lee", "lee@", "@contoso.com", "lee@contoso", "lee@@contoso.com", "lee gu@contoso.com",
       "lee@contoso..com", "lee@.contoso.com", "lee@contoso.com.", "lee@contoso.com\n", "x" * 65 + "@contoso.com",
       "a@" + "d" * 252 + ".com"]
ADVERSARIAL = ["a@" + "." * 100_000 + "@", "a@" + "a." * 50_000 + " ", "a" * 100_000, "a@" + "b" * 100_000,
               "@" * 100_000, "a" * 50_000 + "@" + "b." * 25_000]


@pytest.mark.parametrize("address", GOOD)
def test_addresses_up_to_the_rfc_5321_limits_are_accepted(address):
    assert len(address) <= 320
    assert crm.is_email(address) and crm.EMAIL_RE.match(address)


@pytest.mark.parametrize("address", BAD)
def test_malformed_addresses_are_refused(address):
    assert not crm.is_email(address)
    assert not crm.EMAIL_RE.match(address)


@pytest.mark.parametrize("address", ["a@" + "d" * 400 + ".com", "x" * 300 + "@contoso.com", "a@" + "d." * 200 + "com"])
def test_the_pattern_itself_refuses_what_is_over_the_limits(address):
    """EMAIL_RE is used directly elsewhere (graph_sync.outbound): it must carry the length limits itself."""
    assert crm.EMAIL_RE.match(address) is None


@pytest.mark.parametrize("index", range(len(ADVERSARIAL)))
def test_100_kb_adversarial_inputs_are_refused(index):
    address = ADVERSARIAL[index]
    assert len(address) >= 100_000
    assert not crm.is_email(address)
    assert crm.EMAIL_RE.match(address) is None


def test_the_length_limit_is_64_at_255():
    assert (crm.MAX_LOCAL_PART, crm.MAX_DOMAIN, crm.MAX_EMAIL_LENGTH) == (64, 255, 320)
    assert crm.MAX_LOCAL_PART + 1 + crm.MAX_DOMAIN == crm.MAX_EMAIL_LENGTH


@pytest.mark.parametrize("domain", ["a" * 100_000, "a." * 50_000 + "com", "-" * 100_000])
def test_domain_names_are_length_first_too(domain):
    problems = crm.Problems()
    assert crm._clean_domains(problems, [domain]) == []
    assert [e.field for e in problems.errors] == ["email_domains[0]"]


# ---- money -------------------------------------------------------------------------------------

def test_the_money_bounds_fit_a_bigint_with_room_for_500_lines():
    assert MAX_MONEY == Decimal("999999999999.99") and MAX_QUANTITY == Decimal("1000000000") and MAX_PERCENT == 100
    assert int(MAX_MONEY * 100) * 500 < BIGINT_MAX
    assert int(MAX_QUANTITY * 1000) < BIGINT_MAX


@pytest.mark.parametrize(("places", "value"), [(2, Decimal("92233720368547758.08")), (3, Decimal("1e16")),
                                               (2, Decimal("-1e30"))])
def test_scaled_decimal_refuses_a_value_that_does_not_fit_instead_of_storing_something_else(places, value):
    with pytest.raises(ValueError, match="does not fit"):
        ScaledDecimal(places).process_bind_param(value, None)


def test_scaled_decimal_keeps_the_largest_values_exactly():
    money = ScaledDecimal(2)
    assert money.process_result_value(money.process_bind_param(MAX_MONEY, None), None) == MAX_MONEY
    quantity = ScaledDecimal(3)
    assert quantity.process_result_value(quantity.process_bind_param(MAX_QUANTITY, None), None) == MAX_QUANTITY
