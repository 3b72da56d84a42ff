"""Opportunities through the REST API: the BCM rules (BCM.md) as a user sees them (API.md).

Every test runs on SQLite and on PostgreSQL (the `engine` fixture is parametrised).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from storage.models import SalesActivity, SalesStage
from tests.api.conftest import MEMBER, OUTSIDER, Api, error_fields, problem

MONEY = re.compile(r"^-?\d+\.\d{2}$")


# ---- helpers ------------------------------------------------------------------------------

def today() -> dt.date:
    return dt.date.today()


def user_id(api: Api, email: str) -> str:
    members = api.ok(api.get("/members"))["items"]
    return next(m["user_id"] for m in members if m["email"] == email)


def outsider_workspace(api: Api) -> Api:
    """The outsider acting in their own workspace (created by the `api` fixture)."""
    other = api.as_(OUTSIDER)  # shares the builders' numbering, so generated names never collide
    other.ws = other.ok(other.get("/api/v1/me"))["workspaces"][0]["id"]
    return other


def fetch(api: Api, opportunity_id: str) -> dict:
    return api.ok(api.get(f"/opportunities/{opportunity_id}"))


def change(api: Api, opportunity_id: str, **changes):
    return api.patch(f"/opportunities/{opportunity_id}", changes)


def line(name: str = "Item", quantity: str = "1", unit_price: str = "10.00", **extra) -> dict:
    return {"name": name, "quantity": quantity, "unit_price": unit_price, **extra}


def close(api: Api, opportunity_id: str, stage_name: str = "Closed Won", **extra) -> dict:
    return api.ok(change(api, opportunity_id, stage_id=api.stage(stage_name)["id"], **extra))


def titles(listing: dict) -> list[str]:
    return [o["title"] for o in listing["items"]]


def list_opportunities(api: Api, **params) -> dict:
    return api.ok(api.get("/opportunities", query_string=params))


# ---- money --------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, unit_price, discount, amount", [
    ("3", "19.99", "0", "59.97"),
    ("7", "33.33", "12.5", "204.15"),  # 233.31 × 0.875 = 204.14625
    ("0.5", "19.99", "0", "10.00"),  # 9.995 rounds half-up
    ("2.5", "0.01", "0", "0.03"),  # 0.025: half-up gives 0.03 (banker's rounding would give 0.02)
    ("0.125", "1.00", "0", "0.13"),  # 0.125 → 0.13, not 0.12
    ("1", "0.05", "50", "0.03"),  # 0.025 after discount
    ("1", "10.01", "33.33", "6.67"),  # 10.01 × 0.6667 = 6.673667
    ("4", "25.00", "100", "0.00"),
    ("0", "99.99", "0", "0.00"),
])
def test_line_amount_is_quantity_times_unit_price_less_discount_rounded_half_up_to_cents(
        api, quantity, unit_price, discount, amount):
    created = api.make_opportunity(lines=[line(quantity=quantity, unit_price=unit_price, discount_percent=discount)])
    (only,) = created["lines"]
    assert only["amount"] == amount
    assert Decimal(only["quantity"]) == Decimal(quantity)
    assert Decimal(only["discount_percent"]) == Decimal(discount)
    assert fetch(api, created["id"])["lines"][0]["amount"] == amount


def test_unit_price_with_more_than_two_decimal_places_is_refused_and_nothing_is_created(api):
    account = api.make_account()
    before = list_opportunities(api)["items"]
    body = problem(api.post("/opportunities", {
        "title": "Too precise", "link": {"type": "account", "id": account["id"]},
        "lines": [line(quantity="1", unit_price="10.005")],
    }), 422)
    assert "lines[0].unit_price" in error_fields(body)
    assert list_opportunities(api)["items"] == before


@pytest.mark.parametrize("field, value", [
    ("quantity", "-1"), ("quantity", "1.0001"), ("discount_percent", "100.01"), ("discount_percent", "-5"),
    ("discount_percent", "12.345"), ("unit_price", "-0.01"),
])
def test_line_values_out_of_range_are_refused_naming_the_field(api, field, value):
    account = api.make_account()
    body = problem(api.post("/opportunities", {
        "title": "Bad line", "link": {"type": "account", "id": account["id"]},
        "lines": [line(), line(**{field: value})],
    }), 422)
    assert f"lines[1].{field}" in error_fields(body)


def test_total_is_the_sum_of_the_lines_and_expected_revenue_is_total_times_probability(api):
    created = api.make_opportunity(probability=35, lines=[
        line("Seats", "3", "19.99"),
        line("Consulting", "7", "33.33", discount_percent="12.5"),
        line("Half a day", "0.5", "19.99"),
    ])
    assert [l["amount"] for l in created["lines"]] == ["59.97", "204.15", "10.00"]
    assert created["total"] == "274.12"
    assert created["expected_revenue"] == "95.94"  # 274.12 × 0.35 = 95.942


@pytest.mark.parametrize("lines, probability, expected_revenue", [
    ([line(quantity="3", unit_price="19.99")], 50, "29.99"),  # 29.985
    ([line(quantity="1", unit_price="0.10")], 25, "0.03"),  # 0.025
    ([line(quantity="1", unit_price="0.01")], 50, "0.01"),  # 0.005
    ([line(quantity="1", unit_price="1000.00")], 0, "0.00"),
    ([], 80, "0.00"),
])
def test_expected_revenue_is_rounded_half_up(api, lines, probability, expected_revenue):
    created = api.make_opportunity(lines=lines, probability=probability)
    assert created["expected_revenue"] == expected_revenue


def test_expected_revenue_follows_changes_of_probability_and_lines(api):
    created = api.make_opportunity(probability=10, lines=[line(quantity="2", unit_price="50.00")])
    assert (created["total"], created["expected_revenue"]) == ("100.00", "10.00")
    changed = api.ok(change(api, created["id"], probability=75))
    assert (changed["total"], changed["expected_revenue"]) == ("100.00", "75.00")
    changed = api.ok(change(api, created["id"], lines=[line(quantity="3", unit_price="50.00")]))
    assert (changed["total"], changed["expected_revenue"]) == ("150.00", "112.50")
    assert fetch(api, created["id"])["expected_revenue"] == "112.50"


def test_money_is_always_a_string_with_two_decimal_places(api):
    created = api.make_opportunity(probability=50, lines=[line(quantity="1", unit_price="20")])
    fetched = fetch(api, created["id"])
    for record in (created, fetched):
        for value in (record["total"], record["expected_revenue"], record["lines"][0]["unit_price"],
                      record["lines"][0]["amount"]):
            assert isinstance(value, str) and MONEY.match(value), value
        assert record["lines"][0]["unit_price"] == "20.00"
        assert record["total"] == "20.00"
        assert record["expected_revenue"] == "10.00"


def test_a_line_from_a_product_takes_the_product_name_and_unit_price_by_default(api):
    product = api.make_product(name="Widget", unit_price="12.50", description="A fine widget")
    created = api.make_opportunity(lines=[{"product_id": product["id"], "quantity": "2"}])
    (only,) = created["lines"]
    assert only["product_id"] == product["id"]
    assert only["name"] == "Widget"
    assert only["unit_price"] == "12.50"
    assert only["amount"] == "25.00"
    assert created["total"] == "25.00"


def test_a_line_from_a_product_may_set_its_own_name_and_unit_price(api):
    product = api.make_product(name="Widget", unit_price="12.50")
    created = api.make_opportunity(lines=[{"product_id": product["id"], "name": "Widget (special)",
                                           "quantity": "2", "unit_price": "10.00"}])
    (only,) = created["lines"]
    assert (only["product_id"], only["name"], only["unit_price"], only["amount"]) == (
        product["id"], "Widget (special)", "10.00", "20.00")


def test_a_line_without_a_product_needs_a_name_and_a_unit_price(api):
    account = api.make_account()
    body = problem(api.post("/opportunities", {
        "title": "Nameless", "link": {"type": "account", "id": account["id"]},
        "lines": [{"quantity": "1", "unit_price": "5.00"}, {"name": "Priceless", "quantity": "1"}],
    }), 422)
    assert {"lines[0].name", "lines[1].unit_price"} <= error_fields(body)


def test_a_product_of_another_workspace_cannot_be_used_on_a_line(api):
    foreign = outsider_workspace(api).make_product(name="Foreign", unit_price="1.00")
    account = api.make_account()
    body = problem(api.post("/opportunities", {
        "title": "Smuggler", "link": {"type": "account", "id": account["id"]},
        "lines": [{"product_id": foreign["id"], "quantity": "1"}],
    }), 422)
    assert "lines[0].product_id" in error_fields(body)


def test_editing_lines_by_id_keeps_the_line_id_and_omitted_lines_are_removed(api):
    created = api.make_opportunity(lines=[line("Kept", "1", "10.00"), line("Dropped", "1", "99.00")])
    kept, dropped = created["lines"]
    edited = dict(kept, quantity="4", description="now four")  # the line as fetched, amount included
    changed = api.ok(change(api, created["id"], lines=[edited, line("Added", "1", "5.00")]))
    assert [l["name"] for l in changed["lines"]] == ["Kept", "Added"]
    assert changed["lines"][0]["id"] == kept["id"]
    assert changed["lines"][0]["amount"] == "40.00"
    assert changed["lines"][0]["description"] == "now four"
    assert changed["lines"][1]["id"] not in (kept["id"], dropped["id"])
    assert changed["total"] == "45.00"
    assert fetch(api, created["id"])["lines"] == changed["lines"]


def test_a_line_id_of_another_opportunity_is_refused(api):
    other = api.make_opportunity(lines=[line("Theirs")])
    mine = api.make_opportunity(lines=[line("Mine")])
    body = problem(change(api, mine["id"], lines=[dict(other["lines"][0], name="Stolen")]), 422)
    assert "lines[0].id" in error_fields(body)
    assert fetch(api, other["id"])["lines"] == other["lines"]
    assert fetch(api, mine["id"])["lines"] == mine["lines"]


def test_sending_no_lines_removes_them_all(api):
    created = api.make_opportunity(probability=50, lines=[line(), line()])
    changed = api.ok(change(api, created["id"], lines=[]))
    assert (changed["lines"], changed["total"], changed["expected_revenue"]) == ([], "0.00", "0.00")


# ---- the link ---------------------------------------------------------------------------

def test_an_opportunity_without_a_link_is_refused(api):
    body = problem(api.post("/opportunities", {"title": "Orphan"}), 422)
    assert "link" in error_fields(body)


def test_an_opportunity_without_a_title_is_refused(api):
    account = api.make_account()
    body = problem(api.post("/opportunities", {"title": "  ", "link": {"type": "account", "id": account["id"]}}), 422)
    assert "title" in error_fields(body)


@pytest.mark.parametrize("case", ["type_mismatch", "unknown_id", "other_workspace", "two_records"])
def test_the_link_must_be_exactly_one_record_of_this_workspace(api, case):
    contact = api.make_contact()
    account = api.make_account()
    link = {
        "type_mismatch": {"type": "account", "id": contact["id"]},
        "unknown_id": {"type": "contact", "id": "0" * 32},
        "other_workspace": {"type": "account", "id": outsider_workspace(api).make_account()["id"]},
        "two_records": {"type": "account", "id": account["id"], "contact_id": contact["id"]},
    }[case]
    before = list_opportunities(api)["items"]
    problem(api.post("/opportunities", {"title": "Bad link", "link": link}), 422)
    assert list_opportunities(api)["items"] == before


def test_the_link_can_be_changed_from_an_account_to_a_contact(api):
    account = api.make_account(name="Fabrikam")
    contact = api.make_contact(display_name="Anna Meyer")
    created = api.make_opportunity(link={"type": "account", "id": account["id"]})
    assert created["link"] == {"type": "account", "id": account["id"], "name": "Fabrikam"}

    changed = api.ok(change(api, created["id"], link={"type": "contact", "id": contact["id"]}))
    assert changed["link"] == {"type": "contact", "id": contact["id"], "name": "Anna Meyer"}
    assert fetch(api, created["id"])["link"] == changed["link"]
    assert created["id"] not in [o["id"] for o in list_opportunities(
        api, link_type="account", link_id=account["id"])["items"]]
    assert [o["id"] for o in list_opportunities(api, link_type="contact", link_id=contact["id"])["items"]] == [
        created["id"]]


def test_a_new_opportunity_gets_the_default_stage_and_its_creator_as_assignee(api, member_api):
    prospecting = api.stage("Prospecting")
    assert prospecting["is_default"] is True
    by_owner = api.make_opportunity()
    by_member = member_api.make_opportunity(link={"type": "account", "id": api.make_account()["id"]})
    assert by_owner["stage_id"] == by_member["stage_id"] == prospecting["id"]
    assert by_owner["status"] == "open" and by_owner["read_only"] is False
    assert by_owner["assigned_to"] == user_id(api, "owner@contoso.com")
    assert by_member["assigned_to"] == user_id(api, MEMBER)
    assert by_owner["version"] == 1


def test_stage_id_null_is_allowed_and_leaves_the_opportunity_without_a_stage(api):
    created = api.make_opportunity(stage_id=None)
    assert created["stage_id"] is None
    assert created["status"] == "open"
    assert created["activities"] == []
    staged = api.make_opportunity()
    cleared = api.ok(change(api, staged["id"], stage_id=None))
    assert cleared["stage_id"] is None and cleared["activities"] == []
    assert fetch(api, staged["id"])["stage_id"] is None


def test_a_stage_of_another_workspace_is_refused(api):
    other = outsider_workspace(api)
    foreign_stage = other.stage("Proposal")["id"]
    created = api.make_opportunity()
    body = problem(change(api, created["id"], stage_id=foreign_stage), 422)
    assert "stage_id" in error_fields(body)
    assert fetch(api, created["id"])["stage_id"] == created["stage_id"]


@pytest.mark.parametrize("field, good, bad", [
    ("type", "Renewal", "Charity"), ("payment_terms", "Net 30", "Net 999"), ("source", "Trade show", "Rumour"),
])
def test_list_fields_accept_only_values_of_their_list(api, field, good, bad):
    created = api.make_opportunity(**{field: good})
    assert created[field] == good
    body = problem(change(api, created["id"], **{field: bad}), 422)
    assert field in error_fields(body)
    assert fetch(api, created["id"])[field] == good


def test_assigned_to_must_be_a_member_of_the_workspace(api):
    other = outsider_workspace(api)
    outsider_id = other.ok(other.get("/api/v1/me"))["user"]["id"]
    created = api.make_opportunity()
    body = problem(change(api, created["id"], assigned_to=outsider_id), 422)
    assert "assigned_to" in error_fields(body)
    member_id = user_id(api, MEMBER)
    assert api.ok(change(api, created["id"], assigned_to=member_id))["assigned_to"] == member_id


def test_another_workspace_never_sees_the_opportunity(api, outsider_api):
    created = api.make_opportunity()
    other = outsider_workspace(api)
    for response in (other.get(f"/opportunities/{created['id']}"),
                     other.patch(f"/opportunities/{created['id']}", {"title": "Mine now"}),
                     other.delete(f"/opportunities/{created['id']}"),
                     outsider_api.get(f"/opportunities/{created['id']}")):
        problem(response, 404)
    assert fetch(api, created["id"])["title"] == created["title"]


def test_the_record_as_fetched_can_be_sent_back_with_patch(api):
    """Input models ignore the read-only fields of a fetched record (schemas.Input), so a client
    may PATCH what it got from GET with one field changed."""
    created = api.make_opportunity(lines=[line("Seats", "2", "10.00")], categories=["Hot"])
    fetched = fetch(api, created["id"])
    changed = api.ok(change(api, created["id"], **dict(fetched, title="Renamed")))
    assert changed["title"] == "Renamed"
    assert changed["lines"] == fetched["lines"]


def test_delete_removes_an_open_opportunity(api):
    created = api.make_opportunity()
    response = api.delete(f"/opportunities/{created['id']}")
    assert response.status_code == 204
    problem(api.get(f"/opportunities/{created['id']}"), 404)


# ---- closing and reopening ---------------------------------------------------------------

def test_closed_won_sets_probability_100_status_won_read_only_and_close_date_today(api):
    created = api.make_opportunity(probability=30, lines=[line(quantity="1", unit_price="80.00")])
    closed = close(api, created["id"], "Closed Won")
    assert closed["probability"] == 100
    assert closed["status"] == "won"
    assert closed["read_only"] is True
    assert closed["close_date"] == today().isoformat()
    assert closed["expected_revenue"] == "80.00"
    assert fetch(api, created["id"]) == closed


def test_closed_won_keeps_the_actual_close_date_given(api):
    created = api.make_opportunity(close_date="2031-06-30")
    closed = close(api, created["id"], "Closed Won", close_date="2024-02-29")
    assert closed["close_date"] == "2024-02-29"


def test_closed_lost_sets_probability_0_and_status_lost(api):
    created = api.make_opportunity(probability=90, lines=[line(quantity="1", unit_price="80.00")])
    closed = close(api, created["id"], "Closed Lost")
    assert (closed["probability"], closed["status"], closed["read_only"]) == (0, "lost", True)
    assert closed["expected_revenue"] == "0.00"
    assert closed["close_date"] == today().isoformat()


@pytest.mark.parametrize("stage_name, probability", [("Closed Won", 50), ("Closed Won", 0), ("Closed Lost", 100)])
def test_a_probability_contradicting_the_closing_stage_is_refused_and_nothing_changes(api, stage_name, probability):
    created = api.make_opportunity(probability=20)
    body = problem(change(api, created["id"], stage_id=api.stage(stage_name)["id"], probability=probability), 422)
    assert "probability" in error_fields(body)
    assert fetch(api, created["id"]) == created


def test_the_matching_probability_may_be_sent_with_the_closing_stage(api):
    created = api.make_opportunity(probability=20)
    closed = close(api, created["id"], "Closed Won", probability=100)
    assert (closed["status"], closed["probability"]) == ("won", 100)


def test_an_opportunity_created_in_a_closing_stage_is_closed(api):
    created = api.make_opportunity(stage_id=api.stage("Closed Lost")["id"], close_date="2024-01-15")
    assert (created["status"], created["probability"], created["read_only"], created["close_date"]) == (
        "lost", 0, True, "2024-01-15")


@pytest.mark.parametrize("stage_name", ["Closed Won", "Closed Lost"])
def test_a_closed_opportunity_answers_409_to_every_change(api, stage_name):
    created = api.make_opportunity(lines=[line()])
    closed = close(api, created["id"], stage_name)
    oid = created["id"]
    attempts = [
        change(api, oid, title="Sneaky edit"),
        change(api, oid, probability=closed["probability"]),
        change(api, oid, stage_id=api.stage("Proposal")["id"]),
        change(api, oid, lines=[]),
        change(api, oid, categories=["Late"]),
        api.post(f"/opportunities/{oid}/comments", {"text": "After the fact", "timestamp": False}),
        api.delete(f"/opportunities/{oid}"),
    ]
    for response in attempts:
        problem(response, 409)
    assert fetch(api, oid) == closed


def test_reopen_puts_a_closed_opportunity_back_in_an_open_stage_and_it_is_editable_again(api):
    created = api.make_opportunity()
    close(api, created["id"], "Closed Lost")
    proposal = api.stage("Proposal")
    reopened = api.ok(api.post(f"/opportunities/{created['id']}/reopen", {"stage_id": proposal["id"]}))
    assert reopened["stage_id"] == proposal["id"]
    assert (reopened["status"], reopened["read_only"]) == ("open", False)
    assert [a["activity_id"] for a in reopened["activities"]] == [a["id"] for a in proposal["activities"]]
    edited = api.ok(change(api, created["id"], title="Second chance", probability=40))
    assert (edited["title"], edited["probability"]) == ("Second chance", 40)


@pytest.mark.parametrize("stage_name", ["Closed Won", "Closed Lost"])
def test_reopen_into_a_closing_stage_is_refused(api, stage_name):
    created = api.make_opportunity()
    closed = close(api, created["id"], "Closed Won")
    body = problem(api.post(f"/opportunities/{created['id']}/reopen", {"stage_id": api.stage(stage_name)["id"]}), 422)
    assert "stage_id" in error_fields(body)
    assert fetch(api, created["id"]) == closed


def test_reopen_of_an_open_opportunity_is_a_conflict(api):
    created = api.make_opportunity()
    problem(api.post(f"/opportunities/{created['id']}/reopen", {"stage_id": api.stage("Proposal")["id"]}), 409)


def test_only_the_owner_or_the_assignee_may_reopen(api, member_api):
    not_theirs = api.make_opportunity()
    theirs = api.make_opportunity(assigned_to=user_id(api, MEMBER))
    for record in (not_theirs, theirs):
        close(api, record["id"], "Closed Won")
    stage_id = api.stage("Negotiation")["id"]
    problem(member_api.post(f"/opportunities/{not_theirs['id']}/reopen", {"stage_id": stage_id}), 403)
    assert fetch(api, not_theirs["id"])["status"] == "won"
    assert member_api.ok(member_api.post(f"/opportunities/{theirs['id']}/reopen", {"stage_id": stage_id}))[
        "status"] == "open"


# ---- version, ETag, If-Match --------------------------------------------------------------

def test_version_and_etag_go_up_with_every_change(api):
    created_response = api.post("/opportunities", {
        "title": "Versioned", "link": {"type": "account", "id": api.make_account()["id"]}})
    created = api.ok(created_response, 201)
    assert created_response.headers["ETag"] == f'"{created["version"]}"'
    oid = created["id"]
    first_activity = created["activities"][0]["activity_id"]
    steps = [
        lambda: change(api, oid, title="Versioned, renamed"),
        lambda: change(api, oid, lines=[line()]),
        lambda: change(api, oid, activities=[{"activity_id": first_activity, "done": True}]),
        lambda: change(api, oid, categories=["Hot"]),
        lambda: api.post(f"/opportunities/{oid}/comments", {"text": "note", "timestamp": False}),
        lambda: change(api, oid, stage_id=api.stage("Closed Won")["id"]),
        lambda: api.post(f"/opportunities/{oid}/reopen", {"stage_id": api.stage("Proposal")["id"]}),
    ]
    version = created["version"]
    for step in steps:
        response = step()
        record = api.ok(response)
        assert record["version"] > version, (record["version"], version)
        assert response.headers["ETag"] == f'"{record["version"]}"'
        version = record["version"]
        got = api.get(f"/opportunities/{oid}")
        assert got.headers["ETag"] == f'"{version}"'
        assert got.get_json()["version"] == version  # reading changes nothing


def test_if_match_with_a_stale_version_is_refused_with_412_and_changes_nothing(api):
    created = api.make_opportunity(title="Original")
    current = api.ok(change(api, created["id"], probability=10))
    stale = {"If-Match": f'"{created["version"]}"'}
    problem(api.patch(f"/opportunities/{created['id']}", {"title": "Overwrite"}, headers=stale), 412)
    problem(api.delete(f"/opportunities/{created['id']}", headers=stale), 412)
    problem(api.post(f"/opportunities/{created['id']}/comments", {"text": "x", "timestamp": False}, headers=stale), 412)
    assert fetch(api, created["id"]) == current


@pytest.mark.parametrize("header", ['"{v}"', 'W/"{v}"', '"999", "{v}"', "*"])
def test_if_match_with_the_current_version_is_honoured(api, header):
    created = api.make_opportunity()
    response = api.patch(f"/opportunities/{created['id']}", {"title": "Guarded"},
                         headers={"If-Match": header.format(v=created["version"])})
    assert api.ok(response)["title"] == "Guarded"


# ---- bulk assign and bulk close -----------------------------------------------------------

@pytest.fixture
def bulk_mix(api):
    """Two good ids, an unknown one, an already closed one and another workspace's one."""
    good = [api.make_opportunity()["id"], api.make_opportunity()["id"]]
    closed = api.make_opportunity()
    closed = close(api, closed["id"], "Closed Lost")
    other = outsider_workspace(api)
    foreign = other.make_opportunity()
    unknown = "f" * 32
    return {"good": good, "closed": closed, "foreign": foreign, "other": other, "unknown": unknown,
            "ids": [good[0], unknown, closed["id"], foreign["id"], good[1]]}


def check_failures(result: dict, mix: dict) -> None:
    failed = {f["id"]: f for f in result["failed"]}
    assert set(failed) == {mix["unknown"], mix["closed"]["id"], mix["foreign"]["id"]}
    assert failed[mix["unknown"]]["status"] == 404
    assert failed[mix["foreign"]["id"]]["status"] == 404
    assert failed[mix["closed"]["id"]]["status"] == 409
    assert all(f["detail"] for f in failed.values())


def test_bulk_assign_updates_the_good_ids_and_reports_each_failure(api, bulk_mix):
    member_id = user_id(api, MEMBER)
    result = api.ok(api.post("/opportunities/bulk-assign", {"ids": bulk_mix["ids"], "assigned_to": member_id}))
    assert sorted(result["updated"]) == sorted(bulk_mix["good"])
    check_failures(result, bulk_mix)
    for oid in bulk_mix["good"]:
        assert fetch(api, oid)["assigned_to"] == member_id
    assert fetch(api, bulk_mix["closed"]["id"]) == bulk_mix["closed"]
    other = bulk_mix["other"]
    assert other.ok(other.get(f"/opportunities/{bulk_mix['foreign']['id']}")) == bulk_mix["foreign"]


def test_bulk_assign_to_someone_who_is_not_a_member_is_refused_and_changes_nothing(api, bulk_mix):
    before = {oid: fetch(api, oid) for oid in bulk_mix["good"]}
    outsider_id = bulk_mix["other"].ok(bulk_mix["other"].get("/api/v1/me"))["user"]["id"]
    body = problem(api.post("/opportunities/bulk-assign", {"ids": bulk_mix["good"], "assigned_to": outsider_id}), 422)
    assert "assigned_to" in error_fields(body)
    assert {oid: fetch(api, oid) for oid in bulk_mix["good"]} == before


@pytest.mark.parametrize("outcome, probability", [("won", 100), ("lost", 0)])
def test_bulk_close_closes_the_good_ids_and_reports_each_failure(api, bulk_mix, outcome, probability):
    result = api.ok(api.post("/opportunities/bulk-close",
                             {"ids": bulk_mix["ids"], "outcome": outcome, "close_date": "2024-12-31"}))
    assert sorted(result["updated"]) == sorted(bulk_mix["good"])
    check_failures(result, bulk_mix)
    for oid in bulk_mix["good"]:
        record = fetch(api, oid)
        assert (record["status"], record["probability"], record["read_only"], record["close_date"]) == (
            outcome, probability, True, "2024-12-31")
    assert fetch(api, bulk_mix["closed"]["id"]) == bulk_mix["closed"]
    other = bulk_mix["other"]
    assert other.ok(other.get(f"/opportunities/{bulk_mix['foreign']['id']}")) == bulk_mix["foreign"]


def test_bulk_close_without_a_date_closes_today(api):
    ids = [api.make_opportunity(close_date="2030-01-01")["id"] for _ in range(2)]
    result = api.ok(api.post("/opportunities/bulk-close", {"ids": ids, "outcome": "won"}))
    assert sorted(result["updated"]) == sorted(ids) and result["failed"] == []
    assert {fetch(api, oid)["close_date"] for oid in ids} == {today().isoformat()}


# ---- comments -----------------------------------------------------------------------------

STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2})\b(.*)$", re.S)


def test_a_comment_with_time_stamp_appends_a_paragraph_headed_with_local_time_and_author(api):
    created = api.make_opportunity(comments="Met at the fair.")
    author = api.ok(api.get("/api/v1/me"))["user"]["display_name"]
    berlin = ZoneInfo("Europe/Berlin")
    before = dt.datetime.now(berlin).replace(second=0, microsecond=0, tzinfo=None)
    record = api.ok(api.post(f"/opportunities/{created['id']}/comments",
                             {"text": "Called the buyer.", "timestamp": True, "time_zone": "Europe/Berlin"}))
    after = dt.datetime.now(berlin).replace(tzinfo=None)
    first, paragraph = record["comments"].split("\n\n")
    assert first == "Met at the fair."
    match = STAMP.match(paragraph)
    assert match, paragraph
    stamped = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M")
    assert before <= stamped <= after, (before, stamped, after)  # Berlin time, not UTC
    assert author and author in match.group(2)
    assert paragraph.endswith("Called the buyer.")
    assert fetch(api, created["id"])["comments"] == record["comments"]


def test_a_comment_without_time_stamp_appends_the_text_only(api):
    created = api.make_opportunity()
    first = api.ok(api.post(f"/opportunities/{created['id']}/comments", {"text": "First.", "timestamp": False}))
    assert first["comments"] == "First."
    second = api.ok(api.post(f"/opportunities/{created['id']}/comments", {"text": "Second.", "timestamp": False}))
    assert second["comments"] == "First.\n\nSecond."


def test_a_comment_with_an_unknown_time_zone_is_refused_and_changes_nothing(api):
    created = api.make_opportunity(comments="Unchanged.")
    body = problem(api.post(f"/opportunities/{created['id']}/comments",
                            {"text": "Lost in time", "timestamp": True, "time_zone": "Mars/Olympus_Mons"}), 422)
    assert "time_zone" in error_fields(body)
    assert fetch(api, created["id"]) == created


# ---- the sales activities checklist ---------------------------------------------------------

def expected_checklist(stage: dict, entered: dt.date) -> list[dict]:
    """The stage's activities from the sales-stages listing, none done; a reminder activity is
    due on the day the stage was entered plus the durations up to and including it."""
    result, elapsed = [], 0
    for activity in stage["activities"]:
        elapsed += activity["duration_days"]
        due = (entered + dt.timedelta(days=elapsed)).isoformat() if activity["reminder"] else None
        result.append({"activity_id": activity["id"], "name": activity["name"], "done": False, "due_date": due})
    return result


def test_a_new_opportunity_shows_the_default_stage_checklist_not_done_with_due_dates(api):
    created = api.make_opportunity()
    prospecting = api.stage("Prospecting")
    assert prospecting["activities"], "the default stage of a new workspace has activities"
    assert created["activities"] == expected_checklist(prospecting, today())


@pytest.mark.parametrize("stage_name", ["Qualification", "Needs Analysis", "Proposal", "Negotiation"])
def test_the_checklist_follows_the_stage_the_opportunity_is_moved_to(api, stage_name):
    created = api.make_opportunity()
    stage = api.stage(stage_name)
    moved = api.ok(change(api, created["id"], stage_id=stage["id"]))
    assert moved["activities"] == expected_checklist(stage, today())
    assert fetch(api, created["id"])["activities"] == moved["activities"]


def test_a_custom_stage_checklist_accumulates_durations_and_dates_only_reminders(api, app):
    # The stage is stored directly: this test is about the checklist, not about editing stages.
    with app.extensions["dealpane"].session_factory() as session:
        stage = SalesStage(workspace_id=api.ws, name="Pilot", position=4)
        stage.activities = [SalesActivity(name=name, position=i, duration_days=days, reminder=reminder)
                            for i, (name, days, reminder) in enumerate(
                                (("Install", 2, True), ("Train users", 4, False), ("Review", 1, True)))]
        session.add(stage)
        session.commit()
    pilot = api.stage("Pilot")
    created = api.make_opportunity(stage_id=pilot["id"])
    assert created["activities"] == expected_checklist(pilot, today())
    assert [a["due_date"] for a in created["activities"]] == [
        (today() + dt.timedelta(days=2)).isoformat(), None, (today() + dt.timedelta(days=7)).isoformat()]


def test_marking_an_activity_done_ticks_that_one_only_and_can_be_undone(api):
    created = api.make_opportunity()
    first, second = (a["activity_id"] for a in created["activities"])
    ticked = api.ok(change(api, created["id"], activities=[{"activity_id": second, "done": True}]))
    assert {a["activity_id"]: a["done"] for a in ticked["activities"]} == {first: False, second: True}
    assert fetch(api, created["id"])["activities"] == ticked["activities"]
    unticked = api.ok(change(api, created["id"], activities=[{"activity_id": second, "done": False}]))
    assert all(not a["done"] for a in unticked["activities"])


def test_marking_an_activity_of_another_stage_is_refused(api):
    created = api.make_opportunity()
    foreign_activity = api.stage("Negotiation")["activities"][0]["id"]
    body = problem(change(api, created["id"], activities=[{"activity_id": foreign_activity, "done": True}]), 422)
    assert "activities[0].activity_id" in error_fields(body)
    assert fetch(api, created["id"]) == created


# ---- listing: filters, sorting, cursor paging -----------------------------------------------

@pytest.fixture
def portfolio(api):
    """Five opportunities of this workspace (and one of another workspace with a matching title)."""
    member_id = user_id(api, MEMBER)
    acme = api.make_account(name="Acme")
    globex = api.make_account(name="Globex")
    anna = api.make_contact(display_name="Anna")
    made = {
        "Alpha Deal": api.make_opportunity(title="Alpha Deal", link={"type": "account", "id": acme["id"]},
                                           probability=10, close_date="2025-01-10", categories=["Hot"]),
        "beta deal": api.make_opportunity(title="beta deal", link={"type": "contact", "id": anna["id"]},
                                          stage_id=api.stage("Qualification")["id"], assigned_to=member_id,
                                          probability=40, close_date="2025-03-01"),
        "Gamma": api.make_opportunity(title="Gamma", link={"type": "account", "id": globex["id"]},
                                      stage_id=api.stage("Closed Won")["id"], close_date="2025-02-15"),
        "Delta DEAL": api.make_opportunity(title="Delta DEAL", link={"type": "account", "id": acme["id"]},
                                           stage_id=api.stage("Closed Lost")["id"], close_date="2025-04-01"),
        "Epsilon": api.make_opportunity(title="Epsilon", link={"type": "account", "id": globex["id"]},
                                        stage_id=api.stage("Proposal")["id"], assigned_to=member_id,
                                        probability=60, categories=["Hot", "Cold"]),
    }
    outsider_workspace(api).make_opportunity(title="Alpha Deal (elsewhere)", categories=["Hot"])
    return {"made": made, "acme": acme, "globex": globex, "anna": anna, "member_id": member_id}


FILTERS = {
    "stage_id": (lambda p, api: {"stage_id": api.stage("Qualification")["id"]}, {"beta deal"}),
    "status_open": (lambda p, api: {"status": "open"}, {"Alpha Deal", "beta deal", "Epsilon"}),
    "status_won": (lambda p, api: {"status": "won"}, {"Gamma"}),
    "status_lost": (lambda p, api: {"status": "lost"}, {"Delta DEAL"}),
    "assigned_to": (lambda p, api: {"assigned_to": p["member_id"]}, {"beta deal", "Epsilon"}),
    "link_account": (lambda p, api: {"link_type": "account", "link_id": p["acme"]["id"]}, {"Alpha Deal", "Delta DEAL"}),
    "link_contact": (lambda p, api: {"link_type": "contact", "link_id": p["anna"]["id"]}, {"beta deal"}),
    "link_type_only": (lambda p, api: {"link_type": "contact"}, {"beta deal"}),
    "q_case_insensitive": (lambda p, api: {"q": "deal"}, {"Alpha Deal", "beta deal", "Delta DEAL"}),
    "q_inside_a_word": (lambda p, api: {"q": "LPH"}, {"Alpha Deal"}),
    "q_wildcards_are_literal": (lambda p, api: {"q": "%"}, set()),
    "close_before": (lambda p, api: {"close_before": "2025-02-20"}, {"Alpha Deal", "Gamma"}),
    "close_after": (lambda p, api: {"close_after": "2025-02-20"}, {"beta deal", "Delta DEAL"}),
    "close_between": (lambda p, api: {"close_after": "2025-01-20", "close_before": "2025-03-15"}, {"Gamma", "beta deal"}),
    "category": (lambda p, api: {"category": "Hot"}, {"Alpha Deal", "Epsilon"}),
    "category_other": (lambda p, api: {"category": "Cold"}, {"Epsilon"}),
    "combined": (lambda p, api: {"status": "open", "assigned_to": p["member_id"], "category": "Hot"}, {"Epsilon"}),
    "none": (lambda p, api: {}, {"Alpha Deal", "beta deal", "Gamma", "Delta DEAL", "Epsilon"}),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_list_filters_return_exactly_the_matching_opportunities_of_this_workspace(api, portfolio, name):
    params, expected = FILTERS[name]
    assert set(titles(list_opportunities(api, **params(portfolio, api)))) == expected


SORTS = {
    "title": ["Alpha Deal", "beta deal", "Delta DEAL", "Epsilon", "Gamma"],
    "-title": ["Gamma", "Epsilon", "Delta DEAL", "beta deal", "Alpha Deal"],
    "close_date": ["Alpha Deal", "Gamma", "beta deal", "Delta DEAL", "Epsilon"],  # no close date: last
    "-close_date": ["Delta DEAL", "beta deal", "Gamma", "Alpha Deal", "Epsilon"],
    "-probability": ["Gamma", "Epsilon", "beta deal", "Alpha Deal", "Delta DEAL"],
    "probability": ["Delta DEAL", "Alpha Deal", "beta deal", "Epsilon", "Gamma"],
}


@pytest.mark.parametrize("sort", list(SORTS))
def test_list_is_sorted_as_asked(api, portfolio, sort):
    assert titles(list_opportunities(api, sort=sort)) == SORTS[sort]


def test_list_with_an_unknown_sort_key_is_refused(api):
    problem(api.get("/opportunities", query_string={"sort": "colour"}), 422)


PAGING_RECORDS = [  # title, close_date, probability: ties and nulls on purpose
    ("delta", "2025-01-05", 30),
    ("Alpha", None, 50),
    ("charlie", "2025-01-05", 30),
    ("Bravo", "2025-01-01", 70),
    ("echo", None, 30),
    ("Foxtrot", "2025-01-10", 10),
    ("golf", "2025-01-05", 50),
]


def sort_value(record: dict, key: str):
    value = record[key]
    if value is None:
        return None
    if key == "title":
        return value.lower()
    if key == "updated_at":
        return dt.datetime.fromisoformat(value)
    return value


def assert_sorted_nulls_last(records: list[dict], sort: str) -> None:
    key = sort.lstrip("-")
    values = [sort_value(r, key) for r in records]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), f"nulls not last: {values}"
    assert present == sorted(present, reverse=sort.startswith("-")), values


@pytest.mark.parametrize("limit", [2, 3])
@pytest.mark.parametrize("sort", [None, "title", "-title", "close_date", "-close_date", "-probability", "-updated_at"])
def test_cursor_paging_returns_every_record_exactly_once_in_order(api, sort, limit):
    created = {api.make_opportunity(title=t, close_date=d, probability=p)["id"] for t, d, p in PAGING_RECORDS}
    params = {"limit": limit, **({"sort": sort} if sort else {})}
    seen, pages, cursor = [], 0, None
    while True:
        page = list_opportunities(api, **params, **({"cursor": cursor} if cursor else {}))
        pages += 1
        assert len(page["items"]) <= limit
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "paging does not end"
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids)) == len(created), ids
    assert set(ids) == created
    assert pages == -(-len(created) // limit)
    assert_sorted_nulls_last(seen, sort or "-updated_at")
    one_page = list_opportunities(api, **({"sort": sort} if sort else {}), limit=500)
    assert [r["id"] for r in one_page["items"]] == ids
    assert one_page["next_cursor"] is None


def test_a_cursor_of_another_sort_is_refused_with_400(api):
    for t, d, p in PAGING_RECORDS[:3]:
        api.make_opportunity(title=t, close_date=d, probability=p)
    cursor = list_opportunities(api, sort="title", limit=1)["next_cursor"]
    assert cursor
    problem(api.get("/opportunities", query_string={"sort": "close_date", "cursor": cursor}), 400)
    problem(api.get("/opportunities", query_string={"cursor": "not-a-cursor"}), 400)


# ---- print --------------------------------------------------------------------------------

def test_the_print_page_is_html_with_title_lines_and_history(api):
    created = api.make_opportunity(title="Fleet renewal 2025", lines=[
        line("Service contract", "2", "150.00"), line("Spare parts", "1", "49.90")], comments="Decision in May.")
    api.ok(api.post(f"/opportunities/{created['id']}/history",
                    {"kind": "note", "subject": "Kick-off call with purchasing"}), 201)
    response = api.get(f"/opportunities/{created['id']}/print")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for text in ("Fleet renewal 2025", "Service contract", "Spare parts", "349.90", "Decision in May.",
                 "Kick-off call with purchasing", "Prospecting"):
        assert text in page, text


def test_the_print_page_escapes_every_value(api):
    script = "<script>alert(1)</script>"
    image = '<img src=x onerror="alert(2)">'
    created = api.make_opportunity(title=script, lines=[line(image, "1", "1.00", description=script)],
                                   comments=image, competitors=script)
    api.ok(api.post(f"/opportunities/{created['id']}/history", {"kind": "note", "subject": image, "body": script}), 201)
    page = api.get(f"/opportunities/{created['id']}/print").get_data(as_text=True)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x" in page


def test_the_print_page_of_another_workspace_is_not_found(api):
    created = api.make_opportunity()
    problem(outsider_workspace(api).get(f"/opportunities/{created['id']}/print"), 404)


# ---- categories ---------------------------------------------------------------------------

def test_categories_are_returned_sorted_without_duplicates_and_can_be_replaced(api):
    created = api.make_opportunity(categories=["Zeta", "Alpha", "Mid", "Alpha"])
    assert created["categories"] == ["Alpha", "Mid", "Zeta"]
    assert fetch(api, created["id"])["categories"] == ["Alpha", "Mid", "Zeta"]
    replaced = api.ok(change(api, created["id"], categories=["Mid", "Beta"]))
    assert replaced["categories"] == ["Beta", "Mid"]
    cleared = api.ok(change(api, created["id"], categories=[]))
    assert cleared["categories"] == []


def test_the_category_filter_finds_the_opportunities_of_that_category(api):
    hot = api.make_opportunity(categories=["Hot"])
    api.make_opportunity(categories=["Cold"])
    api.make_opportunity()
    assert [o["id"] for o in list_opportunities(api, category="Hot")["items"]] == [hot["id"]]
    assert list_opportunities(api, category="Lukewarm")["items"] == []


@pytest.mark.parametrize("sort", ["stage", "-stage", "assigned_to", "-assigned_to", "link", "-link"])
def test_sorting_by_stage_assignee_and_link_pages_every_record_once_in_order(api, sort):
    """The workspace sorts these columns on the server too, so thousands of rows page normally."""
    member_id = next(m["user_id"] for m in api.ok(api.get("/members"))["items"] if m["role"] == "member")
    stages = [api.stage(n)["id"] for n in ("Prospecting", "Proposal", "Negotiation")]
    contact = api.make_contact(display_name="Zed Contact")
    for n in range(7):
        link = {"type": "contact", "id": contact["id"]} if n % 3 == 0 else None
        extra = {"link": link} if link else {}
        api.make_opportunity(stage_id=stages[n % 3] if n != 5 else None,
                             assigned_to=member_id if n % 2 else None, **extra)
    seen, cursor = [], None
    while True:
        page = api.ok(api.get(f"/opportunities?sort={sort}&limit=3" + (f"&cursor={cursor}" if cursor else "")))
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len({o["id"] for o in seen}) == len(seen) == 7
    key = {"stage": lambda o: None if o["stage_id"] is None else stages.index(o["stage_id"]),
           "assigned_to": lambda o: (o["assigned_to_name"] or "").lower() or None,
           "link": lambda o: o["link"]["name"].lower()}[sort.lstrip("-")]
    values = [key(o) for o in seen]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=sort.startswith("-"))
    assert values[len(present):] == [None] * (len(values) - len(present))  # nulls last, both directions
