"""Given a token authority, the fake Graph refuses exactly what Microsoft Graph refuses.

Tokens come from the stand-in Entra as Graph receives them (v1.0, `scp` for a user, `roles` for an
app). Every rule the fake applies carries its Microsoft page in graph_sync/fake/authority.py; the
messages are Graph's own, e.g. https://github.com/microsoftgraph/microsoft-graph-docs/issues/4752
(invalid audience) and https://github.com/microsoftgraph/aspnetcore-connect-sample/issues/37 (403).
"""
from __future__ import annotations

import datetime as dt

import pytest

from graph_sync.fake.authority import ACCESS_DENIED, USER_RULES, user_rule
from graph_sync.fake.entra import EntraApp, StandinEntra
from tests.entra_fixtures import CLIENT_ID, DEMO_MAILBOX_DATA, DEMO_OWNER_ID, DEMO_OWNER_UPN, OTHER_TENANT, TENANT

from .conftest import Client

WELL_FORMED_MISSING_ID = "AAMkAGZha2UtbWlzc2luZy1pZAAAAA=="


@pytest.fixture
def entra():
    return StandinEntra()


@pytest.fixture
def app(entra):
    return entra.add_app(EntraApp(client_id=CLIENT_ID, secret="s", home_tenant=TENANT))


@pytest.fixture
def owner(entra):
    return entra.add_user(TENANT, DEMO_OWNER_UPN, "Diego Siciliani", object_id=DEMO_OWNER_ID)


@pytest.fixture
def fake(start_fake, entra, owner):
    return start_fake(DEMO_MAILBOX_DATA, entra=entra)


@pytest.fixture
def as_user(fake, entra, app, owner):
    """A client for the mailbox's owner holding exactly `permissions` (delegated)."""
    def make(*permissions: str, user=None) -> Client:
        token, _ = entra.graph_token(app=app, tenant_id=TENANT, user=user or owner, permissions=permissions)
        return Client(fake.url, token=token)
    return make


@pytest.fixture
def as_app(fake, entra, app):
    """A client for the app itself (client credentials) holding exactly `roles`."""
    def make(*roles: str, tenant: str = TENANT) -> Client:
        token, _ = entra.graph_token(app=app, tenant_id=tenant, permissions=roles)
        return Client(fake.url, token=token)
    return make


USERS = f"/users/{DEMO_OWNER_UPN}"
DELTA = "/mailFolders/inbox/messages/delta"


def assert_denied(reply) -> None:
    assert reply.status == 403, (reply.status, reply.body)
    assert reply.body["error"]["code"] == "ErrorAccessDenied"
    assert reply.body["error"]["message"] == ACCESS_DENIED


# ---- the token itself: 401 InvalidAuthenticationToken -------------------------------------------

def test_an_expired_token_is_refused_as_graph_words_it(fake, entra, app, owner):
    token, _ = entra.graph_token(app=app, tenant_id=TENANT, user=owner, permissions=["Mail.Read"], lifetime=-120)
    reply = Client(fake.url, token=token).get("/me" + DELTA)
    assert reply.status == 401 and reply.body["error"]["code"] == "InvalidAuthenticationToken"
    assert reply.body["error"]["message"] == "Lifetime validation failed, the token is expired."
    assert "WWW-Authenticate".lower() in reply.headers


def test_a_token_for_another_api_is_an_invalid_audience(fake, entra, app, owner):
    api_token = entra.api_token(app, owner)  # what the pane sends Dealpane, not what Graph accepts
    reply = Client(fake.url, token=api_token).get("/me" + DELTA)
    assert reply.status == 401
    assert reply.body["error"]["message"] == "Access token validation failure. Invalid audience."


def test_a_token_signed_by_someone_else_is_refused(fake, app, owner):
    forger = StandinEntra()
    token, _ = forger.graph_token(app=app, tenant_id=TENANT, user=owner, permissions=["Mail.ReadWrite"])
    reply = Client(fake.url, token=token).get("/me" + DELTA)
    assert reply.status == 401 and reply.body["error"]["message"] == "Access token validation failure."


@pytest.mark.parametrize("token", ["dealpane-dev-token", "not.a-jwt"])
def test_a_dev_token_or_junk_is_not_a_jwt(fake, token):
    reply = Client(fake.url, token=token).get("/me" + DELTA)
    assert reply.status == 401 and reply.body["error"]["code"] == "InvalidAuthenticationToken"
    assert reply.body["error"]["message"].startswith(("IDX14100: JWT is not well formed", "Access token validation"))


def test_without_an_authority_the_fake_keeps_accepting_any_bearer_token(start_fake):
    plain = start_fake(DEMO_MAILBOX_DATA)
    assert Client(plain.url, token="dealpane-dev-token").get("/me" + DELTA).status == 200


# ---- whose mailbox -----------------------------------------------------------------------------

def test_me_with_an_app_only_token_is_a_bad_request(as_app):
    reply = as_app("Mail.Read").get("/me" + DELTA)
    assert reply.status == 400 and reply.body["error"]["code"] == "BadRequest"
    assert reply.body["error"]["message"] == "/me request is only valid with delegated authentication flow."


def test_an_app_reaches_its_tenants_mailbox_by_users_path(as_app):
    client = as_app("Mail.Read")
    assert client.ok("GET", USERS + DELTA)["value"]
    assert client.get(f"/users/{DEMO_OWNER_ID}" + DELTA).status == 200


def test_an_app_of_another_tenant_does_not_find_the_user(as_app):
    reply = as_app("Mail.Read", tenant=OTHER_TENANT).get(USERS + DELTA)
    assert reply.status == 404 and reply.body["error"]["code"] == "ErrorInvalidUser"


def test_a_users_token_reaches_their_own_mailbox_by_either_path(as_user):
    client = as_user("Mail.Read")
    assert client.get("/me" + DELTA).status == 200
    assert client.get(USERS + DELTA).status == 200


def test_a_users_token_does_not_open_someone_elses_mailbox(as_user, entra):
    colleague = entra.add_user(TENANT, "megan@contoso.com", "Megan Bowen")
    client = as_user("Mail.ReadWrite", user=colleague)
    assert_denied(client.get(USERS + DELTA))
    reply = client.get("/me" + DELTA)  # their own mailbox is not in this fake
    assert reply.status == 404 and reply.body["error"]["code"] == "MailboxNotEnabledForRESTAPI"


# ---- permissions per route ------------------------------------------------------------------------

def test_reading_mail_needs_a_mail_permission(as_user, as_app):
    assert_denied(as_user("Calendars.ReadWrite", "Tasks.ReadWrite").get("/me" + DELTA))
    assert_denied(as_app("Calendars.Read").get(USERS + DELTA))
    assert as_user("Mail.Read").get("/me" + DELTA).status == 200


def test_a_higher_permission_implies_the_lower_ones(as_user, fake):
    message_id = fake.mailbox.to_dict()["messages"][0]["id"]
    # message: get lists Mail.ReadBasic and Mail.Read; Mail.ReadWrite includes both
    assert as_user("Mail.ReadWrite").get(f"/me/messages/{message_id}").status == 200
    window = "?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-02-01T00:00:00Z"
    assert as_user("Calendars.ReadWrite").get("/me/calendarView/delta" + window).status == 200
    assert_denied(as_user("Calendars.ReadBasic").post("/me/events", {"subject": "x"}))


def test_mail_readbasic_reads_messages_without_body_or_preview(as_user):
    basic = as_user("Mail.ReadBasic").ok("GET", "/me" + DELTA + "?$select=subject,bodyPreview,body")["value"]
    full = as_user("Mail.Read").ok("GET", "/me" + DELTA + "?$select=subject,bodyPreview,body")["value"]
    assert basic and all("bodyPreview" not in m and "body" not in m and "subject" in m for m in basic)
    assert all("bodyPreview" in m for m in full)


def test_drafts_need_mail_readwrite_and_sending_needs_mail_send(as_user):
    reader = as_user("Mail.Read", "Mail.Send")
    assert_denied(reader.post("/me/messages", {"subject": "x"}))
    writer = as_user("Mail.ReadWrite")
    draft = writer.ok("POST", "/me/messages", {"subject": "x", "toRecipients": [
        {"emailAddress": {"address": "a@example.com"}}]}, expect=201)
    assert_denied(writer.post(f"/me/messages/{draft['id']}/send"))
    assert_denied(writer.post("/me/sendMail", {"message": {"subject": "x"}}))
    assert as_user("Mail.ReadWrite", "Mail.Send").post(f"/me/messages/{draft['id']}/send").status == 202


def test_the_permission_is_checked_before_the_item_is_looked_for(as_user):
    path = f"/me/messages/{WELL_FORMED_MISSING_ID}/send"
    assert_denied(as_user("Mail.ReadWrite").post(path))
    assert as_user("Mail.Send").post(path).status == 404


def test_meetings_need_calendars_readwrite(as_user, as_app):
    event = {"subject": "x", "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
             "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"}}
    assert_denied(as_user("Calendars.Read").post("/me/events", event))
    assert as_user("Calendars.ReadWrite").post("/me/events", event).status == 201
    assert_denied(as_app("Calendars.Read").post(USERS + "/events", event))
    created = as_app("Calendars.ReadWrite").ok("POST", USERS + "/events", event, expect=201)
    assert as_app("Calendars.ReadWrite").post(USERS + f"/events/{created['id']}/permanentDelete").status == 204


def test_to_do_takes_tasks_readwrite_from_a_user_and_tasks_readwrite_all_from_an_app(as_user, as_app):
    assert as_user("Tasks.ReadWrite").post("/me/todo/lists", {"displayName": "A"}).status == 201
    assert_denied(as_user("Tasks.Read").post("/me/todo/lists", {"displayName": "B"}))
    assert as_user("Tasks.Read").get("/me/todo/lists").status == 200
    # An app's roles have their own names: the delegated name grants nothing.
    assert_denied(as_app("Tasks.ReadWrite").post(USERS + "/todo/lists", {"displayName": "C"}))
    assert_denied(as_app("Tasks.Read.All").post(USERS + "/todo/lists", {"displayName": "C"}))
    created = as_app("Tasks.ReadWrite.All").ok("POST", USERS + "/todo/lists", {"displayName": "C"}, expect=201)
    assert as_app("Tasks.ReadWrite.All").delete(USERS + f"/todo/lists/{created['id']}").status == 204


def test_translating_ids_needs_a_user_permission(as_user, as_app):
    body = {"inputIds": [WELL_FORMED_MISSING_ID], "sourceIdType": "ewsId", "targetIdType": "restImmutableEntryId"}
    assert_denied(as_user("Mail.ReadWrite").post("/me/translateExchangeIds", body))
    assert as_user("Mail.ReadWrite", "User.Read").post("/me/translateExchangeIds", body).status == 200
    assert_denied(as_app("Mail.Read").post(USERS + "/translateExchangeIds", body))
    assert as_app("User.Read.All").post(USERS + "/translateExchangeIds", body).status == 200


def test_each_batch_item_is_checked_with_the_batchs_token(as_user, fake):
    message_id = fake.mailbox.to_dict()["messages"][0]["id"]
    answer = as_user("Mail.Read").ok("POST", "/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": f"/me/messages/{message_id}"},
        {"id": "2", "method": "POST", "url": "/me/sendMail", "headers": {"Content-Type": "application/json"},
         "body": {"message": {"subject": "x"}}}]})
    statuses = {r["id"]: r["status"] for r in answer["responses"]}
    assert statuses == {"1": 200, "2": 403}


def test_a_subscription_needs_the_permission_that_reads_its_resource(as_user):
    body = {"changeType": "created", "notificationUrl": "https://example.com/hook", "resource": "me/messages",
            "expirationDateTime": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()}
    assert_denied(as_user("Calendars.Read").post("/subscriptions", body))
    assert as_user("Mail.Read").post("/subscriptions", body).status == 201


@pytest.mark.parametrize("method,path", [(m, p) for m, p, _ in USER_RULES])
def test_every_rule_refuses_a_token_with_unrelated_permissions_and_admits_its_least_privileged(method, path, as_user,
                                                                                              as_app):
    concrete = path.replace("(?:/calendar|/calendars/[^/]+)?", "").replace("[^/]+", WELL_FORMED_MISSING_ID) \
        .replace("delta(?:\\(\\))?", "delta")
    rule = user_rule(method, concrete)
    assert rule is not None and rule.doc.startswith("https://learn.microsoft.com/graph/api/")
    assert_denied(as_user("Contacts.Read").call(method, "/me" + concrete, {} if method in ("POST", "PATCH") else None))
    assert_denied(as_app("Contacts.Read").call(method, USERS + concrete, {} if method in ("POST", "PATCH") else None))
    for client in [as_user(p) for p in sorted(rule.delegated)] + [as_app(p) for p in sorted(rule.application)]:
        reply = client.call(method, USERS + concrete, {} if method in ("POST", "PATCH") else None)
        assert reply.status != 403, (method, concrete, reply.body)
