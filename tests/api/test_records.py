"""Accounts, business contacts, marketing activities and products through the REST API.

Every test runs on SQLite and on PostgreSQL (the `engine` fixture is parametrised).
"""
from __future__ import annotations

import pytest

from tests.api.conftest import OUTSIDER, Api, error_fields, problem


# ---- helpers ------------------------------------------------------------------------------

def outsider_workspace(api: Api) -> Api:
    """The outsider acting in their own workspace (created by the `api` fixture)."""
    other = api.as_(OUTSIDER)  # shares the builders' numbering, so generated names never collide
    other.ws = other.ok(other.get("/api/v1/me"))["workspaces"][0]["id"]
    return other


def subset(record: dict, expected: dict) -> dict:
    """The fields of `record` named in `expected` (to compare a record with what was sent)."""
    return {k: record[k] for k in expected}


def page_through(api: Api, path: str, **params) -> tuple[list[dict], int]:
    """Every item of a cursor-paged listing, and how many pages it took."""
    items, cursor, pages = [], None, 0
    while True:
        page = api.ok(api.get(path, query_string={**params, **({"cursor": cursor} if cursor else {})}))
        pages += 1
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 20, "paging does not end"


# ---- CRUD round-trips, one shape per record kind (API.md) ---------------------------------

# path: (POST body, what comes back, PATCH body, what comes back)
ROUND_TRIPS = {
    "accounts": (
        {"name": "Fabrikam, Inc.", "email_domains": ["Fabrikam.COM", " fabrikam.de "], "phone": "+49 30 1234",
         "web_site": "https://fabrikam.example", "address": "Hauptstr. 1\n10115 Berlin",
         "categories": ["Key account", "Berlin"]},
        {"name": "Fabrikam, Inc.", "email_domains": ["fabrikam.com", "fabrikam.de"], "phone": "+49 30 1234",
         "web_site": "https://fabrikam.example", "address": "Hauptstr. 1\n10115 Berlin",
         "categories": ["Berlin", "Key account"]},
        {"name": "Fabrikam GmbH", "email_domains": ["fabrikam.de"], "phone": None, "web_site": "https://fabrikam.de",
         "address": "Hauptstr. 2", "categories": []},
        {"name": "Fabrikam GmbH", "email_domains": ["fabrikam.de"], "phone": None, "web_site": "https://fabrikam.de",
         "address": "Hauptstr. 2", "categories": []},
    ),
    "contacts": (
        {"display_name": "Anna Meyer", "email_addresses": ["Anna.Meyer@Fabrikam.com", "anna@home.example"],
         "job_title": "Head of purchasing", "phone": "+49 30 5555", "categories": ["Decision maker"]},
        {"display_name": "Anna Meyer", "email_addresses": ["anna.meyer@fabrikam.com", "anna@home.example"],
         "account_id": None, "job_title": "Head of purchasing", "phone": "+49 30 5555",
         "categories": ["Decision maker"]},
        {"display_name": "Anna Schmidt", "email_addresses": ["anna.schmidt@fabrikam.com"], "job_title": "CFO",
         "phone": None, "categories": ["Finance", "Decision maker"]},
        {"display_name": "Anna Schmidt", "email_addresses": ["anna.schmidt@fabrikam.com"], "account_id": None,
         "job_title": "CFO", "phone": None, "categories": ["Decision maker", "Finance"]},
    ),
    "marketing-activities": (
        {"name": "Spring fair 2025", "kind": "Trade show", "start_date": "2025-03-10", "end_date": "2025-03-12"},
        {"name": "Spring fair 2025", "kind": "Trade show", "start_date": "2025-03-10", "end_date": "2025-03-12"},
        {"name": "Spring fair 2025 (extended)", "kind": "Trade fair", "end_date": "2025-03-14"},
        {"name": "Spring fair 2025 (extended)", "kind": "Trade fair", "start_date": "2025-03-10",
         "end_date": "2025-03-14"},
    ),
    "products": (
        {"name": "Service contract", "description": "12 months, next business day", "unit_price": "1250.5"},
        {"name": "Service contract", "description": "12 months, next business day", "unit_price": "1250.50"},
        {"description": None, "unit_price": "999"},
        {"name": "Service contract", "description": None, "unit_price": "999.00"},
    ),
}


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_create_read_update_delete_round_trip_with_every_field(api, path):
    body, expected, changes, expected_after = ROUND_TRIPS[path]
    response = api.post(f"/{path}", body)
    created = api.ok(response, 201)
    assert subset(created, expected) == expected
    assert created["id"] and created["version"] == 1
    assert response.headers["ETag"] == '"1"'
    got = api.get(f"/{path}/{created['id']}")
    assert api.ok(got) == created
    assert got.headers["ETag"] == '"1"'

    response = api.patch(f"/{path}/{created['id']}", changes)
    changed = api.ok(response)
    assert subset(changed, expected_after) == expected_after
    assert changed["version"] > created["version"]
    assert response.headers["ETag"] == f'"{changed["version"]}"'
    assert api.ok(api.get(f"/{path}/{created['id']}")) == changed
    assert created["id"] in [r["id"] for r in api.ok(api.get(f"/{path}"))["items"]]

    assert api.delete(f"/{path}/{created['id']}").status_code == 204
    problem(api.get(f"/{path}/{created['id']}"), 404)
    problem(api.delete(f"/{path}/{created['id']}"), 404)
    assert created["id"] not in [r["id"] for r in api.ok(api.get(f"/{path}"))["items"]]


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_the_record_as_fetched_can_be_sent_back_with_patch(api, path):
    created = api.ok(api.post(f"/{path}", ROUND_TRIPS[path][0]), 201)
    fetched = api.ok(api.get(f"/{path}/{created['id']}"))
    name_field = "display_name" if path == "contacts" else "name"
    changed = api.ok(api.patch(f"/{path}/{created['id']}", dict(fetched, **{name_field: "Renamed"})))
    assert changed[name_field] == "Renamed"


@pytest.mark.parametrize("path, body", [
    ("accounts", {"name": ""}), ("contacts", {"display_name": "  "}), ("marketing-activities", {}),
    ("products", {"unit_price": "1.00"}),
])
def test_a_record_without_its_name_is_refused(api, path, body):
    body = problem(api.post(f"/{path}", body), 422)
    assert error_fields(body) & {"name", "display_name"}


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_an_unknown_field_is_refused_not_dropped(api, path):
    body = problem(api.post(f"/{path}", {**ROUND_TRIPS[path][0], "colour": "blue"}), 422)
    assert "colour" in error_fields(body)


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_another_workspace_never_sees_the_record(api, path):
    created = api.ok(api.post(f"/{path}", ROUND_TRIPS[path][0]), 201)
    other = outsider_workspace(api)
    problem(other.get(f"/{path}/{created['id']}"), 404)
    problem(other.patch(f"/{path}/{created['id']}", {}), 404)
    problem(other.delete(f"/{path}/{created['id']}"), 404)
    assert created["id"] not in [r["id"] for r in other.ok(other.get(f"/{path}"))["items"]]
    assert api.ok(api.get(f"/{path}/{created['id']}")) == created


# ---- If-Match ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_patch_and_delete_with_a_stale_if_match_are_refused_with_412_and_change_nothing(api, path):
    created = api.ok(api.post(f"/{path}", ROUND_TRIPS[path][0]), 201)
    current = api.ok(api.patch(f"/{path}/{created['id']}", ROUND_TRIPS[path][2]))
    stale = {"If-Match": f'"{created["version"]}"'}
    problem(api.patch(f"/{path}/{created['id']}", ROUND_TRIPS[path][0], headers=stale), 412)
    problem(api.delete(f"/{path}/{created['id']}", headers=stale), 412)
    assert api.ok(api.get(f"/{path}/{created['id']}")) == current


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_patch_with_the_current_if_match_is_accepted(api, path):
    created = api.ok(api.post(f"/{path}", ROUND_TRIPS[path][0]), 201)
    response = api.patch(f"/{path}/{created['id']}", ROUND_TRIPS[path][2],
                         headers={"If-Match": f'"{created["version"]}"'})
    changed = api.ok(response)
    assert changed["version"] > created["version"]
    assert response.headers["ETag"] == f'"{changed["version"]}"'
    deleted = api.delete(f"/{path}/{created['id']}", headers={"If-Match": response.headers["ETag"]})
    assert deleted.status_code == 204


# ---- list: q prefix and cursor paging -------------------------------------------------------

NAMES = ["Fabrikam", "fabric works", "Fab Lab", "FABULOUS", "Contoso", "Prefab", "Northwind", "fa"]
PREFIX_MATCHES = ["Fab Lab", "fabric works", "Fabrikam", "FABULOUS"]  # q=fab, sorted case-insensitively


def make_named(api: Api, path: str, name: str) -> dict:
    field = "display_name" if path == "contacts" else "name"
    body = {field: name}
    if path == "products":
        body["unit_price"] = "1.00"
    return api.ok(api.post(f"/{path}", body), 201)


@pytest.mark.parametrize("path", list(ROUND_TRIPS))
def test_list_q_is_a_case_insensitive_prefix_of_the_name_and_pages_with_a_cursor(api, path):
    for name in NAMES:
        make_named(api, path, name)
    make_named(outsider_workspace(api), path, "Fabrikam elsewhere")
    field = "display_name" if path == "contacts" else "name"
    items, pages = page_through(api, f"/{path}", q="FAB", limit=3)
    assert [r[field] for r in items] == PREFIX_MATCHES
    assert pages == 2
    everything, pages = page_through(api, f"/{path}", limit=2)
    assert [r[field] for r in everything] == sorted(NAMES, key=str.lower)
    assert len({r["id"] for r in everything}) == len(NAMES)
    assert pages == 4


def test_list_q_treats_like_wildcards_literally(api):
    for name in ("100% Cotton", "100 Percent", "A_B", "AXB"):
        api.make_account(name=name)
    assert [a["name"] for a in api.ok(api.get("/accounts", query_string={"q": "100%"}))["items"]] == ["100% Cotton"]
    assert [a["name"] for a in api.ok(api.get("/accounts", query_string={"q": "a_"}))["items"]] == ["A_B"]


# ---- accounts: e-mail domains ----------------------------------------------------------------

@pytest.mark.parametrize("domain", ["gmail.com", "GMail.com", "outlook.com", "yahoo.com", "web.de"])
def test_a_free_mail_domain_is_refused(api, domain):
    body = problem(api.post("/accounts", {"name": "Freemail", "email_domains": ["fine.example", domain]}), 422)
    assert "email_domains[1]" in error_fields(body)
    assert api.ok(api.get("/accounts"))["items"] == []


@pytest.mark.parametrize("domain", ["not a domain", "contoso", "contoso..com", "-contoso.com", "con_toso.com", ""])
def test_a_malformed_domain_is_refused(api, domain):
    body = problem(api.post("/accounts", {"name": "Badly", "email_domains": [domain]}), 422)
    assert "email_domains[0]" in error_fields(body)


@pytest.mark.parametrize("again", ["contoso.com", "CONTOSO.COM", "@contoso.com"])
def test_the_same_domain_on_two_accounts_is_refused(api, again):
    first = api.make_account(name="Contoso", email_domains=["contoso.com"])
    second = api.make_account(name="Other", email_domains=["other.example"])
    body = problem(api.post("/accounts", {"name": "Contoso copy", "email_domains": [again]}), 422)
    assert "email_domains[0]" in error_fields(body)
    body = problem(api.patch(f"/accounts/{second['id']}", {"email_domains": ["other.example", again]}), 422)
    assert "email_domains[1]" in error_fields(body)
    assert api.ok(api.get(f"/accounts/{second['id']}")) == second
    assert [a["id"] for a in api.ok(api.get("/accounts"))["items"]] == [first["id"], second["id"]]


def test_an_account_may_keep_its_own_domains_and_other_workspaces_may_use_them(api):
    account = api.make_account(name="Contoso", email_domains=["contoso.com"])
    changed = api.ok(api.patch(f"/accounts/{account['id']}", {"email_domains": ["contoso.com", "contoso.de"]}))
    assert changed["email_domains"] == ["contoso.com", "contoso.de"]
    elsewhere = outsider_workspace(api).make_account(name="Contoso", email_domains=["contoso.com"])
    assert elsewhere["email_domains"] == ["contoso.com"]


def test_a_domain_freed_by_one_account_can_go_to_another(api):
    old = api.make_account(name="Old", email_domains=["moved.example"])
    api.ok(api.patch(f"/accounts/{old['id']}", {"email_domains": []}))
    new = api.make_account(name="New", email_domains=["moved.example"])
    assert new["email_domains"] == ["moved.example"]


# ---- contacts: addresses and account ---------------------------------------------------------

@pytest.mark.parametrize("address", ["not-an-address", "anna@", "@fabrikam.com", "anna meyer@fabrikam.com",
                                     "anna@fabrikam", ""])
def test_a_malformed_contact_address_is_refused(api, address):
    body = problem(api.post("/contacts", {"display_name": "Anna", "email_addresses": ["ok@fine.example", address]}), 422)
    assert "email_addresses[1]" in error_fields(body)
    assert api.ok(api.get("/contacts"))["items"] == []


def test_contact_addresses_are_lower_cased_trimmed_and_deduplicated(api):
    contact = api.make_contact(email_addresses=["  Anna@Fabrikam.COM ", "anna@fabrikam.com", "A.M@Home.Example"])
    assert contact["email_addresses"] == ["anna@fabrikam.com", "a.m@home.example"]


def test_a_contact_belongs_to_an_account_of_the_workspace(api):
    account = api.make_account(name="Fabrikam")
    contact = api.make_contact(account_id=account["id"])
    assert (contact["account_id"], contact["account_name"]) == (account["id"], "Fabrikam")
    assert api.ok(api.get(f"/contacts/{contact['id']}"))["account_id"] == account["id"]
    moved = api.ok(api.patch(f"/contacts/{contact['id']}", {"account_id": None}))
    assert moved["account_id"] is None


@pytest.mark.parametrize("which", ["other_workspace", "unknown", "a_contact"])
def test_a_contact_account_outside_the_workspace_is_refused(api, which):
    account_id = {
        "other_workspace": lambda: outsider_workspace(api).make_account()["id"],
        "unknown": lambda: "0" * 32,
        "a_contact": lambda: api.make_contact()["id"],
    }[which]()
    before = api.ok(api.get("/contacts"))["items"]
    body = problem(api.post("/contacts", {"display_name": "Stray", "account_id": account_id}), 422)
    assert "account_id" in error_fields(body)
    assert api.ok(api.get("/contacts"))["items"] == before
    existing = api.make_contact()
    problem(api.patch(f"/contacts/{existing['id']}", {"account_id": account_id}), 422)
    assert api.ok(api.get(f"/contacts/{existing['id']}")) == existing


# ---- deleting what opportunities use ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["account", "contact"])
def test_deleting_the_link_of_an_opportunity_is_refused_and_deletes_nothing(api, kind):
    record = api.make_account() if kind == "account" else api.make_contact()
    path = f"/{kind}s/{record['id']}"
    opportunity = api.make_opportunity(link={"type": kind, "id": record["id"]})
    body = problem(api.delete(path), 409)
    assert body["detail"]
    assert api.ok(api.get(path)) == record
    assert api.ok(api.get(f"/opportunities/{opportunity['id']}")) == opportunity


@pytest.mark.parametrize("kind", ["account", "contact"])
def test_the_link_can_be_deleted_once_no_opportunity_uses_it(api, kind):
    record = api.make_account() if kind == "account" else api.make_contact()
    opportunity = api.make_opportunity(link={"type": kind, "id": record["id"]})
    api.ok(api.patch(f"/opportunities/{opportunity['id']}", {"link": {"type": "account", "id": api.make_account()["id"]}}))
    assert api.delete(f"/{kind}s/{record['id']}").status_code == 204


def test_deleting_a_closed_opportunitys_link_is_refused_too(api):
    account = api.make_account()
    opportunity = api.make_opportunity(link={"type": "account", "id": account["id"]},
                                       stage_id=api.stage("Closed Won")["id"])
    problem(api.delete(f"/accounts/{account['id']}"), 409)
    assert api.ok(api.get(f"/opportunities/{opportunity['id']}")) == opportunity


def test_deleting_a_product_keeps_the_opportunity_lines_with_their_name_and_price(api):
    product = api.make_product(name="Widget", unit_price="12.50")
    opportunity = api.make_opportunity(probability=50, lines=[
        {"product_id": product["id"], "quantity": "2"}, {"name": "Free text", "quantity": "1", "unit_price": "5.00"}])
    assert api.delete(f"/products/{product['id']}").status_code == 204
    problem(api.get(f"/products/{product['id']}"), 404)
    after = api.ok(api.get(f"/opportunities/{opportunity['id']}"))
    widget, free = after["lines"]
    assert (widget["id"], widget["product_id"], widget["name"], widget["unit_price"], widget["amount"]) == (
        opportunity["lines"][0]["id"], None, "Widget", "12.50", "25.00")
    assert free == opportunity["lines"][1]
    assert (after["total"], after["expected_revenue"]) == ("30.00", "15.00")


def test_changing_a_product_price_does_not_change_existing_lines(api):
    product = api.make_product(name="Widget", unit_price="12.50")
    opportunity = api.make_opportunity(lines=[{"product_id": product["id"], "quantity": "2"}])
    api.ok(api.patch(f"/products/{product['id']}", {"unit_price": "20.00"}))
    after = api.ok(api.get(f"/opportunities/{opportunity['id']}"))
    assert (after["lines"][0]["unit_price"], after["total"]) == ("12.50", "25.00")


# ---- products: money ------------------------------------------------------------------------

@pytest.mark.parametrize("price", ["10.005", "-1.00", "1000000000000.00"])
def test_a_product_price_that_is_not_valid_money_is_refused(api, price):
    body = problem(api.post("/products", {"name": "Odd", "unit_price": price}), 422)
    assert "unit_price" in error_fields(body)


@pytest.mark.parametrize("price", ["abc", "NaN", "Infinity"])
def test_a_product_price_that_is_not_a_number_is_refused(api, price):
    response = api.post("/products", {"name": "Odd", "unit_price": price})
    assert response.status_code in (400, 422), response.get_json()
    assert api.ok(api.get("/products"))["items"] == []


def test_a_product_without_a_price_costs_nothing(api):
    assert api.ok(api.post("/products", {"name": "Gift"}), 201)["unit_price"] == "0.00"


# ---- marketing activities ------------------------------------------------------------------

def test_a_marketing_activity_reports_the_opportunities_it_initiated(api):
    campaign = api.ok(api.post("/marketing-activities", {"name": "Newsletter", "kind": "E-mail campaign"}), 201)
    other_campaign = api.ok(api.post("/marketing-activities", {"name": "Fair"}), 201)
    initiated = {"type": "marketing_activity", "id": campaign["id"]}
    api.make_opportunity(initiated_by=initiated, lines=[{"name": "A", "quantity": "1", "unit_price": "100.00"}])
    api.make_opportunity(initiated_by=initiated, lines=[{"name": "B", "quantity": "3", "unit_price": "19.99"}])
    api.make_opportunity(initiated_by=initiated)
    api.make_opportunity(initiated_by={"type": "marketing_activity", "id": other_campaign["id"]},
                         lines=[{"name": "C", "quantity": "1", "unit_price": "1000.00"}])
    api.make_opportunity(lines=[{"name": "D", "quantity": "1", "unit_price": "500.00"}])
    got = api.ok(api.get(f"/marketing-activities/{campaign['id']}"))
    assert (got["opportunity_count"], got["pipeline_total"]) == (3, "159.97")
    got = api.ok(api.get(f"/marketing-activities/{other_campaign['id']}"))
    assert (got["opportunity_count"], got["pipeline_total"]) == (1, "1000.00")


def test_a_new_marketing_activity_has_no_opportunities_yet(api):
    campaign = api.ok(api.post("/marketing-activities", {"name": "Webinar"}), 201)
    got = api.ok(api.get(f"/marketing-activities/{campaign['id']}"))
    assert (got["opportunity_count"], got["pipeline_total"]) == (0, "0.00")


def test_marketing_results_follow_the_opportunities(api):
    campaign = api.ok(api.post("/marketing-activities", {"name": "Webinar"}), 201)
    opportunity = api.make_opportunity(initiated_by={"type": "marketing_activity", "id": campaign["id"]},
                                       lines=[{"name": "A", "quantity": "1", "unit_price": "10.00"}])
    api.ok(api.patch(f"/opportunities/{opportunity['id']}",
                     {"lines": [{"name": "A", "quantity": "4", "unit_price": "10.00"}]}))
    got = api.ok(api.get(f"/marketing-activities/{campaign['id']}"))
    assert (got["opportunity_count"], got["pipeline_total"]) == (1, "40.00")
    api.ok(api.patch(f"/opportunities/{opportunity['id']}", {"initiated_by": None}))
    got = api.ok(api.get(f"/marketing-activities/{campaign['id']}"))
    assert (got["opportunity_count"], got["pipeline_total"]) == (0, "0.00")


def test_an_opportunity_cannot_name_another_workspaces_campaign(api):
    foreign = outsider_workspace(api).post("/marketing-activities", {"name": "Theirs"})
    foreign_id = foreign.get_json()["id"]
    account = api.make_account()
    body = problem(api.post("/opportunities", {
        "title": "Stolen lead", "link": {"type": "account", "id": account["id"]},
        "initiated_by": {"type": "marketing_activity", "id": foreign_id}}), 422)
    assert "initiated_by.id" in error_fields(body)


def test_a_marketing_activity_ending_before_it_starts_is_refused(api):
    body = problem(api.post("/marketing-activities",
                            {"name": "Backwards", "start_date": "2025-03-10", "end_date": "2025-03-09"}), 422)
    assert "end_date" in error_fields(body)
    assert api.ok(api.get("/marketing-activities"))["items"] == []
    campaign = api.ok(api.post("/marketing-activities",
                               {"name": "Forwards", "start_date": "2025-03-10", "end_date": "2025-03-10"}), 201)
    body = problem(api.patch(f"/marketing-activities/{campaign['id']}", {"end_date": "2025-03-01"}), 422)
    assert "end_date" in error_fields(body)
    problem(api.patch(f"/marketing-activities/{campaign['id']}", {"start_date": "2025-04-01"}), 422)
    assert api.ok(api.get(f"/marketing-activities/{campaign['id']}")) == campaign


def test_deleting_a_marketing_activity_clears_initiated_by_of_its_opportunities(api):
    campaign = api.ok(api.post("/marketing-activities", {"name": "Old campaign"}), 201)
    opportunity = api.make_opportunity(initiated_by={"type": "marketing_activity", "id": campaign["id"]})
    assert api.delete(f"/marketing-activities/{campaign['id']}").status_code == 204
    after = api.ok(api.get(f"/opportunities/{opportunity['id']}"))
    assert after["initiated_by"] is None
    assert after["version"] > opportunity["version"]


def test_patching_a_reference_to_a_record_that_does_not_exist_is_422_not_a_conflict(api):
    """An unknown id in a PATCH names the field (422); it must never reach the database and come back as a
    concurrent-change 409 (found by the fuzz run)."""
    contact = api.make_contact(display_name="Reference Test")
    answer = api.patch(f"/contacts/{contact['id']}", {"account_id": "0" * 32, "categories": ["Key account"]},
                       headers={"If-Match": f'"{contact["version"]}"'})
    assert answer.status_code == 422, answer.get_json()
    assert [e["field"] for e in answer.get_json()["errors"]] == ["account_id"]
    project = api.ok(api.post("/projects", {"name": "Reference project"}), 201)
    for body, field in (({"opportunity_id": "0" * 32, "associated": []}, "opportunity_id"),
                        ({"assigned_to": "0" * 32, "associated": []}, "assigned_to")):
        answer = api.patch(f"/projects/{project['id']}", body, headers={"If-Match": f'"{project["version"]}"'})
        assert answer.status_code == 422, answer.get_json()
        assert field in [e["field"] for e in answer.get_json()["errors"]]
