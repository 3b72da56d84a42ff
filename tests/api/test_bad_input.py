"""Bad input never changes anything and always gets the problem+json answer API.md promises.

API.md, Conventions: 400 malformed JSON or wrong types · 422 valid JSON that breaks a rule ·
401 no token · 404 not found or not visible · 409 closed record · 412 If-Match mismatch ·
413 body too large · a 500 is always a bug.

Every failing write is followed by a re-read proving that nothing moved (version and fields).
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
import sqlalchemy as sa

from storage.models import Category

from .conftest import Api, assert_problem

RANDOM_ID = "0" * 32


# ---- helpers ---------------------------------------------------------------------------------

def send_raw(api: Api, method: str, path: str, text: str | bytes, headers: dict | None = None):
    """Send `text` as the body exactly, labelled application/json."""
    return api.request(method, path, data=text, content_type="application/json", headers=headers)


def read(api: Api, path: str) -> dict:
    return api.ok(api.get(path))


def assert_unchanged(api: Api, path: str, before: dict) -> None:
    after = read(api, path)
    assert after == before, "a refused write changed the record"
    assert after.get("version") == before.get("version")


def opportunity_ids(api: Api) -> list[str]:
    return sorted(o["id"] for o in read(api, "/opportunities?limit=500")["items"])


def category_names(session_factory, workspace_id: str) -> set[str]:
    with session_factory() as s:  # closed at once: SQLite writers must not queue behind this read
        return set(s.scalars(sa.select(Category.name).where(Category.workspace_id == workspace_id)))


def own_workspace_of(api: Api) -> Api:
    """The same user's client on the (only) workspace they own themselves."""
    me = read(api, "/api/v1/me")
    owned = [w for w in me["workspaces"] if w["role"] == "owner"]
    assert len(owned) == 1, me
    other = api.as_(api.user)
    other.ws = owned[0]["id"]
    return other


def user_id_of(api: Api) -> str:
    return read(api, "/api/v1/me")["user"]["id"]


@pytest.fixture
def foreign(outsider_api) -> Api:
    """The outsider's client on the outsider's own workspace ("Elsewhere")."""
    return own_workspace_of(outsider_api)


@pytest.fixture
def opp(api) -> dict:
    """An open opportunity with one line, to be changed (or rather, not changed)."""
    return api.make_opportunity(
        probability=40, type="New business",
        lines=[{"name": "Seats", "quantity": "3", "unit_price": "19.99", "discount_percent": "10"}],
    )


def opp_path(opp: dict) -> str:
    return f"/opportunities/{opp['id']}"


# ---- 400: malformed JSON and wrong types -----------------------------------------------------

MALFORMED = {
    "truncated": '{"title": "Deal", ',
    "single-quotes": "{'title': 'Deal'}",
    "trailing-comma": '{"title": "Deal",}',
    "not-json-at-all": "title=Deal",
    "invalid-utf8": b'{"title": "\xff\xfe"}',
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_on_create_is_400_and_creates_nothing(api, text):
    before = opportunity_ids(api)
    assert_problem(send_raw(api, "POST", "/opportunities", text), 400, "body")
    assert opportunity_ids(api) == before


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_on_patch_is_400_and_leaves_the_record_unchanged(api, opp, text):
    before = read(api, opp_path(opp))
    assert_problem(send_raw(api, "PATCH", opp_path(opp), text), 400, "body")
    assert_unchanged(api, opp_path(opp), before)


NOT_AN_OBJECT = {"array": [], "array-of-objects": [{"title": "Deal"}], "string": "Deal", "number": 42,
                 "true": True, "null": None}


@pytest.mark.parametrize("body", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
def test_a_json_value_that_is_not_an_object_is_400(api, opp, body):
    before_ids, before_opp = opportunity_ids(api), read(api, opp_path(opp))
    assert_problem(send_raw(api, "POST", "/opportunities", json.dumps(body)), 400, "body")
    assert_problem(send_raw(api, "PATCH", opp_path(opp), json.dumps(body)), 400, "body")
    assert opportunity_ids(api) == before_ids
    assert_unchanged(api, opp_path(opp), before_opp)


def test_a_json_string_that_contains_an_object_is_400_not_parsed_twice(api):
    """A string is not an object, even when the string's text happens to be JSON of one."""
    account = api.make_account()
    valid = {"title": "Smuggled", "link": {"type": "account", "id": account["id"]}}
    before = opportunity_ids(api)
    assert_problem(send_raw(api, "POST", "/opportunities", json.dumps(json.dumps(valid))), 400, "body")
    assert opportunity_ids(api) == before


WRONG_TYPES = {
    "title-number": ({"title": 123}, "title"),
    "probability-word": ({"probability": "high"}, "probability"),
    "probability-fraction": ({"probability": 50.5}, "probability"),
    "lines-string": ({"lines": "x"}, "lines"),
    "line-not-object": ({"lines": ["x"]}, "lines[0]"),
    "quantity-word": ({"lines": [{"name": "Seats", "unit_price": "1.00", "quantity": "abc"}]}, "lines[0].quantity"),
    "unit-price-word": ({"lines": [{"name": "Seats", "unit_price": "cheap"}]}, "lines[0].unit_price"),
    "close-date-word": ({"close_date": "not-a-date"}, "close_date"),
    "link-string": ({"link": "account"}, "link"),
    "categories-string-list-of-lists": ({"categories": [["VIP"]]}, "categories[0]"),
    "reminder-word": ({"reminder_at": "soon"}, "reminder_at"),
}


@pytest.mark.parametrize(("changes", "field"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_type_on_patch_is_400_on_the_field_and_changes_nothing(api, opp, changes, field):
    before = read(api, opp_path(opp))
    assert_problem(api.patch(opp_path(opp), {"title": "Changed title", **changes}), 400, field)
    assert_unchanged(api, opp_path(opp), before)


@pytest.mark.parametrize(("changes", "field"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_type_on_create_is_400_on_the_field_and_creates_nothing(api, changes, field):
    account = api.make_account()
    before = opportunity_ids(api)
    body = {"title": "New deal", "link": {"type": "account", "id": account["id"]}, **changes}
    assert_problem(api.post("/opportunities", body), 400, field)
    assert opportunity_ids(api) == before


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_json_nested_deeper_than_the_parser_allows_is_400_not_a_500(api, depth):
    before = opportunity_ids(api)
    text = '{"title": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    assert_problem(call_no_500(api, "POST", "/opportunities", text), 400, "body")
    assert opportunity_ids(api) == before


def test_null_probability_is_refused_not_a_500(api, opp):
    before = read(api, opp_path(opp))
    response = call_no_500(api, "PATCH", opp_path(opp), json.dumps({"title": "Changed title", "probability": None}))
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, "probability")
    assert_unchanged(api, opp_path(opp), before)

    account = api.make_account()
    ids = opportunity_ids(api)
    body = {"title": "New", "link": {"type": "account", "id": account["id"]}, "probability": None}
    response = call_no_500(api, "POST", "/opportunities", json.dumps(body))
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, "probability")
    assert opportunity_ids(api) == ids


@pytest.mark.parametrize(("path", "field"), [
    ("/accounts", "name"), ("/products", "name"), ("/contacts", "display_name"), ("/marketing-activities", "name"),
])
def test_nul_character_in_a_name_is_refused_the_same_on_both_databases(api, path, field):
    """PostgreSQL cannot store U+0000 in text; accepting it on SQLite only would make data unportable."""
    before = read(api, path)
    response = call_no_500(api, "POST", path, json.dumps({field: "Acme\u0000Corp"}))
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, field)
    assert read(api, path) == before


def test_nul_character_in_an_opportunity_id_is_404_like_any_unknown_id(api):
    unknown = assert_problem(api.get(f"/opportunities/{RANDOM_ID}"), 404)
    assert assert_problem(call_no_500(api, "GET", "/opportunities/a%00b"), 404) == unknown


@pytest.mark.parametrize("query", ["/opportunities?q=a%00b", "/search?q=a%00b", "/accounts?q=a%00b"])
def test_nul_character_in_a_search_text_is_not_a_500(api, query):
    response = call_no_500(api, "GET", query)
    assert response.status_code in (200, 400, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 200:
        assert response.get_json()["items"] == []
    else:
        assert_problem(response, response.status_code)


def test_wrong_type_on_an_account_is_400_and_changes_nothing(api):
    account = api.make_account()
    path = f"/accounts/{account['id']}"
    before = read(api, path)
    assert_problem(api.patch(path, {"name": "Renamed", "email_domains": "contoso.com"}), 400, "email_domains")
    assert_unchanged(api, path, before)


# ---- 422: rule breaks, with the field path ----------------------------------------------------

class Ctx:
    """Ids the rule cases refer to, made per test."""

    def __init__(self, api: Api, foreign: Api):
        self.account = api.make_account()["id"]
        self.foreign_account = foreign.make_account()["id"]
        self.foreign_contact = foreign.make_contact()["id"]
        self.outsider_user = user_id_of(foreign)


def line(**overrides) -> dict:
    return {"name": "Seats", "quantity": "2", "unit_price": "10.00", **overrides}


# name: (changes(ctx) -> dict, field, applies to PATCH too)
RULES: dict[str, tuple[Callable[[Ctx], dict], str, bool]] = {
    "missing-title": (lambda c: {"title": None}, "title", False),
    "blank-title": (lambda c: {"title": "   "}, "title", True),
    "title-too-long": (lambda c: {"title": "x" * 201}, "title", True),
    "link-to-account-of-another-workspace": (
        lambda c: {"link": {"type": "account", "id": c.foreign_account}}, "link.id", True),
    "link-to-contact-of-another-workspace": (
        lambda c: {"link": {"type": "contact", "id": c.foreign_contact}}, "link.id", True),
    "link-to-unknown-account": (lambda c: {"link": {"type": "account", "id": RANDOM_ID}}, "link.id", True),
    "unknown-link-type": (lambda c: {"link": {"type": "company", "id": c.account}}, "link.type", True),
    "probability-101": (lambda c: {"probability": 101}, "probability", True),
    "probability-minus-1": (lambda c: {"probability": -1}, "probability", True),
    "line-unit-price-3-decimals": (lambda c: {"lines": [line(unit_price="1.005")]}, "lines[0].unit_price", True),
    "line-discount-150": (lambda c: {"lines": [line(discount_percent="150")]}, "lines[0].discount_percent", True),
    "line-negative-quantity": (lambda c: {"lines": [line(quantity="-1")]}, "lines[0].quantity", True),
    "second-line-bad": (lambda c: {"lines": [line(), line(quantity="-2")]}, "lines[1].quantity", True),
    "line-without-name-or-product": (lambda c: {"lines": [{"unit_price": "1.00"}]}, "lines[0].name", True),
    "type-not-in-list": (lambda c: {"type": "Charity"}, "type", True),
    "payment-terms-not-in-list": (lambda c: {"payment_terms": "Net 365"}, "payment_terms", True),
    "source-not-in-list": (lambda c: {"source": "Carrier pigeon"}, "source", True),
    "assigned-to-non-member": (lambda c: {"assigned_to": c.outsider_user}, "assigned_to", True),
    "assigned-to-unknown-user": (lambda c: {"assigned_to": RANDOM_ID}, "assigned_to", True),
    "unknown-field-titel": (lambda c: {"titel": "Typo"}, "titel", True),
    "reminder-without-offset": (lambda c: {"reminder_at": "2030-01-01T09:00:00"}, "reminder_at", True),
    "unknown-stage": (lambda c: {"stage_id": RANDOM_ID}, "stage_id", True),
    "initiated-by-foreign-account": (
        lambda c: {"initiated_by": {"type": "account", "id": c.foreign_account}}, "initiated_by.id", True),
}


@pytest.mark.parametrize(("changes", "field"), [(r[0], r[1]) for r in RULES.values()], ids=RULES.keys())
def test_rule_break_on_create_is_422_on_the_field_and_creates_nothing(api, foreign, changes, field):
    ctx = Ctx(api, foreign)
    body = {"title": "New deal", "link": {"type": "account", "id": ctx.account}, **changes(ctx)}
    body = {k: v for k, v in body.items() if v is not None}
    before = opportunity_ids(api)
    assert_problem(api.post("/opportunities", body), 422, field)
    assert opportunity_ids(api) == before


PATCH_RULES = {name: rule for name, rule in RULES.items() if rule[2]}


@pytest.mark.parametrize(("changes", "field"), [(r[0], r[1]) for r in PATCH_RULES.values()], ids=PATCH_RULES.keys())
def test_rule_break_on_patch_is_422_and_even_the_valid_fields_stay_unchanged(api, foreign, opp, changes, field):
    """E.g. a valid new title plus probability 101: 422, and the title is still the old one."""
    ctx = Ctx(api, foreign)
    before = read(api, opp_path(opp))
    assert_problem(api.patch(opp_path(opp), {"title": "Changed title", "probability": 55, **changes(ctx)}), 422, field)
    assert_unchanged(api, opp_path(opp), before)


def test_link_to_another_workspaces_account_is_422_on_link_id_not_404(api, foreign):
    """The foreign id is a bad value in the body, not a missing resource in the path."""
    foreign_account = foreign.make_account()
    body = {"title": "Poach", "link": {"type": "account", "id": foreign_account["id"]}}
    problem = assert_problem(api.post("/opportunities", body), 422, "link.id")
    assert [e["field"] for e in problem["errors"]] == ["link.id"]
    assert read(foreign, f"/accounts/{foreign_account['id']}") == foreign_account


def test_every_broken_rule_is_named_in_one_answer(api, foreign):
    ctx = Ctx(api, foreign)
    body = {"title": " ", "link": {"type": "account", "id": ctx.foreign_account}, "type": "Charity",
            "lines": [line(discount_percent="150")]}
    problem = assert_problem(api.post("/opportunities", body), 422)
    assert {"title", "link.id", "type", "lines[0].discount_percent"} <= {e["field"] for e in problem["errors"]}


def test_failed_create_leaves_no_new_category_behind(api, session_factory):
    account = api.make_account()
    before = opportunity_ids(api)
    body = {"title": "Deal", "link": {"type": "account", "id": account["id"]},
            "categories": ["Never Created"], "type": "Charity"}
    assert_problem(api.post("/opportunities", body), 422, "type")
    assert opportunity_ids(api) == before
    assert "Never Created" not in category_names(session_factory, api.ws)


def test_failed_patch_leaves_no_new_category_and_no_change(api, opp, session_factory):
    before = read(api, opp_path(opp))
    body = {"title": "Changed title", "categories": ["Never Created"], "payment_terms": "Net 365"}
    assert_problem(api.patch(opp_path(opp), body), 422, "payment_terms")
    assert_unchanged(api, opp_path(opp), before)
    assert "Never Created" not in category_names(session_factory, api.ws)


def test_failing_lines_update_keeps_the_old_lines(api, opp):
    before = read(api, opp_path(opp))
    [old] = before["lines"]
    lines = [
        {"id": old["id"], "name": "Seats renamed", "quantity": "7", "unit_price": "20.00"},  # valid on its own
        line(name="New line"),  # valid on its own
        line(name="Broken", unit_price="2.999"),
    ]
    assert_problem(api.patch(opp_path(opp), {"lines": lines}), 422, "lines[2].unit_price")
    after = read(api, opp_path(opp))
    assert after["lines"] == before["lines"]
    assert (after["total"], after["version"]) == (before["total"], before["version"])


def test_unknown_line_id_is_422_and_keeps_the_old_lines(api, opp):
    before = read(api, opp_path(opp))
    assert_problem(api.patch(opp_path(opp), {"lines": [line(id=RANDOM_ID)]}), 422, "lines[0].id")
    assert_unchanged(api, opp_path(opp), before)


PRODUCT_RULES = {
    "unit-price-3-decimals": ({"unit_price": "9.999"}, "unit_price"),
    "unit-price-negative": ({"unit_price": "-1.00"}, "unit_price"),
    "blank-name": ({"name": "  "}, "name"),
    "unknown-field": ({"colour": "red"}, "colour"),
}


@pytest.mark.parametrize(("changes", "field"), PRODUCT_RULES.values(), ids=PRODUCT_RULES.keys())
def test_product_rule_break_is_422_and_changes_nothing(api, changes, field):
    product = api.make_product()
    path = f"/products/{product['id']}"
    before_list = read(api, "/products")
    assert_problem(api.post("/products", {"name": "Widget", "unit_price": "1.00", **changes}), 422, field)
    assert read(api, "/products") == before_list
    assert_problem(api.patch(path, {"description": "changed", **changes}), 422, field)
    assert_unchanged(api, path, product)


def test_list_rule_breaks_are_422_and_keep_the_list(api):
    before = read(api, "/lists/type")
    assert_problem(api.put("/lists/type", {"values": ["A", "a"]}), 422, "values[1]")
    assert_problem(api.put("/lists/type", {"values": ["A", " "]}), 422, "values[1]")
    assert read(api, "/lists/type") == before


# ---- query strings ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/opportunities", "/accounts", "/contacts", "/products", "/marketing-activities"])
def test_limit_above_500_is_422_on_limit(api, path):
    assert_problem(api.get(f"{path}?limit=501"), 422, "limit")
    assert read(api, f"{path}?limit=500")["items"] is not None


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_limit_below_1_is_422_on_limit(api, limit):
    assert_problem(api.get(f"/opportunities?limit={limit}"), 422, "limit")


def test_limit_that_is_not_a_number_is_400_on_limit(api):
    assert_problem(api.get("/opportunities?limit=ten"), 400, "limit")


BAD_CURSORS = {
    "not-base64": "%%%not-a-cursor",
    "base64-of-garbage": "Z2FyYmFnZQ",
    "base64-of-json-without-keys": "e30",  # {}
    "cursor-of-another-sort": "eyJzIjoidGl0bGUiLCJ2IjoiYSIsImlkIjoiYSJ9",  # {"s":"title","v":"a","id":"a"}
    "right-sort-wrong-value": "eyJzIjoidXBkYXRlZF9hdCIsInYiOiJ4IiwiaWQiOiJhIn0",  # updated_at = "x"
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_bad_cursor_is_400(api, cursor):
    api.make_opportunity()
    assert_problem(api.get(f"/opportunities?cursor={cursor}"), 400)


@pytest.mark.parametrize("path", ["/opportunities", "/accounts"])
def test_bad_cursor_problem_names_the_cursor_field(api, path):
    assert_problem(api.get(f"{path}?cursor=Z2FyYmFnZQ"), 400, "cursor")


def test_a_real_cursor_still_works(api):
    for _ in range(3):
        api.make_opportunity()
    first = read(api, "/opportunities?limit=2")
    assert first["next_cursor"]
    second = read(api, f"/opportunities?limit=2&cursor={first['next_cursor']}")
    assert len(first["items"]) == 2 and len(second["items"]) == 1


@pytest.mark.parametrize("sort", ["color", "-color", "--title", "title;drop", ""])
def test_unsupported_sort_key_is_422_on_sort(api, sort):
    assert_problem(api.get(f"/opportunities?sort={sort}"), 422, "sort")


def test_unknown_status_filter_is_422(api):
    assert_problem(api.get("/opportunities?status=pending"), 422, "status")


def test_bad_date_filter_is_400(api):
    assert_problem(api.get("/opportunities?close_after=2024-13-45"), 400, "close_after")


# ---- 404: unknown ids and other workspaces' ids look the same ----------------------------------

@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_and_foreign_opportunity_ids_get_the_identical_404(api, foreign, method):
    theirs = foreign.make_opportunity()
    body = {"title": "Hijacked"} if method == "PATCH" else None
    unknown = assert_problem(api.request(method, f"/opportunities/{RANDOM_ID}", json=body), 404)
    foreign_one = assert_problem(api.request(method, f"/opportunities/{theirs['id']}", json=body), 404)
    assert foreign_one == unknown
    assert read(foreign, f"/opportunities/{theirs['id']}") == theirs


@pytest.mark.parametrize("suffix", ["history", "print"])
def test_sub_resources_of_a_foreign_opportunity_are_404_like_unknown_ones(api, foreign, suffix):
    theirs = foreign.make_opportunity()
    unknown = assert_problem(api.get(f"/opportunities/{RANDOM_ID}/{suffix}"), 404)
    assert assert_problem(api.get(f"/opportunities/{theirs['id']}/{suffix}"), 404) == unknown


def test_comment_on_a_foreign_opportunity_is_404_like_an_unknown_one(api, foreign):
    theirs = foreign.make_opportunity()
    unknown = assert_problem(api.post(f"/opportunities/{RANDOM_ID}/comments", {"text": "hi"}), 404)
    assert assert_problem(api.post(f"/opportunities/{theirs['id']}/comments", {"text": "hi"}), 404) == unknown
    assert read(foreign, f"/opportunities/{theirs['id']}") == theirs


# ---- 409: closed records ---------------------------------------------------------------------

def close_won(api: Api, opp: dict) -> dict:
    won = api.stage("Closed Won")
    closed = api.ok(api.patch(opp_path(opp), {"stage_id": won["id"]}))
    assert (closed["status"], closed["read_only"], closed["probability"]) == ("won", True, 100)
    return closed


def test_moving_to_closed_won_makes_the_record_read_only_409_on_patch(api, opp):
    closed = close_won(api, opp)
    problem = assert_problem(api.patch(opp_path(opp), {"title": "Changed after closing"}), 409)
    assert problem["detail"]
    assert_unchanged(api, opp_path(opp), closed)


def test_closed_record_409_on_delete(api, opp):
    closed = close_won(api, opp)
    assert_problem(api.delete(opp_path(opp)), 409)
    assert_unchanged(api, opp_path(opp), closed)


def test_closed_record_409_on_comment(api, opp):
    closed = close_won(api, opp)
    assert_problem(api.post(f"{opp_path(opp)}/comments", {"text": "late note"}), 409)
    assert_unchanged(api, opp_path(opp), closed)


def test_closed_record_409_on_patch_even_with_matching_if_match(api, opp):
    closed = close_won(api, opp)
    headers = {"If-Match": f'"{closed["version"]}"'}
    assert_problem(api.patch(opp_path(opp), {"probability": 10}, headers=headers), 409)
    assert_unchanged(api, opp_path(opp), closed)


def test_closed_lost_is_read_only_too(api, opp):
    lost = api.stage("Closed Lost")
    closed = api.ok(api.patch(opp_path(opp), {"stage_id": lost["id"]}))
    assert (closed["status"], closed["read_only"], closed["probability"]) == ("lost", True, 0)
    assert_problem(api.patch(opp_path(opp), {"comments": "x"}), 409)
    assert_unchanged(api, opp_path(opp), closed)


# ---- 412: If-Match ---------------------------------------------------------------------------

def etag_of(response) -> str:
    return response.headers.get("ETag")


@pytest.mark.parametrize(("make", "path", "change"), [
    ("make_opportunity", "/opportunities", {"title": "Renamed"}),
    ("make_account", "/accounts", {"name": "Renamed"}),
    ("make_product", "/products", {"name": "Renamed"}),
], ids=["opportunity", "account", "product"])
def test_if_match_stale_is_412_and_current_succeeds(api, make, path, change):
    record = getattr(api, make)()
    record_path = f"{path}/{record['id']}"
    got = api.get(record_path)
    assert etag_of(got) == f'"{record["version"]}"'
    v1 = f'"{record["version"]}"'

    updated = api.patch(record_path, change, headers={"If-Match": v1})
    current = api.ok(updated)
    assert current["version"] > record["version"]
    assert etag_of(updated) == f'"{current["version"]}"'

    stale = {field: "Stale write" for field in change}
    assert_problem(api.patch(record_path, stale, headers={"If-Match": v1}), 412)
    assert_unchanged(api, record_path, current)

    assert_problem(api.delete(record_path, headers={"If-Match": v1}), 412)
    assert_unchanged(api, record_path, current)

    assert api.delete(record_path, headers={"If-Match": etag_of(updated)}).status_code == 204
    assert_problem(api.get(record_path), 404)


def test_etag_equals_the_quoted_version_on_create_get_and_patch(api):
    created = api.post("/accounts", {"name": "Etag Inc"})
    assert etag_of(created) == f'"{created.get_json()["version"]}"'
    path = f"/accounts/{created.get_json()['id']}"
    assert etag_of(api.get(path)) == f'"{created.get_json()["version"]}"'
    patched = api.patch(path, {"phone": "123"})
    assert etag_of(patched) == f'"{patched.get_json()["version"]}"'


def test_if_match_with_a_weak_or_listed_current_tag_succeeds(api, opp):
    current = read(api, opp_path(opp))
    headers = {"If-Match": f'"999", W/"{current["version"]}"'}
    assert api.ok(api.patch(opp_path(opp), {"title": "Listed"}, headers=headers))["title"] == "Listed"


# ---- 413: body too large ---------------------------------------------------------------------

def test_body_over_1_000_000_bytes_is_413_and_creates_nothing(api):
    account = api.make_account()
    body = json.dumps({"title": "Big", "link": {"type": "account", "id": account["id"]}, "comments": "x" * 1_000_001})
    assert len(body.encode()) > 1_000_000
    before = opportunity_ids(api)
    assert_problem(send_raw(api, "POST", "/opportunities", body), 413)
    assert opportunity_ids(api) == before


def test_body_over_1_000_000_bytes_on_patch_is_413_and_changes_nothing(api, opp):
    before = read(api, opp_path(opp))
    body = json.dumps({"title": "Big", "competitors": "y" * 1_000_050})
    assert_problem(send_raw(api, "PATCH", opp_path(opp), body), 413)
    assert_unchanged(api, opp_path(opp), before)


def test_body_just_under_the_limit_is_not_413(api, opp):
    body = json.dumps({"comments": "z" * 100_000})  # the field's own maximum, far below 1 MB
    assert api.ok(send_raw(api, "PATCH", opp_path(opp), body))["comments"] == "z" * 100_000


# ---- 401: no credentials ---------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/me"),
    ("GET", "/opportunities"),
    ("POST", "/opportunities"),
    ("POST", "/api/v1/workspaces"),
])
def test_no_dev_user_header_is_401_with_www_authenticate(api, method, path):
    before = opportunity_ids(api)
    response = api.client.open(api.url(path), method=method, json={"title": "Anonymous", "name": "Anon"})
    assert_problem(response, 401)
    assert response.headers.get("WWW-Authenticate")
    assert opportunity_ids(api) == before


@pytest.mark.parametrize("value", ["not-an-email", "   ", "a b@c.d"])
def test_an_invalid_dev_user_is_401_with_www_authenticate(api, value):
    response = api.client.get(api.url("/opportunities"), headers={"X-Dev-User": value})
    assert_problem(response, 401)
    assert response.headers.get("WWW-Authenticate")


# ---- no 500, whatever comes in ------------------------------------------------------------------

RAW = "__raw_json_number__"  # placeholder for numbers json.dumps cannot write (1e309)


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


class Sweep:
    """One endpoint of the sweep: a valid body, and where to put hostile values in it."""

    def __init__(self, method: str, path: str, body: Callable[[dict], dict] | None, text: str | None = None,
                 number: str | None = None, money: str | None = None):
        self.method, self.path, self.body = method, path, body
        self.text, self.number, self.money = text, number, money


SWEEP_ENDPOINTS = {
    "create-account": Sweep("POST", "/accounts", lambda t: {"name": "Acme"}, text="name"),
    "patch-account": Sweep("PATCH", "/accounts/{account}", lambda t: {"name": "Acme"}, text="name"),
    "create-contact": Sweep("POST", "/contacts", lambda t: {"display_name": "Ann", "account_id": t["account"]},
                            text="display_name"),
    "create-product": Sweep("POST", "/products", lambda t: {"name": "Widget", "unit_price": "1.00"},
                            text="name", money="unit_price"),
    "patch-product": Sweep("PATCH", "/products/{product}", lambda t: {"name": "Widget", "unit_price": "1.00"},
                           text="name", money="unit_price"),
    "create-opportunity": Sweep(
        "POST", "/opportunities",
        lambda t: {"title": "Deal", "link": {"type": "account", "id": t["account"]}, "probability": 10,
                   "lines": [{"name": "Seats", "quantity": "1", "unit_price": "1.00"}]},
        text="title", number="probability", money="lines.0.unit_price"),
    "patch-opportunity": Sweep(
        "PATCH", "/opportunities/{opportunity}",
        lambda t: {"title": "Deal", "probability": 10, "lines": [{"name": "Seats", "quantity": "1", "unit_price": "1.00"}]},
        text="title", number="lines.0.quantity", money="lines.0.unit_price"),
    "comment": Sweep("POST", "/opportunities/{opportunity}/comments", lambda t: {"text": "hello"}, text="text"),
    "history-note": Sweep("POST", "/opportunities/{opportunity}/history",
                          lambda t: {"kind": "note", "subject": "Call", "duration_minutes": 5},
                          text="subject", number="duration_minutes"),
    "put-list": Sweep("PUT", "/lists/source", lambda t: {"values": ["Web"]}, text="values.0"),
    "add-member": Sweep("POST", "/members", lambda t: {"email": "new@contoso.com", "role": "member"}, text="email"),
    "create-workspace": Sweep("POST", "/api/v1/workspaces", lambda t: {"name": "WS", "currency": "EUR"}, text="name"),
    "bulk-assign": Sweep("POST", "/opportunities/bulk-assign",
                         lambda t: {"ids": [t["opportunity"]], "assigned_to": None}, text="ids.0"),
}

HOSTILE_VALUES = {
    "null": None,
    "empty-list": [],
    "empty-object": {},
    "nested-object": deeply_nested(64),
    "300-chars": "é" * 300,
    "unicode": "Ünïcødé 🚀 中文 \u202e עברית \ufeff",
    "nul-char": "a\u0000b",
    "lone-surrogate": "\ud800",
    "number-for-string": 12345,
    "string-for-number": "50",
    "huge-number-1e309": RAW,
    "nan-string": "NaN",
    "infinity-string": "Infinity",
    "exponent-string": "1e400",
    "comma-decimal": "12,50",
    "bool": True,
}

HOSTILE_BODIES = {
    "body-null": "null",
    "body-list": "[]",
    "body-string": '"x"',
    "body-number-1e309": "1e309",
    "body-nested-64": json.dumps(deeply_nested(64)),
    "body-nested-10000": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "body-list-nested-10000": '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "body-NaN-literal": '{"name": NaN, "title": NaN, "unit_price": NaN}',
    "body-duplicate-keys": '{"name": "a", "name": {"x": 1}}',
}


def set_path(body: dict, dotted: str, value: Any) -> dict:
    body = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return body


def sweep_cases():
    for name, ep in SWEEP_ENDPOINTS.items():
        for slot in ("body", "text", "number", "money"):
            if slot == "body" or getattr(ep, slot) is not None:
                yield pytest.param(name, slot, id=f"{name}-{slot}")


@pytest.fixture
def targets(api) -> dict:
    return {"account": api.make_account()["id"], "product": api.make_product()["id"],
            "opportunity": api.make_opportunity()["id"]}


def call_no_500(api: Api, method: str, path: str, text: str | None = None):
    """The response, or an AssertionError naming the exception that would have been a 500."""
    try:
        if text is None:
            return api.request(method, path)
        return send_raw(api, method, path, text)
    except Exception as error:  # noqa: BLE001 - PROPAGATE_BUGS re-raises what would be a 500
        raise AssertionError(f"raised {type(error).__name__}: {str(error)[:200]} (a 500)") from error


def outcome(api: Api, method: str, path: str, text: str | None) -> str | None:
    """None when the answer is a proper non-5xx response, else what went wrong."""
    try:
        response = call_no_500(api, method, path, text)
        assert response.status_code < 500, f"{response.status_code}: {response.get_data(as_text=True)[:200]}"
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
    except AssertionError as error:
        return str(error).splitlines()[0]
    return None


@pytest.mark.parametrize(("endpoint", "slot"), list(sweep_cases()))
def test_hostile_bodies_never_cause_a_500(api, targets, endpoint, slot):
    """Every hostile value (or whole body) is sent; all of them must get a problem answer below 500."""
    ep = SWEEP_ENDPOINTS[endpoint]
    path = ep.path.format(**targets)
    if slot == "body":
        cases = dict(HOSTILE_BODIES)
    else:
        cases = {name: json.dumps(set_path(ep.body(targets), getattr(ep, slot), value)).replace(f'"{RAW}"', "1e309")
                 for name, value in HOSTILE_VALUES.items()}
    failures = {name: why for name, text in cases.items() if (why := outcome(api, ep.method, path, text))}
    assert not failures, f"{ep.method} {ep.path}: " + "; ".join(f"{k} -> {v}" for k, v in failures.items())


LONG_ID = "a" * 500
HOSTILE_QUERIES = [
    ("GET", f"/opportunities/{LONG_ID}"),
    ("PATCH", f"/opportunities/{LONG_ID}"),
    ("DELETE", f"/opportunities/{LONG_ID}"),
    ("GET", f"/opportunities/{LONG_ID}/history"),
    ("POST", f"/opportunities/{LONG_ID}/comments"),
    ("GET", f"/accounts/{LONG_ID}"),
    ("DELETE", f"/contacts/{LONG_ID}"),
    ("GET", f"/api/v1/workspaces/{LONG_ID}"),
    ("GET", f"/api/v1/workspaces/{LONG_ID}/opportunities"),
    ("DELETE", f"/members/{LONG_ID}"),
    ("GET", "/lists/" + "x" * 500),
    ("GET", "/opportunities/%00"),
    ("GET", "/opportunities/..%2F..%2Fme"),
    ("GET", "/opportunities?limit=1e309"),
    ("GET", "/opportunities?limit=99999999999999999999999"),
    ("GET", "/opportunities?limit=-1"),
    ("GET", "/opportunities?cursor=" + "A" * 5000),
    ("GET", "/opportunities?cursor=%00%ff"),
    ("GET", "/opportunities?sort=" + "-" * 100),
    ("GET", "/opportunities?q=" + "%25" * 300),
    ("GET", "/opportunities?q=%00"),
    ("GET", "/opportunities?q=%5C%5C%25_"),
    ("GET", "/opportunities?close_before=9999-12-31&close_after=0001-01-01"),
    ("GET", "/opportunities?close_before=99999-01-01"),
    ("GET", "/opportunities?stage_id=" + "s" * 500),
    ("GET", "/opportunities?link_type=account&link_id=%00"),
    ("GET", "/opportunities?category=" + "é" * 300),
    ("GET", "/opportunities?status=open&status=won"),
    ("GET", "/opportunities?sort=title&cursor=eyJzIjoidGl0bGUiLCJ2IjpudWxsLCJpZCI6MX0"),  # id is a number
    ("GET", "/opportunities?sort=close_date&cursor=eyJzIjoiY2xvc2VfZGF0ZSIsInYiOlsxXSwiaWQiOiJhIn0"),  # v is a list
    ("GET", "/opportunities?sort=total&cursor=eyJzIjoidG90YWwiLCJ2IjoiTmFOIiwiaWQiOiJhIn0"),  # v is "NaN"
    ("GET", "/opportunities?sort=probability&cursor=eyJzIjoicHJvYmFiaWxpdHkiLCJ2IjoxZTMwOSwiaWQiOiJhIn0"),  # 1e309
    ("GET", "/accounts?q=" + "x" * 1000),
    ("GET", "/accounts?limit=abc&cursor=%%%"),
    ("GET", "/search?q="),
    ("GET", "/search?q=%00"),
    ("GET", "/search?q=" + "%" * 3),
    ("GET", "/search?q=a&types="),
    ("GET", "/search?q=a&types=" + "," * 99),
    ("GET", "/search?q=a&limit=1e309"),
    ("GET", "/context?from=" + "@" * 2000),
    ("GET", "/context?from=%00&to=%ff&cc=" + "a@b," * 500),
    ("GET", "/context?internet_message_id=" + "<" * 500),
    ("GET", "/context?item_id_format=soap"),
]


@pytest.mark.parametrize(("method", "path"), HOSTILE_QUERIES, ids=[f"{m} {p[:60]}" for m, p in HOSTILE_QUERIES])
def test_hostile_paths_and_queries_never_cause_a_500(api, targets, method, path):
    why = outcome(api, method, path, "{}" if method in ("POST", "PATCH", "PUT") else None)
    assert why is None, why


def test_long_ids_in_the_path_are_not_found_style_errors_without_existence_leak(api, foreign):
    """A 500-character id is refused the same way whether or not the workspace is the caller's."""
    ours = api.get(f"/opportunities/{LONG_ID}")
    theirs = api.get(f"/api/v1/workspaces/{foreign.ws}/opportunities/{LONG_ID}")
    assert ours.status_code in (404, 422) and ours.status_code == theirs.status_code
    assert assert_problem(ours, ours.status_code) == assert_problem(theirs, theirs.status_code)
