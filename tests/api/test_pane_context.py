"""The pane's context call (one SQL statement, storage/services/pane_context.py) against a plain
reading of the same workspace through the ordinary API, on random data and random e-mails.

The reference below is written the slow, obvious way from GET /accounts, /contacts and
/opportunities; the context call must agree with it field for field, for any mix of senders,
recipients (up to 70 addresses, so every IN-list size is used), closed stages, contacts without
accounts, an opportunity reachable through both its contact and its account, and e-mails linked,
linked twice and unlinked again.
"""
from __future__ import annotations

import datetime as dt
import random

import pytest

from addin.api import schemas
from storage.models import HistoryItem, HistoryLink
from tests.api.conftest import problem

SUMMARY_FIELDS = ("id", "title", "link", "stage_id", "stage_name", "status", "probability", "total",
                  "expected_revenue", "close_date", "assigned_to")


def every(api, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = api.ok(api.get(path, query_string={"limit": 500, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


@pytest.fixture
def world(api, app):
    """A random workspace: 8 accounts (some sharing nothing), 24 contacts (some without an account,
    some with two addresses), 60 opportunities over every stage, 10 e-mails linked to 1-2 of them."""
    rnd = random.Random(20261127)
    stages = api.ok(api.get("/sales-stages"))["items"]
    accounts = [api.make_account(name=f"Acme {rnd.choice('QWXYZ')}{n}", email_domains=[f"acme{n}.example"]
                                 + ([f"acme{n}.co.example"] if n % 3 == 0 else []))
                for n in range(8)]
    contacts = []
    for n in range(24):
        account = rnd.choice(accounts + [None, None])
        domain = account["email_domains"][0] if account else "freelance.example"
        addresses = [f"person{n}@{domain}"] + ([f"p{n}.alt@other{n}.example"] if n % 4 == 0 else [])
        contacts.append(api.make_contact(display_name=f"{rnd.choice('ABCDE')}. Person {n}",
                                         email_addresses=addresses, account_id=account["id"] if account else None))
    opportunities = []
    for n in range(60):
        linked = rnd.choice(accounts + contacts)
        link = {"type": "account" if "email_domains" in linked else "contact", "id": linked["id"]}
        close = rnd.choice([None, (dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(90))).isoformat()])
        stage = rnd.choice(stages) if n % 7 else None
        fields = {"probability": rnd.randrange(101)} if stage is None or stage["outcome"] is None else {}
        opportunities.append(api.make_opportunity(title=f"Deal {n}", link=link, close_date=close,
                                                  stage_id=stage["id"] if stage else None, **fields))
    emails = {}
    with app.extensions["dealpane"].session_factory() as session:
        for n in range(10):
            chosen = rnd.sample(opportunities, rnd.choice([1, 1, 2]))
            item = HistoryItem(workspace_id=api.ws, kind="email", subject=f"Mail {n}", summary="",
                               occurred_at=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc),
                               internet_message_id=f"<mail{n}@acme.example>", graph_id=f"AAMk-graph-{n}",
                               client_item_id=f"AAMk-ews-{n}" if n % 2 else None)
            item.links = [HistoryLink(opportunity_id=o["id"], origin="manual", reason="test",
                                      suppressed=(n == 3 and i == 0)) for i, o in enumerate(chosen)]
            session.add(item)
            emails[n] = item
        session.commit()
        emails = {n: (item.id, item.internet_message_id, item.graph_id, item.client_item_id,
                      [l.opportunity_id for l in item.links if not l.suppressed]) for n, item in emails.items()}
    return {"rnd": rnd, "emails": emails, "addresses": [a for c in contacts for a in c["email_addresses"]]}


def reference(api, people: set[str], linked_ids: list[str]) -> dict:
    """What the context call must answer, computed from the plain listing endpoints."""
    accounts = every(api, "/accounts")
    contacts = [c for c in every(api, "/contacts") if set(c["email_addresses"]) & people]
    domains = {p.rsplit("@", 1)[1] for p in people}
    account_ids = {a["id"] for a in accounts if set(a["email_domains"]) & domains} | {
        c["account_id"] for c in contacts if c["account_id"]}
    opportunities = every(api, "/opportunities")
    contact_ids = {c["id"] for c in contacts}
    open_ones = [o for o in opportunities if o["status"] == "open" and o["link"]["id"] in contact_ids | account_ids]
    open_ones.sort(key=lambda o: (o["close_date"] is None, o["close_date"] or "", o["id"]))
    summary = lambda o: {k: o[k] for k in SUMMARY_FIELDS}  # noqa: E731
    by_id = {o["id"]: o for o in opportunities}
    return {
        "matched_contacts": sorted(({k: c[k] for k in ("id", "display_name", "email_addresses", "account_id",
                                                        "job_title")} for c in contacts),
                                   key=lambda c: (c["display_name"], c["id"])),
        "matched_accounts": sorted(({"id": a["id"], "name": a["name"], "email_domains": a["email_domains"]}
                                    for a in accounts if a["id"] in account_ids), key=lambda a: (a["name"], a["id"])),
        "open_opportunities": [summary(o) for o in open_ones],
        "linked_opportunities": sorted((summary(by_id[i]) for i in set(linked_ids)),
                                       key=lambda o: o["title"].lower()),
    }


def test_the_context_call_agrees_with_the_plain_listing_on_random_mail(api, world):
    rnd = world["rnd"]
    for case in range(40):
        count = rnd.choice([0, 1, 1, 2, 3, 5, 17, 70])
        people = rnd.sample(world["addresses"], min(count, len(world["addresses"])))
        people += [f"stranger{case}@acme{case % 8}.example", "nobody@nowhere.example"][:rnd.randrange(3)]
        params = {"from": people[0] if people else "", "to": ", ".join(f"X <{p.upper()}>" for p in people[1:]),
                  "cc": "owner@contoso.com"}
        email = world["emails"].get(rnd.randrange(14))  # some cases name no stored e-mail
        item_ids, linked = [], []
        if email is not None:
            item_id, message_id, graph_id, ews_id, linked = email
            key = rnd.choice(["internet_message_id", "item_id", "ews"])
            if key == "internet_message_id":
                params["internet_message_id"] = message_id
            else:
                params["item_id"] = ews_id if key == "ews" and ews_id else graph_id
            item_ids = [item_id]
        got = api.ok(api.get("/context", query_string=params))
        schemas.ContextOut.model_validate(got)
        expected = reference(api, {p.lower() for p in people}, linked)
        assert got["linked_items"] == item_ids, case
        assert got["currency"] == "USD"
        for key, value in expected.items():
            assert got[key] == value, (case, key)


def test_the_context_call_for_a_workspace_id_that_is_not_one_is_404(api):
    problem(api.get("/api/v1/workspaces/not-an-id/context", query_string={"from": "a@b.example"}), 404)
    problem(api.get("/api/v1/workspaces/0123456789abcdef0123456789abcdef/context"), 404)


def test_a_users_first_call_creates_them_and_answers_404_like_any_outsider(api):
    newcomer = api.as_("first.time@elsewhere.example")
    problem(newcomer.get("/context", query_string={"from": "a@b.example"}), 404)
    me = newcomer.ok(newcomer.get("/api/v1/me"))
    assert me["user"]["email"] == "first.time@elsewhere.example" and me["workspaces"] == []


def test_a_database_failure_in_the_context_call_is_a_problem_answer_not_a_crash(api, app, engine):
    """The statement runs on the DBAPI cursor; its errors still become SQLAlchemy's, which the app
    maps (an OperationalError: 503 with Retry-After)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a table renamed under a running app is the SQLite way to make the statement fail")
    api.make_contact(email_addresses=["anna@fabrikam.example"])
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE contact_email RENAME TO contact_email_gone")
    response = api.get("/context", query_string={"from": "anna@fabrikam.example"})
    body = problem(response, 503)
    assert response.headers["Retry-After"] == "2" and "retry" in body["detail"]


def test_a_connection_the_database_dropped_costs_the_pane_nothing(api, app, engine):
    """The context pool does not ping before each call; when PostgreSQL has dropped its connections
    (a restart, a failover), the call's own failure discards them and the read runs once more."""
    if engine.dialect.name != "postgresql":
        pytest.skip("server-side connection kills are PostgreSQL's")
    api.make_contact(email_addresses=["anna@fabrikam.example"])
    hot = app.extensions["dealpane"].single_statement_engine
    assert api.ok(api.get("/context", query_string={"from": "anna@fabrikam.example"}))["matched_contacts"]
    with hot.connect() as conn:  # the pooled connection(s) the calls use
        pids = {conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()}
    with engine.connect() as admin:
        for pid in pids:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
    got = api.ok(api.get("/context", query_string={"from": "anna@fabrikam.example"}))
    assert [c["email_addresses"] for c in got["matched_contacts"]] == [["anna@fabrikam.example"]]
    with hot.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() not in pids
