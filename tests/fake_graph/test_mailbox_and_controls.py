"""Loading mailbox files, mail folders, the user, the /_fake mailbox controls and subscriptions."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from graph_sync.fake import FakeGraph
from graph_sync.fake.mailbox import Mailbox, MailboxError

from .conftest import DEMO_MAILBOX, Client, message


def test_demo_mailbox_contents():
    data = json.loads(DEMO_MAILBOX.read_text(encoding="utf-8"))
    assert data["user"]["mail"] == "demo@contoso.com" and data["user"]["displayName"] == "Diego Siciliani"
    assert 24 <= len(data["messages"]) <= 30 and 7 <= len(data["events"]) <= 10
    (todo,) = data["todoLists"]
    assert todo["displayName"] == "Dealpane" and len(todo["tasks"]) == 2
    subjects = [m["subject"] for m in data["messages"]]
    assert any("<img src=x onerror=alert(1)>" in s for s in subjects)
    assert any(any(ord(ch) > 127 for ch in s) for s in subjects)
    addresses = {m["from"]["emailAddress"]["address"] for m in data["messages"]}
    assert {"megan.bowen@fabrikam.com", "isaiah.langer@fabrikam.com", "lidia.holloway@adventure-works.com",
            "lee.gu@northwindtraders.com", "pradeep.gupta@tailspintoys.com", "johanna.lorenz@litware.com",
            "grady.archie@outlook.com", "alex.wilber@contoso.com"} <= addresses
    conversations = [m["conversationId"] for m in data["messages"]]
    assert max(conversations.count(c) for c in conversations) >= 3
    dates = [m["receivedDateTime"] for m in data["messages"]] + [e["start"]["dateTime"] for e in data["events"]]
    assert all(d.startswith(("2026-11", "2026-12")) for d in dates)
    assert all(e["attendees"] and e["organizer"] and e["iCalUId"] for e in data["events"])


def test_loading_is_deterministic_and_fills_defaults():
    source = {"messages": [{"subject": "no id"}], "events": [{"subject": "no id either"}]}
    first, second = Mailbox(source).to_dict(), Mailbox(source).to_dict()
    assert first["messages"][0]["id"] == second["messages"][0]["id"]
    assert re.fullmatch(r"AAMkAG[A-Za-z0-9_-]+=", first["messages"][0]["id"])
    msg = first["messages"][0]
    assert msg["parentFolderId"] == next(f["id"] for f in first["mailFolders"] if f["wellKnownName"] == "inbox")
    for key in ("changeKey", "createdDateTime", "lastModifiedDateTime", "conversationId", "internetMessageId",
                "webLink", "@odata.etag"):
        assert msg[key]


def test_file_values_and_unknown_properties_are_kept(start_fake):
    fake = start_fake({"messages": [message("kept", id="AAMkAGkept1", changeKey="CQAAAkept", myOwnField={"a": 1})]})
    client = Client(fake.url)
    got = client.ok("GET", "/me/messages/AAMkAGkept1")
    assert got["changeKey"] == "CQAAAkept" and got["myOwnField"] == {"a": 1} and got["id"] == "AAMkAGkept1"


def test_bad_mailbox_files_are_refused():
    with pytest.raises(MailboxError):
        Mailbox({"messages": [{"id": "has/slash"}]})
    with pytest.raises(MailboxError):
        Mailbox({"messages": [{"parentFolderId": "nowhere"}]})
    with pytest.raises(MailboxError):
        Mailbox({"messages": [{"id": "AAMkAGdup"}, {"id": "AAMkAGdup"}]})


def test_from_file(tmp_path):
    path = tmp_path / "mailbox.json"
    path.write_text(json.dumps({"user": {"id": "u1", "mail": "x@y.example", "userPrincipalName": "x@y.example",
                                         "displayName": "X"}, "messages": [message("one")]}), encoding="utf-8")
    with FakeGraph.from_file(path) as fake:
        client = Client(fake.url)
        assert client.ok("GET", "/users/x@y.example")["displayName"] == "X"
        assert len(client.delta_round("/me/mailFolders/inbox/messages/delta")[1]) == 1


def test_mail_folders(client):
    folders = client.ok("GET", "/me/mailFolders")["value"]
    names = {f["displayName"] for f in folders}
    assert {"Inbox", "Sent Items", "Drafts", "Deleted Items"} <= names
    assert all("wellKnownName" not in f for f in folders)
    for well_known in ("inbox", "sentitems", "drafts", "deleteditems", "Inbox"):
        folder = client.ok("GET", f"/me/mailFolders/{well_known}")
        assert client.ok("GET", f"/me/mailFolders/{folder['id']}")["id"] == folder["id"]
    inbox = client.ok("GET", "/me/mailFolders/inbox")
    assert inbox["totalItemCount"] >= 15 and 0 < inbox["unreadItemCount"] < inbox["totalItemCount"]


def test_default_folders_are_added_to_a_partial_list(start_fake):
    fake = start_fake({"mailFolders": [{"id": "AAMkAGmyinbox", "displayName": "Posteingang",
                                        "wellKnownName": "inbox"}]})
    client = Client(fake.url)
    assert client.ok("GET", "/me/mailFolders/inbox")["id"] == "AAMkAGmyinbox"
    assert client.ok("GET", "/me/mailFolders/sentitems")["displayName"] == "Sent Items"


def test_control_message_changes(client):
    added = client.ok("POST", "/_fake/mailbox/messages", message("Into the archive", folder="archive"), expect=201)
    archive_id = client.ok("GET", "/me/mailFolders/archive")["id"]
    assert added["parentFolderId"] == archive_id
    assert client.ok("PATCH", f"/_fake/mailbox/messages/R{added['id']}", {"isRead": True})["isRead"] is True
    assert client.patch("/_fake/mailbox/messages/AAMkAGnope", {"isRead": True}).status == 404
    assert client.patch(f"/_fake/mailbox/messages/{added['id']}", {"parentFolderId": "nowhere"}).status == 400
    assert client.post("/_fake/mailbox/messages", {**message("dup"), "id": added["id"]}).status == 409
    client.ok("DELETE", f"/_fake/mailbox/messages/{added['id']}", expect=204)
    assert client.get(f"/me/messages/{added['id']}").status == 404
    event = client.ok("POST", "/_fake/mailbox/events", {"subject": "Injected"}, expect=201)
    assert client.ok("PATCH", f"/_fake/mailbox/events/{event['id']}", {"subject": "Moved"})["subject"] == "Moved"
    client.ok("DELETE", f"/_fake/mailbox/events/{event['id']}", expect=204)
    assert client.post("/_fake/mailbox/todoLists/AAMkADIynope/tasks", {"title": "x"}).status == 404
    dump = client.ok("GET", "/_fake/mailbox")
    assert set(dump) == {"user", "mailFolders", "messages", "events", "todoLists"}


def in_minutes(minutes: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_subscriptions(demo, client):
    body = {"changeType": "created,updated", "notificationUrl": "https://dealpane.example/api/v1/graph/notifications",
            "lifecycleNotificationUrl": "https://dealpane.example/api/v1/graph/notifications",
            "resource": "me/mailFolders('Inbox')/messages", "expirationDateTime": in_minutes(4000),
            "clientState": "secret-state"}
    created = client.ok("POST", "/subscriptions", body, expect=201)
    assert created["clientState"] == "secret-state" and created["id"]
    assert created["creatorId"] == "6e1c4a52-8d3f-4b0e-9a7c-2f5d8b1e0c47"
    renewed = client.ok("PATCH", f"/subscriptions/{created['id']}", {"expirationDateTime": in_minutes(9000)})
    assert renewed["expirationDateTime"] != created["expirationDateTime"]
    (stored,) = client.ok("GET", "/_fake/subscriptions")
    assert stored["expirationDateTime"] == renewed["expirationDateTime"]
    assert demo.subscriptions() == [stored]
    assert client.ok("GET", f"/subscriptions/{created['id']}")["resource"] == body["resource"]
    client.ok("DELETE", f"/subscriptions/{created['id']}", expect=204)
    assert client.ok("GET", "/_fake/subscriptions") == []
    assert client.delete(f"/subscriptions/{created['id']}").status == 404


@pytest.mark.parametrize("change", [
    {"expirationDateTime": None}, {"notificationUrl": "http://dealpane.example/hook"},
    {"resource": "me/contacts"}, {"changeType": "moved"}, {"expirationDateTime": "2020-01-01T00:00:00Z"},
    {"resource": "me/todo/lists/AAMkADIy/tasks", "expirationDateTime": "LATE"}])
def test_subscription_validation(client, change):
    body = {"changeType": "created", "notificationUrl": "http://localhost:5000/api/v1/graph/notifications",
            "resource": "/me/events", "expirationDateTime": in_minutes(60)}
    if change.get("expirationDateTime") == "LATE":
        change = {**change, "expirationDateTime": in_minutes(5000)}
    assert client.post("/subscriptions", body).status == 201
    reply = client.post("/subscriptions", {**body, **change})
    assert reply.status == 400, reply.body


def test_body_content_type_preference(client):
    inbox = client.delta_round("/me/mailFolders/inbox/messages/delta?$select=subject,body", page_size=100)[1]
    html_message = next(m for m in inbox if m["body"]["contentType"] == "html")
    as_text = client.ok("GET", f"/me/messages/{html_message['id']}",
                        headers={"Prefer": 'outlook.body-content-type="text"'}, immutable=False)
    assert as_text["body"]["contentType"] == "text" and "<" not in as_text["body"]["content"]
    assert as_text["body"]["content"]


def test_a_user_given_by_address_only(start_fake):
    client = Client(start_fake({"user": {"mail": "lee.gu@northwindtraders.com"}}).url)
    me = client.ok("GET", "/me")
    assert me["userPrincipalName"] == "lee.gu@northwindtraders.com" and me["id"]
    assert client.get("/users/demo@contoso.com").status == 404
    assert client.ok("GET", f"/users/{me['id']}")["mail"] == "lee.gu@northwindtraders.com"


def test_concurrent_requests(client):
    from concurrent.futures import ThreadPoolExecutor

    def one_round(_: int) -> int:
        return len(client.delta_round("/me/mailFolders/inbox/messages/delta", page_size=3)[1])

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(one_round, range(16)))
    assert len(set(counts)) == 1 and counts[0] >= 15
