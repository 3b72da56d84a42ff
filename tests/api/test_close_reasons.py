"""Close reasons: the close_reason list, the reason given when a deal is closed (PATCH, bulk close), kept in
the change log and on reopen, the CSV column, the won/lost report by reason and by competitor, and a French
workspace's defaults. Each test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

import pytest

from storage.demo import seed_demo
from storage.models import Opportunity

from .conftest import assert_problem

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
DEFAULTS = ["Price", "Competitor chosen", "No budget", "No decision", "Timing", "Product fit", "Relationship"]


@pytest.fixture
def app(app):
    """The transfer API, until create_app registers it itself (as tests/api/test_transfer.py does)."""
    if "transfer" not in app.blueprints:
        from addin.api.transfer import bp  # noqa: PLC0415

        app.register_api(bp)
    return app


def changes(api, opportunity_id: str, field: str) -> list[tuple]:
    items = api.ok(api.get(f"/opportunities/{opportunity_id}/changes"))["items"]
    return [(c["old_value"], c["new_value"]) for c in items if c["field"] == field]


def test_a_new_workspace_has_the_list_and_it_is_edited_like_type_and_source(api, member_api, outsider_api):
    assert api.ok(api.get("/lists/close_reason"))["values"] == DEFAULTS
    # members edit lists as in BCM (PUT …/lists/{name}), renames follow onto the records
    deal = api.make_opportunity()
    api.ok(api.patch(f"/opportunities/{deal['id']}", {"stage_id": api.stage("Closed Lost")["id"],
                                                       "close_reason": "Price"}))
    values = ["Too expensive", "Competitor chosen", "Lost to in-house build"]
    answer = member_api.ok(member_api.put("/lists/close_reason", {"values": values, "rename": {"Price": "Too expensive"}}))
    assert answer["values"] == values
    assert api.ok(api.get(f"/opportunities/{deal['id']}"))["close_reason"] == "Too expensive"
    assert_problem(api.put("/lists/close_reason", {"values": ["Timing", "timing"]}), 422, "values[1]")
    # another workspace's member sees nothing of it
    assert_problem(outsider_api.get("/lists/close_reason"), 404)


def test_the_reason_is_given_when_the_deal_is_closed_and_must_be_a_value_of_the_list(api):
    deal = api.make_opportunity()
    url = f"/opportunities/{deal['id']}"
    # an open deal gets no reason
    body = assert_problem(api.patch(url, {"close_reason": "Price"}), 422, "close_reason")
    assert body["errors"][0]["message"] == "can be given only when the opportunity is closed (won or lost)"
    # not a value of the list: the same sentence as Type and Source, in English and French
    lost = api.stage("Closed Lost")["id"]
    body = assert_problem(api.patch(url, {"stage_id": lost, "close_reason": "Bad luck"}), 422, "close_reason")
    assert body["errors"][0]["message"] == "'Bad luck' is not a value of the close reason list"
    body = assert_problem(api.patch(url, {"stage_id": lost, "close_reason": "Bad luck"}, headers=FR), 422)
    assert body["errors"][0]["message"] == "« Bad luck » n’est pas une valeur de la liste Motif de clôture"
    assert api.ok(api.get(url))["status"] == "open"  # nothing of a refused change is kept

    closed = api.ok(api.patch(url, {"stage_id": lost, "close_reason": "Competitor chosen", "competitors": "Litware"}))
    assert (closed["status"], closed["close_reason"], closed["read_only"]) == ("lost", "Competitor chosen", True)
    # a closed deal is read-only, but its reason may be corrected on its own
    assert api.patch(url, {"close_reason": "Price", "title": "Renamed"}).status_code == 409
    assert api.ok(api.patch(url, {"close_reason": "Price"}))["close_reason"] == "Price"
    assert changes(api, deal["id"], "close_reason") == [("Competitor chosen", "Price"), (None, "Competitor chosen")]

    # reopened, it keeps its last reason (sent back unchanged it is accepted) but cannot be given another
    reopened = api.ok(api.post(f"{url}/reopen", {"stage_id": api.stage("Proposal")["id"]}))
    assert (reopened["status"], reopened["close_reason"]) == ("open", "Price")
    assert api.ok(api.patch(url, {"close_reason": "Price", "probability": 40}))["probability"] == 40
    assert_problem(api.patch(url, {"close_reason": "Timing"}), 422, "close_reason")
    assert api.ok(api.patch(url, {"close_reason": None}))["close_reason"] is None
    # a value removed from the list cannot be chosen again
    api.ok(api.put("/lists/close_reason", {"values": ["Timing"]}))
    assert_problem(api.patch(url, {"stage_id": api.stage("Closed Won")["id"], "close_reason": "Price"}), 422,
                   "close_reason")


def test_bulk_close_sets_the_reason_on_every_deal_and_refuses_a_bad_one_whole(api):
    first, second, done = api.make_opportunity(), api.make_opportunity(), api.make_opportunity()
    api.ok(api.post("/opportunities/bulk-close", {"ids": [done["id"]], "outcome": "won"}))
    ids = [first["id"], second["id"], done["id"]]
    body = assert_problem(api.post("/opportunities/bulk-close", {"ids": ids, "outcome": "lost",
                                                                 "close_reason": "Nope"}), 422, "close_reason")
    assert body["errors"][0]["message"] == "'Nope' is not a value of the close reason list"
    assert api.ok(api.get(f"/opportunities/{first['id']}"))["status"] == "open"

    answer = api.ok(api.post("/opportunities/bulk-close", {"ids": ids, "outcome": "lost", "close_reason": "No budget",
                                                           "close_date": "2030-01-15"}))
    assert answer["updated"] == [first["id"], second["id"]]
    assert [f["id"] for f in answer["failed"]] == [done["id"]]  # closed already: 409, left as it was
    for record in (first, second):
        got = api.ok(api.get(f"/opportunities/{record['id']}"))
        assert (got["status"], got["close_reason"], got["close_date"]) == ("lost", "No budget", "2030-01-15")
        assert changes(api, record["id"], "close_reason") == [(None, "No budget")]
    assert api.ok(api.get(f"/opportunities/{done['id']}"))["close_reason"] is None
    # the reason stays optional, as it was before close reasons
    other = api.make_opportunity()
    api.ok(api.post("/opportunities/bulk-close", {"ids": [other["id"]], "outcome": "won"}))
    assert api.ok(api.get(f"/opportunities/{other['id']}"))["close_reason"] is None


def _export(api, headers=None, delimiter=",") -> list[dict]:
    response = api.get("/export/opportunities.csv", headers=headers or {})
    assert response.status_code == 200
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_the_csv_column_round_trips_and_import_checks_it(api):
    lost = api.make_opportunity(title="Lost one")
    api.ok(api.post("/opportunities/bulk-close", {"ids": [lost["id"]], "outcome": "lost", "close_reason": "Timing"}))
    api.make_opportunity(title="Open one")
    rows = {r["Opportunity Title"]: r for r in _export(api)}
    assert (rows["Lost one"]["Close Reason"], rows["Open one"]["Close Reason"]) == ("Timing", "")
    french = {r["Titre de l’opportunité"]: r for r in _export(api, FR, ";")}  # as French Excel reads it
    assert french["Lost one"]["Motif de clôture"] == "Timing"

    text = api.get("/export/opportunities.csv").get_data(as_text=True)
    copy = api.as_(api.user)
    copy.ws = copy.ok(copy.post("/api/v1/workspaces", {"name": "Copy"}), 201)["id"]
    accounts = api.get("/export/accounts.csv").get_data(as_text=True)
    copy.ok(copy.post("/import/accounts?dry_run=false", {"csv": accounts}))
    report = copy.ok(copy.post("/import/opportunities?dry_run=false", {"csv": text}))
    assert report["ok"], report
    imported = {r["Opportunity Title"]: r["Close Reason"] for r in _export(copy)}
    assert imported == {"Lost one": "Timing", "Open one": ""}

    # a reason on an open row, or one not in the list, is reported on its row and column; nothing is imported
    bad = text.replace(",Timing,", ",Bad luck,")
    report = copy.ok(copy.post("/import/opportunities?dry_run=true", {"csv": bad}))
    errors = [(e["column"], e["message"]) for r in report["records"] for e in r["errors"]]
    assert ("Close Reason", "'Bad luck' is not a value of the close reason list") in errors


def test_the_report_counts_won_and_lost_by_reason_and_by_competitor(api, outsider_api):
    def closed(outcome, reason, competitors, price, day):
        deal = api.make_opportunity(competitors=competitors, lines=[{"name": "Seats", "unit_price": price}])
        api.ok(api.post("/opportunities/bulk-close", {"ids": [deal["id"]], "outcome": outcome, "close_date": day,
                                                      **({"close_reason": reason} if reason else {})}))

    closed("lost", "Price", "Litware; Northwind", "100.00", "2030-01-10")
    closed("lost", "Price", "litware", "50.50", "2030-01-20")
    closed("won", "Relationship", "Northwind,\nAdatum", "1000.00", "2030-02-01")
    closed("won", "Price", None, "10.00", "2030-02-02")
    closed("lost", None, "=cmd|evil", "1.00", "2030-03-01")
    closed("lost", "Timing", None, "7.00", "2029-12-31")  # before the period asked for below
    api.make_opportunity(competitors="Litware")  # open: not counted

    report = api.ok(api.get("/reports/close-reasons", query_string={"from": "2030-01-01", "to": "2030-12-31"}))
    assert report["currency"] == "USD"
    assert report["reasons"] == [  # in the list's order, "no reason" last
        {"name": "Price", "won_count": 1, "won_total": "10.00", "lost_count": 2, "lost_total": "150.50"},
        {"name": "Relationship", "won_count": 1, "won_total": "1000.00", "lost_count": 0, "lost_total": "0.00"},
        {"name": None, "won_count": 0, "won_total": "0.00", "lost_count": 1, "lost_total": "1.00"},
    ]
    assert report["competitors"] == [  # most deals first; one competitor whatever its case
        {"name": "Litware", "won_count": 0, "won_total": "0.00", "lost_count": 2, "lost_total": "150.50"},
        {"name": "Northwind", "won_count": 1, "won_total": "1000.00", "lost_count": 1, "lost_total": "100.00"},
        {"name": "=cmd|evil", "won_count": 0, "won_total": "0.00", "lost_count": 1, "lost_total": "1.00"},
        {"name": "Adatum", "won_count": 1, "won_total": "1000.00", "lost_count": 0, "lost_total": "0.00"},
    ]
    everything = api.ok(api.get("/reports/close-reasons"))
    assert [r["name"] for r in everything["reasons"]] == ["Price", "Timing", "Relationship", None]

    response = api.get("/reports/close-reasons", query_string={"from": "2030-01-01", "format": "csv"})
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="close-reasons.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert rows[0] == ["group", "name", "won_count", "won_total", "lost_count", "lost_total"]
    assert rows[1] == ["reason", "Price", "1", "10.00", "2", "150.50"]
    assert ["reason", "", "0", "0.00", "1", "1.00"] in rows
    assert ["competitor", "'=cmd|evil", "0", "0.00", "1", "1.00"] in rows  # never run as a formula

    body = assert_problem(api.get("/reports/close-reasons", query_string={"from": "2030-02-01", "to": "2030-01-01"},
                                  headers=FR), 422, "to")
    assert body["errors"][0]["message"] == "ne doit pas être antérieure à la date `from`"
    assert_problem(api.get("/reports/close-reasons", query_string={"from": "yesterday"}), 400)
    assert_problem(outsider_api.get("/reports/close-reasons"), 404)


def test_a_french_workspace_starts_with_french_reasons(api):
    french = api.as_(api.user)
    french.ws = french.ok(french.post("/api/v1/workspaces", {"name": "Paris", "language": "fr"}), 201)["id"]
    assert french.ok(french.get("/lists/close_reason"))["values"] == [
        "Prix", "Concurrent choisi", "Pas de budget", "Pas de décision", "Calendrier", "Adéquation du produit",
        "Relation client"]


@pytest.mark.parametrize("language, reasons", [("en", {"Relationship", "Price"}),
                                               ("fr", {"Relation client", "Prix"})])
def test_the_demo_gives_its_closed_deals_a_reason(session, language, reasons):
    workspace, _created = seed_demo(session, language=language)
    closed = [o for o in session.query(Opportunity).filter_by(workspace_id=workspace.id) if o.read_only]
    assert closed and {o.close_reason for o in closed} == reasons


def test_the_openapi_document_describes_close_reasons(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/workspaces/{ws}/reports/close-reasons" in spec["paths"]
    schemas = spec["components"]["schemas"]
    for name in ("OpportunityPatch", "OpportunityOut", "BulkCloseIn"):
        assert "close_reason" in schemas[name]["properties"], name
