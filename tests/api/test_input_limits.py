"""Issue 16: input that costs CPU or breaks storage is refused with a problem answer, never a 500,
and changes nothing: over-long addresses (checked by length before any pattern), too many recipients,
bodies sent chunked (no Content-Length) get the same checks as the others, report CSVs are escaped
as the exports are, and quantity × unit price stays within what the database can hold.

No test here times anything: bench/input_validation.py measures the e-mail check."""
from __future__ import annotations

import csv
import http.client
import io
import json
import urllib.parse
from decimal import Decimal

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from tests.live_server import served

from .conftest import OWNER, Api, assert_problem
from .test_bad_input import opportunity_ids, read

# 100 KB shaped to be the old pattern's worst case: every dot of the "domain" was tried against the rest.
HUGE_ADDRESS = "a@" + "." * 100_000 + "@"
HUGE_DOTTED = "lee@" + "x." * 50_000 + " "
MAX_MONEY = Decimal("999999999999.99")  # storage.types: a unit price, a line, a total
MAX_QUANTITY = Decimal("1000000000")


@pytest.fixture
def app(app):
    """The transfer API, until create_app registers it itself (as tests/api/test_transfer.py does)."""
    if "transfer" not in app.blueprints:
        from addin.api.transfer import bp  # noqa: PLC0415

        app.register_api(bp)
    return app


def contact_deal(api: Api) -> dict:
    contact = api.make_contact(email_addresses=["lee.gu@northwindtraders.com"])
    return api.make_opportunity(link={"type": "contact", "id": contact["id"]})


def history(api: Api, deal: dict) -> list:
    return read(api, f"/opportunities/{deal['id']}/history")["items"]


# ---- addresses: length first --------------------------------------------------------------------

@pytest.mark.parametrize("address", [HUGE_ADDRESS, HUGE_DOTTED])
def test_a_100_kb_address_on_a_contact_is_422_and_stores_nothing(api, address):
    before = read(api, "/contacts")
    body = {"display_name": "Lee", "email_addresses": ["lee@contoso.com", address]}
    assert_problem(api.post("/contacts", body), 422, "email_addresses[1]")
    assert read(api, "/contacts") == before


@pytest.mark.parametrize(("recipients", "field"), [
    ({"to": [HUGE_ADDRESS]}, "to[0]"),
    ({"to": ["lee.gu@northwindtraders.com", HUGE_DOTTED]}, "to[1]"),
    ({"to": ["lee.gu@northwindtraders.com"], "cc": [HUGE_ADDRESS]}, "cc[0]"),
])
def test_a_100_kb_address_in_to_or_cc_is_422_before_anything_is_sent(api, recipients, field):
    deal = contact_deal(api)
    body = {"subject": "Quote", "body_html": "x", **recipients}
    assert_problem(api.post(f"/opportunities/{deal['id']}/email", body), 422, field)
    assert history(api, deal) == []


def test_a_100_kb_attendee_is_422_before_anything_is_sent(api):
    deal = contact_deal(api)
    body = {"subject": "Pricing", "start": "2026-12-03T10:00", "end": "2026-12-03T10:30", "time_zone": "UTC",
            "attendees": ["megan.bowen@fabrikam.com", HUGE_DOTTED]}
    assert_problem(api.post(f"/opportunities/{deal['id']}/meeting-request", body), 422, "attendees[1]")
    assert history(api, deal) == []


def test_more_than_100_attendees_is_422(api):
    deal = contact_deal(api)
    body = {"subject": "All hands", "start": "2026-12-03T10:00", "end": "2026-12-03T10:30", "time_zone": "UTC",
            "attendees": [f"person{i}@fabrikam.com" for i in range(101)]}
    assert_problem(api.post(f"/opportunities/{deal['id']}/meeting-request", body), 422, "attendees")
    assert history(api, deal) == []


def test_to_and_cc_together_over_100_is_422_on_cc(api):
    deal = contact_deal(api)
    body = {"subject": "Quote", "body_html": "x", "to": [f"to{i}@fabrikam.com" for i in range(60)],
            "cc": [f"cc{i}@fabrikam.com" for i in range(41)]}
    assert_problem(api.post(f"/opportunities/{deal['id']}/email", body), 422, "cc")
    assert history(api, deal) == []


@pytest.mark.parametrize("cell", [HUGE_ADDRESS, HUGE_DOTTED.strip(), "lee@contoso.com;" + HUGE_ADDRESS])
def test_a_100_kb_address_in_a_csv_cell_is_422_and_imports_nothing(api, cell):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([["Full Name", "E-mail Address"], ["Lee Gu", cell],
                                                      ["Megan Bowen", "megan.bowen@fabrikam.com"]])
    before = read(api, "/contacts")
    response = api.post("/import/contacts?dry_run=false", {"csv": out.getvalue()})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "row 2: E-mail Address"
    assert [r["status"] for r in problem["report"]["records"]] == ["error", "ok"]
    assert read(api, "/contacts") == before


# ---- bodies sent chunked ------------------------------------------------------------------------

def chunked(api: Api, method: str, path: str, data: bytes, content_type: str = "application/json"):
    """`data` as a chunked body: no Content-Length, Transfer-Encoding: chunked, the stream terminated
    by the server (wsgi.input_terminated, as gunicorn and werkzeug's server set it)."""
    environ = EnvironBuilder(path=api.url(path), method=method, input_stream=io.BytesIO(data),
                             content_type=content_type,
                             headers={"X-Dev-User": api.user, "Transfer-Encoding": "chunked"}).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    request = Request(environ)
    assert request.content_length is None and request.headers["Transfer-Encoding"] == "chunked"
    try:
        return api.client.open(request)
    except Exception as error:  # noqa: BLE001 - PROPAGATE_BUGS re-raises what would be a 500
        raise AssertionError(f"raised {type(error).__name__}: {str(error)[:200]} (a 500)") from error


def test_a_chunked_body_with_a_nul_is_400_and_stores_nothing(api):
    before = read(api, "/accounts")
    assert_problem(chunked(api, "POST", "/accounts", json.dumps({"name": "Acme\u0000Corp"}).encode()), 400, "name")
    assert read(api, "/accounts") == before


def test_a_chunked_patch_with_a_nul_is_400_and_changes_nothing(api):
    account = api.make_account()
    path = f"/accounts/{account['id']}"
    before = read(api, path)
    body = json.dumps({"phone": "1\u00002"}).encode()
    assert_problem(chunked(api, "PATCH", path, body), 400, "phone")
    assert read(api, path) == before


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_a_chunked_body_nested_too_deep_is_400_not_a_500(api, depth):
    before = opportunity_ids(api)
    text = '{"title": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    assert_problem(chunked(api, "POST", "/opportunities", text.encode()), 400, "body")
    assert opportunity_ids(api) == before


@pytest.mark.parametrize(("data", "status"), [
    (b'{"name": "Acme", ', 400),  # malformed
    (b'["name"]', 400),  # not an object
])
def test_a_chunked_body_gets_the_same_json_checks(api, data, status):
    before = read(api, "/accounts")
    assert_problem(chunked(api, "POST", "/accounts", data), status, "body")
    assert read(api, "/accounts") == before


def test_a_chunked_body_that_is_not_json_is_415(api):
    before = read(api, "/accounts")
    assert_problem(chunked(api, "POST", "/accounts", b"name=Acme", "application/x-www-form-urlencoded"), 415)
    assert read(api, "/accounts") == before


def test_a_chunked_body_over_the_limit_is_413_and_stores_nothing(api):
    before = read(api, "/accounts")
    body = json.dumps({"name": "Big", "address": "x" * 1_000_001}).encode()
    assert_problem(chunked(api, "POST", "/accounts", body), 413)
    assert read(api, "/accounts") == before


def test_a_chunked_csv_import_over_the_limit_is_413_not_a_truncated_import(app, api, monkeypatch):
    services = app.extensions["dealpane"]
    monkeypatch.setattr(services, "config", services.config.with_(max_import_bytes=1_000_000))
    rows = "".join(f"Account {i:07d},{'x' * 80}\r\n" for i in range(12_000))  # ~1.1 MB
    data = ("Account Name,Business Address\r\n" + rows).encode()
    assert len(data) > services.config.max_import_bytes
    before = read(api, "/accounts?limit=500")
    assert_problem(chunked(api, "POST", "/import/accounts?dry_run=false", data, "text/csv"), 413)
    assert read(api, "/accounts?limit=500") == before


def test_a_chunked_csv_import_within_the_limit_works(api):
    data = b"Account Name\r\nChunked Imports Ltd\r\n"
    response = chunked(api, "POST", "/import/accounts?dry_run=false", data, "text/csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [a["name"] for a in read(api, "/accounts?q=Chunked")["items"]] == ["Chunked Imports Ltd"]


def test_a_good_chunked_body_still_works(api):
    created = chunked(api, "POST", "/accounts", json.dumps({"name": "Chunked Ltd"}).encode())
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["name"] == "Chunked Ltd"


def test_a_real_server_refuses_a_chunked_nul_and_deep_nesting(app, api):
    """Over a socket, as a client sends it: HTTP/1.1 chunked transfer coding, no Content-Length."""
    before = read(api, "/accounts")
    with served(app) as base:
        url = urllib.parse.urlsplit(base)
        answers = []
        for text in ['{"name": "Acme\\u0000Corp"}', '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"]:
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            try:
                chunks = iter([text[: len(text) // 2].encode(), text[len(text) // 2:].encode()])
                connection.request("POST", f"/api/v1/workspaces/{api.ws}/accounts", body=chunks,
                                   headers={"Content-Type": "application/json", "X-Dev-User": OWNER},
                                   encode_chunked=True)
                response = connection.getresponse()
                answers.append((response.status, response.getheader("Content-Type"), json.loads(response.read())))
            finally:
                connection.close()
    assert [(status, kind) for status, kind, _ in answers] == [(400, "application/problem+json")] * 2
    assert answers[0][2]["errors"][0]["field"] == "name" and answers[1][2]["errors"][0]["field"] == "body"
    assert read(api, "/accounts") == before


# ---- report CSVs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_report_csv_cells_that_a_spreadsheet_would_run_are_escaped(api, start):
    name = f'{start}HYPERLINK("http://evil.example","x")'
    stage = api.stage("Prospecting")
    api.ok(api.patch(f"/sales-stages/{stage['id']}", {"name": name}))
    api.make_opportunity(stage_id=stage["id"], close_date="2030-01-15",
                         lines=[{"name": "Seat", "quantity": 1, "unit_price": "10.00"}])
    response = api.get("/reports/pipeline?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    names = [r["stage_name"] for r in rows]
    assert "'" + name in names and name not in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    assert next(r for r in rows if r["stage_name"] == "'" + name)["total"] == "10.00"


def test_forecast_csv_cells_are_escaped_too(api):
    response = api.get("/reports/forecast?format=csv&months=2")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "month" and len(rows) == 3
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# ---- money: quantity × unit price within bounds -----------------------------------------------

@pytest.mark.parametrize(("line", "field"), [
    ({"quantity": str(MAX_QUANTITY), "unit_price": str(MAX_MONEY)}, "lines[0].quantity"),
    ({"quantity": "1000001", "unit_price": "1000000.00"}, "lines[0].quantity"),
    ({"quantity": str(MAX_QUANTITY + 1), "unit_price": "1.00"}, "lines[0].quantity"),
    ({"quantity": "1", "unit_price": "1000000000000.00"}, "lines[0].unit_price"),
    ({"quantity": "1e30", "unit_price": "1.00"}, "lines[0].quantity"),
    ({"quantity": 10**30, "unit_price": "1.00"}, "lines[0].quantity"),
])
def test_a_huge_line_is_422_on_the_field_and_creates_nothing(api, line, field):
    account = api.make_account()
    before = opportunity_ids(api)
    body = {"title": "Huge", "link": {"type": "account", "id": account["id"]}, "lines": [{"name": "Seat", **line}]}
    assert_problem(api.post("/opportunities", body), 422, field)
    assert opportunity_ids(api) == before


def test_a_huge_line_on_patch_is_422_and_keeps_the_old_lines(api):
    deal = api.make_opportunity(lines=[{"name": "Seat", "quantity": "3", "unit_price": "19.99"}])
    path = f"/opportunities/{deal['id']}"
    before = read(api, path)
    lines = [{"name": "Seat", "quantity": "3", "unit_price": "19.99"},
             {"name": "Galaxy", "quantity": "999999999", "unit_price": "999999999999.99"}]
    assert_problem(api.patch(path, {"lines": lines}), 422, "lines[1].quantity")
    assert read(api, path) == before


def test_lines_that_add_up_to_more_than_the_largest_total_are_422_on_lines(api):
    account = api.make_account()
    before = opportunity_ids(api)
    half = (MAX_MONEY / 2).quantize(Decimal("0.01"))
    lines = [{"name": f"Part {i}", "quantity": "1", "unit_price": str(half + 1)} for i in range(2)]
    body = {"title": "Too much", "link": {"type": "account", "id": account["id"]}, "lines": lines}
    assert_problem(api.post("/opportunities", body), 422, "lines")
    assert opportunity_ids(api) == before


def test_the_largest_line_is_stored_exactly(api):
    deal = api.make_opportunity(probability=50, lines=[{"name": "Everything", "quantity": "1",
                                                        "unit_price": str(MAX_MONEY)}])
    again = read(api, f"/opportunities/{deal['id']}")
    assert again["total"] == str(MAX_MONEY) and again["lines"][0]["amount"] == str(MAX_MONEY)
    assert again["expected_revenue"] == "500000000000.00"  # half-up of 499999999999.995


def test_a_huge_line_in_a_csv_import_is_422_on_its_row_and_imports_nothing(api):
    account = api.make_account()
    text = ("Opportunity Title,Link To Type,Link To,Product or Service,Quantity,Unit Price\r\n"
            f"Huge,Account,{account['name']},Seat,1000000000,999999999999.99\r\n")
    before = opportunity_ids(api)
    response = api.post("/import/opportunities?dry_run=false", {"csv": text})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["errors"][0]["field"] == "row 2: Quantity"
    assert opportunity_ids(api) == before
