"""Erase a person (owner only) and export a person, through the REST API, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from storage.models import (
    AuditEvent, Contact, ContactEmail, HistoryItem, HistoryLink, Mailbox, Opportunity, OpportunityChange,
)
from tests.api.conftest import Api, assert_problem
from tests.api.test_records import outsider_workspace

JANE = "jane.roe@contoso-customer.example"
JANE_OTHER = "jroe@home.example"
COLLEAGUE = "sam.poe@contoso-customer.example"


def add_item(session_factory, ws: str, subject: str, sender: str | None, to: list[str], links: list[dict],
             kind: str = "email") -> str:
    with session_factory() as s:
        item = HistoryItem(workspace_id=ws, kind=kind, subject=subject, occurred_at=dt.datetime(2026, 11, 2, 10, tzinfo=dt.timezone.utc),
                           from_address=sender, to_addresses=to, cc_addresses=[],
                           internet_message_id=f"<{subject.replace(' ', '.')}@example>" if kind == "email" else None)
        item.links = [HistoryLink(origin=link.pop("origin", "auto"), reason="test", **link) for link in links]
        s.add(item)
        s.commit()
        return item.id


def add_mailbox(session_factory, ws: str, address: str, never_log: list[str]) -> str:
    with session_factory() as s:
        mailbox = Mailbox(workspace_id=ws, address=address, mode="dev", never_log=never_log, folders=["inbox"])
        s.add(mailbox)
        s.commit()
        return mailbox.id


def world(api: Api, session_factory) -> dict:
    """Jane (two addresses) works for Contoso Customer; Sam is her colleague; Ann a contact elsewhere."""
    account = api.make_account(name="Contoso Customer", email_domains=["contoso-customer.example"])
    jane = api.make_contact(display_name="Jane Roe", email_addresses=[JANE, JANE_OTHER], account_id=account["id"])
    sam = api.make_contact(display_name="Sam Poe", email_addresses=[COLLEAGUE], account_id=account["id"])
    duplicate = api.make_contact(display_name="J. Roe (old)", email_addresses=[JANE_OTHER, "kept@home.example"])
    deal = api.make_opportunity(title="Contoso renewal", link={"type": "account", "id": account["id"]},
                                initiated_by={"type": "contact", "id": jane["id"]})
    ws = api.ws
    ids = {
        # only Jane's: her contact and the account by her own domain
        "alone": add_item(session_factory, ws, "Alone", JANE, ["owner@contoso.com"],
                          [{"contact_id": jane["id"]}, {"account_id": account["id"]}]),
        "note": add_item(session_factory, ws, "Call notes", None, [], [{"contact_id": jane["id"], "origin": "manual"}],
                         kind="note"),
        # hidden from Sam's history: concerns nobody else either
        "hidden": add_item(session_factory, ws, "Hidden", JANE_OTHER, ["owner@contoso.com"],
                           [{"contact_id": jane["id"]}, {"contact_id": sam["id"], "suppressed": True}]),
        # shared: Sam is on it, a deal's history, an account filed by hand, a colleague's domain
        "with_sam": add_item(session_factory, ws, "With Sam", JANE, [COLLEAGUE, "owner@contoso.com"],
                             [{"contact_id": jane["id"]}, {"contact_id": sam["id"]}, {"account_id": account["id"]}]),
        "deal": add_item(session_factory, ws, "Deal mail", "owner@contoso.com", [JANE],
                         [{"contact_id": jane["id"]}, {"opportunity_id": deal["id"]}]),
        "filed": add_item(session_factory, ws, "Filed", JANE, ["owner@contoso.com"],
                          [{"contact_id": jane["id"]}, {"account_id": account["id"], "origin": "manual"}]),
        "colleague_cc": add_item(session_factory, ws, "Colleague domain", JANE, ["other@contoso-customer.example"],
                                 [{"contact_id": jane["id"]}, {"account_id": account["id"]}]),
        # not linked to Jane at all, but naming her address
        "elsewhere": add_item(session_factory, ws, "Elsewhere", "owner@contoso.com", [COLLEAGUE, JANE_OTHER],
                              [{"contact_id": sam["id"]}]),
    }
    mailboxes = [add_mailbox(session_factory, ws, "owner@contoso.com", ["@newsletter.example"]),
                 add_mailbox(session_factory, ws, "member@contoso.com", [])]
    return {"account": account, "jane": jane, "sam": sam, "duplicate": duplicate, "deal": deal, "items": ids,
            "mailboxes": mailboxes}


def remaining(session_factory, ids: dict) -> dict[str, HistoryItem]:
    with session_factory() as s:
        found = {i.id: i for i in s.scalars(sa.select(HistoryItem).where(HistoryItem.id.in_(ids.values())))}
        return {name: found[i] for name, i in ids.items() if i in found}


def test_erasure_removes_what_concerns_nobody_else_and_returns_a_receipt(api, session_factory):
    w = world(api, session_factory)
    receipt = api.ok(api.post(f"/contacts/{w['jane']['id']}/erase"))
    assert receipt["contact_id"] == w["jane"]["id"]
    assert receipt["history_items_removed"] == 3  # alone, note, hidden
    assert receipt["history_items_kept"] == 4
    assert receipt["addresses_removed_from"] == {"history_items": 5, "contacts": 1, "opportunities_initiated": 1,
                                                 "projects": 0}
    assert receipt["addresses_blocked"] == 2 and receipt["mailboxes_blocking"] == 2

    kept = remaining(session_factory, w["items"])
    assert set(kept) == {"with_sam", "deal", "filed", "colleague_cc", "elsewhere"}
    for item in kept.values():
        everyone = {item.from_address, *item.to_addresses, *item.cc_addresses}
        assert not everyone & {JANE, JANE_OTHER}, item.subject
    assert kept["with_sam"].from_address is None and kept["with_sam"].to_addresses == [COLLEAGUE, "owner@contoso.com"]
    assert kept["elsewhere"].to_addresses == [COLLEAGUE]
    with session_factory() as s:
        assert s.get(Contact, w["jane"]["id"]) is None
        assert not s.scalar(sa.select(sa.func.count()).select_from(HistoryLink)
                            .where(HistoryLink.contact_id == w["jane"]["id"]))
        assert list(s.scalars(sa.select(ContactEmail.address).where(
            ContactEmail.contact_id == w["duplicate"]["id"]))) == ["kept@home.example"]
        assert s.get(Opportunity, w["deal"]["id"]).initiated_by_id is None
        blocks = {m.address: m.never_log for m in s.scalars(sa.select(Mailbox).where(Mailbox.workspace_id == api.ws))}
    assert blocks == {"owner@contoso.com": ["@newsletter.example", JANE, JANE_OTHER],
                      "member@contoso.com": [JANE, JANE_OTHER]}
    api.ok(api.get(f"/contacts/{w['sam']['id']}"))  # the colleague is untouched
    assert api.get(f"/contacts/{w['jane']['id']}").status_code == 404
    hits = api.ok(api.get("/search", query_string={"q": "jane"}))
    assert "Jane Roe" not in json.dumps(hits)


def test_the_audit_event_keeps_counts_and_the_id_but_no_personal_data(api, session_factory, engine):
    w = world(api, session_factory)
    receipt = api.ok(api.post(f"/contacts/{w['jane']['id']}/erase"))
    with session_factory() as s:
        event = s.get(AuditEvent, receipt["audit_event_id"])
        assert event.action == "erase_contact" and event.workspace_id == api.ws
        assert event.detail["contact_id"] == w["jane"]["id"]
        assert event.detail["history_items_removed"] == 3 and event.detail["mailboxes_blocking"] == 2
    with engine.connect() as connection:
        rows = [tuple(str(v) for v in row) for row in connection.execute(sa.text("SELECT * FROM audit_event"))]
    assert len(rows) == 1
    text = " ".join(" ".join(row) for row in rows).lower()
    for personal in (JANE, JANE_OTHER, "jane", "roe", "home.example", "contoso-customer"):
        assert personal not in text


def test_a_person_linked_to_opportunities_is_not_erased_until_they_are_linked_elsewhere(api, session_factory):
    jane = api.make_contact(display_name="Jane Roe", email_addresses=[JANE])
    api.make_opportunity(title="Jane's own deal", link={"type": "contact", "id": jane["id"]})
    add_mailbox(session_factory, api.ws, "owner@contoso.com", [])
    body = assert_problem(api.post(f"/contacts/{jane['id']}/erase"), 409)
    assert "Jane's own deal" in body["detail"] and "1 opportunity" in body["detail"]
    french = assert_problem(api.post(f"/contacts/{jane['id']}/erase", headers={"Accept-Language": "fr"}), 409)
    assert "liée à cette personne" in french["detail"]
    with session_factory() as s:  # nothing changed
        assert s.get(Contact, jane["id"]) is not None
        assert s.scalar(sa.select(Mailbox.never_log).where(Mailbox.workspace_id == api.ws)) == []
        assert not s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_only_an_owner_may_erase_and_other_workspaces_get_404(api, member_api, session_factory):
    jane = api.make_contact(display_name="Jane Roe", email_addresses=[JANE])
    body = assert_problem(member_api.post(f"/contacts/{jane['id']}/erase"), 403)
    assert "owner" in body["detail"]
    other = outsider_workspace(api)
    assert_problem(other.post(f"/contacts/{jane['id']}/erase"), 404)
    assert_problem(other.get(f"/contacts/{jane['id']}/export"), 404)
    assert_problem(api.as_("outsider@fabrikam.com").post(f"/api/v1/workspaces/{api.ws}/contacts/{jane['id']}/erase"),
                   404)
    assert_problem(api.post("/contacts/00000000000000000000000000000000/erase"), 404)
    assert_problem(api.post("/contacts/not-an-id/erase"), 404)
    api.ok(api.get(f"/contacts/{jane['id']}"))  # still there


def test_export_holds_everything_stored_about_the_person(api, member_api, session_factory):
    w = world(api, session_factory)
    jane_deal = api.make_opportunity(title="Jane direct", link={"type": "contact", "id": w["jane"]["id"]})
    with session_factory() as s:
        s.add(OpportunityChange(opportunity_id=jane_deal["id"], changed_at=dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc), field="link",
                                old_value=f"account:{w['account']['id']}", new_value=f"contact:{w['jane']['id']}"))
        s.commit()
    response = member_api.get(f"/contacts/{w['jane']['id']}/export")  # any member may export
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="contact-{w["jane"]["id"]}.json"'
    data = response.get_json()
    assert data["contact"]["display_name"] == "Jane Roe"
    assert data["contact"]["email_addresses"] == [JANE, JANE_OTHER]
    assert data["account"] == {"id": w["account"]["id"], "name": "Contoso Customer"}
    subjects = {i["subject"] for i in data["history"]}
    assert subjects == {"Alone", "Call notes", "Hidden", "With Sam", "Deal mail", "Filed", "Colleague domain"}
    with_sam = next(i for i in data["history"] if i["subject"] == "With Sam")
    assert {(link["record_type"], link["record_id"]) for link in with_sam["links"]} == {
        ("contact", w["jane"]["id"]), ("contact", w["sam"]["id"]), ("account", w["account"]["id"])}
    assert {(o["title"], o["role"]) for o in data["opportunities"]} == {("Contoso renewal", "initiated_by"),
                                                                         ("Jane direct", "link")}
    assert [c["new_value"] for c in data["change_log"]] == [f"contact:{w['jane']['id']}"]
    assert data["projects"] == []


def test_the_endpoints_are_in_the_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    erase = spec["paths"]["/api/v1/workspaces/{ws}/contacts/{id}/erase"]["post"]
    assert {"200", "403", "404", "409"} <= set(erase["responses"])
    assert "/api/v1/workspaces/{ws}/contacts/{id}/export" in spec["paths"]
