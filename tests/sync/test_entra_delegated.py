"""Delegated Graph access end to end: the pane's Entra token, on-behalf-of at the stand-in Entra over
HTTPS, the MSAL cache stored per user, the fake Graph refusing what Graph refuses, the sync worker.

What each step relies on, per Microsoft:
- the pane's token is exchanged on-behalf-of, and the middle tier keeps the grant (refresh token) for
  later: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
- a revoked grant is Entra's invalid_grant AADSTS50173 on refresh:
  https://learn.microsoft.com/entra/identity-platform/reference-error-codes
- consent (AADSTS65001) and MFA (interaction_required with claims) go back to the client as 401 with
  the error and the claims in WWW-Authenticate (same OBO page, "Error response example"),
  https://learn.microsoft.com/entra/identity-platform/claims-challenge
- multi-tenant: the exchange goes to the user's own tenant:
  https://github.com/AzureAD/microsoft-identity-web/issues/1738
"""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from addin.app import create_app
from graph_sync.clients import GraphAccess
from graph_sync.fake import ids
from graph_sync.tokens import NeedsSignIn
from graph_sync.worker import SyncWorker
from storage.db import UnitOfWork
from storage.demo import seed_demo
from storage.models import GraphTokenCache, Mailbox, Opportunity, User
from storage.services.mailboxes import connect_mailbox
from storage.types import utcnow
from tests.entra_fixtures import OTHER_TENANT, TENANT

WORKSPACE_TODAY = dt.date(2026, 11, 27)


class PaneApi:
    """Our API as the pane calls it: with an Entra access token for Dealpane."""

    def __init__(self, app, token: str):
        self.client, self.token = app.test_client(), token

    def call(self, method: str, path: str, json_body=None):
        return self.client.open(path, method=method, json=json_body, headers={"Authorization": f"Bearer {self.token}"})

    def connect(self):
        return self.call("POST", "/api/v1/me/graph-connection")


@pytest.fixture
def world(entra_world):
    return entra_world


@pytest.fixture
def fake(world):
    return world.graph()


@pytest.fixture
def config(world, engine, fake):
    return world.config(engine, fake.url)


@pytest.fixture
def app(config, engine):
    app = create_app(config, engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    yield app
    app.extensions["dealpane"].graph.close()


@pytest.fixture
def workspace_id(session_factory):
    with session_factory() as session:
        workspace, _ = seed_demo(session, today=WORKSPACE_TODAY)
        session.commit()
        return workspace.id


@pytest.fixture
def pane(app, world, workspace_id):
    return PaneApi(app, world.pane_token())


@pytest.fixture
def worker_access(config, session_factory):
    """The sync worker's own Graph access, as in another process: only the stored grants."""
    access = GraphAccess(config.graph_settings(), session_factory)
    yield access
    access.close()


@pytest.fixture
def worker(session_factory, worker_access):
    return SyncWorker(session_factory, worker_access, interval=dt.timedelta(minutes=5))


def an_opportunity(session_factory, workspace_id) -> str:
    with session_factory() as session:
        return session.scalars(sa.select(Opportunity.id).where(Opportunity.workspace_id == workspace_id)).first()


def ews_id_of_a_message(fake) -> tuple[str, dict]:
    message = fake.mailbox.to_dict()["messages"][0]
    return ids.convert(message["id"], "restImmutableEntryId", "ewsId"), message


def connect_own_mailbox(session_factory, workspace_id, address) -> str:
    with UnitOfWork(session_factory) as uow:
        mailbox, _ = connect_mailbox(uow.session, workspace_id, address, "delegated")
        uow.commit()
        return mailbox.id


def mailbox_row(session_factory, mailbox_id) -> Mailbox:
    with session_factory() as session:
        return session.get(Mailbox, mailbox_id)


def test_the_pane_connection_exchanges_the_token_once_and_stores_the_grant_encrypted(pane, world, session_factory):
    answer = pane.connect()
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "connected"
    exchanges = world.token_requests("on_behalf_of")
    assert [(r["tenant"], r["ok"]) for r in exchanges] == [(TENANT, True)]
    with session_factory() as session:
        user = session.scalar(sa.select(User).where(User.object_id == world.user.object_id))
        blob = session.get(GraphTokenCache, user.id).blob
    assert b"refresh_token" not in blob and world.user.upn.encode() not in blob  # encrypted at rest


def test_linking_uses_the_stored_grant_first_and_the_panes_token_only_as_fallback(pane, world, fake,
                                                                                  session_factory, workspace_id):
    opportunity = an_opportunity(session_factory, workspace_id)
    item_id, message = ews_id_of_a_message(fake)
    body = {"item_id": item_id, "item_id_format": "ews", "item_type": "message"}
    path = f"/api/v1/workspaces/{workspace_id}/opportunities/{opportunity}/links"

    linked = pane.call("POST", path, body)  # no grant stored yet: the pane's token is exchanged
    assert linked.status_code == 201, linked.get_json()
    assert linked.get_json()["graph"]["internet_message_id"] == message["internetMessageId"]
    assert len(world.token_requests("on_behalf_of")) == 1

    again = pane.call("POST", path, body)  # the stored grant serves: no call to Entra
    assert again.status_code == 200
    assert len(world.token_requests("on_behalf_of")) == 1
    assert all(r["headers"].get("Authorization") is None for r in fake.requests())  # never logged

    with session_factory() as session:  # the stored grant is gone (say, the secret key changed)
        session.execute(sa.delete(GraphTokenCache))
        session.commit()
    app_access = pane.client.application.extensions["dealpane"].graph
    app_access.close()  # the cached client too, as after a restart
    assert pane.call("POST", path, body).status_code == 200
    assert len(world.token_requests("on_behalf_of")) == 2


def test_a_graph_401_gets_one_refreshed_token_from_entra(pane, world, fake, session_factory, workspace_id):
    assert pane.connect().status_code == 200
    opportunity = an_opportunity(session_factory, workspace_id)
    item_id, _ = ews_id_of_a_message(fake)
    fake.add_fault(match="/translateExchangeIds", status=401, times=1)
    linked = pane.call("POST", f"/api/v1/workspaces/{workspace_id}/opportunities/{opportunity}/links",
                       {"item_id": item_id, "item_id_format": "ews", "item_type": "message"})
    assert linked.status_code == 201, linked.get_json()
    refreshes = world.token_requests("refresh_token")
    assert [(r["tenant"], r["ok"]) for r in refreshes] == [(TENANT, True)]


def test_a_revoked_grant_stops_the_mailbox_and_the_next_pane_start_recovers_it(pane, world, fake, worker,
                                                                                session_factory, workspace_id, app):
    assert pane.connect().status_code == 200
    mailbox_id = connect_own_mailbox(session_factory, workspace_id, world.user.upn)
    first = worker.run_once()
    assert [r.status for r in first] == ["ok"] and first[0].stored > 0
    assert not any(r["path"].startswith("/v1.0/users/") for r in fake.requests())  # /me with the user's grant

    # The user's sessions are revoked (password reset); Graph refuses the token the worker holds.
    world.entra.revoke_sessions(world.user)
    fake.add_fault(match="/messages/delta", status=401, times=1)
    stopped = worker.run_once(mailbox_row(session_factory, mailbox_id).address)
    assert [r.status for r in stopped] == ["needs_sign_in"]
    row = mailbox_row(session_factory, mailbox_id)
    assert row.status == "needs_sign_in" and "open the pane" in row.status_detail
    assert "AADSTS50173" in row.last_error  # Entra's refusal, told apart from "no grant stored"
    refused = world.token_requests("refresh_token")
    assert refused and refused[-1]["ok"] is False and refused[-1]["code"] == 50173

    fake.clear_requests()
    assert worker.run_once() == []  # left alone: no Graph call until its owner is back
    assert fake.requests() == []

    status = pane.call("GET", "/api/v1/sync/status").get_json()["items"]
    assert [(m["mailbox"], m["status"]) for m in status] == [(world.user.upn, "needs_sign_in")]

    # The user signs in again (a new token) and opens the pane.
    pane.token = world.pane_token()
    before = utcnow()
    answer = pane.connect()
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["recovered"] == [world.user.upn]
    assert body["mailboxes"][0]["status"] == "ok"
    row = mailbox_row(session_factory, mailbox_id)
    assert row.status == "ok" and row.next_sync_at is not None and row.next_sync_at <= utcnow()
    assert row.next_sync_at >= before - dt.timedelta(seconds=1)  # due at once

    again = worker.run_once()
    assert [r.status for r in again] == ["ok"]
    assert mailbox_row(session_factory, mailbox_id).last_sync_at is not None


def test_mfa_required_answers_401_with_the_claims_challenge(app, world, workspace_id):
    careful = world.entra.add_user(TENANT, "megan@contoso.com", "Megan Bowen", mfa_required=True)
    answer = PaneApi(app, world.pane_token(careful)).connect()
    assert answer.status_code == 401
    problem = answer.get_json()
    assert problem["type"].endswith("/graph-interaction-required") and problem["error"] == "interaction_required"
    claims = json.loads(problem["claims"])
    assert claims["access_token"]["capolids"]["essential"] is True
    header = answer.headers["WWW-Authenticate"]
    assert header.startswith("Bearer ") and 'error="interaction_required"' in header
    encoded = header.split('claims="', 1)[1].split('"', 1)[0]
    assert json.loads(base64.b64decode(encoded)) == claims
    assert answer.mimetype == "application/problem+json"


def test_missing_consent_answers_401_naming_the_scopes_to_consent_to(pane, world):
    world.app.delegated_consent[TENANT].discard("Tasks.ReadWrite")  # an admin consented to less
    answer = pane.connect()
    assert answer.status_code == 401
    problem = answer.get_json()
    assert problem["error"] == "consent_required" and problem["claims"] is None
    assert "https://graph.microsoft.com/Tasks.ReadWrite" in problem["scopes"]
    assert 'error="consent_required"' in answer.headers["WWW-Authenticate"]
    # Reconnect: the user consents in the interactive sign-in, which gives the pane a new token.
    world.entra.consent(world.app, TENANT, ["Tasks.ReadWrite"])
    pane.token = world.pane_token()
    assert pane.connect().status_code == 200


def test_a_graph_403_is_missing_permission_naming_it_and_is_not_retried_until_later(pane, world, fake, worker,
                                                                                    session_factory, workspace_id):
    assert pane.connect().status_code == 200
    mailbox_id = connect_own_mailbox(session_factory, workspace_id, world.user.upn)
    fake.add_fault(match="/todo/lists", status=403, times=10)  # say a policy withdrew To Do
    reports = worker.run_once()
    assert [r.status for r in reports] == ["missing_permission"]
    row = mailbox_row(session_factory, mailbox_id)
    assert row.status == "missing_permission"
    assert "Tasks.ReadWrite" in row.status_detail and "delegated" in row.status_detail
    assert row.next_sync_at > utcnow() + dt.timedelta(minutes=50)  # checked again in an hour, not now
    fake.clear_requests()
    assert worker.run_once() == [] and fake.requests() == []
    status = pane.call("GET", "/api/v1/sync/status").get_json()["items"][0]
    assert status["status"] == "missing_permission" and "Tasks.ReadWrite" in status["status_detail"]
    # The user reconnects (say, after consenting): due at once, and fine once Graph agrees.
    fake.clear_faults()
    assert pane.connect().status_code == 200
    assert [r.status for r in worker.run_once()] == ["ok"]
    assert mailbox_row(session_factory, mailbox_id).status == "ok"


def test_multi_tenant_exchanges_and_refreshes_in_the_users_own_tenant(world, engine, fake, session_factory):
    world.app.multi_tenant = True
    guest_tenant_user = world.entra.add_user(OTHER_TENANT, "adele@fabrikam.com", "Adele Vance")
    world.entra.consent(world.app, OTHER_TENANT, world.app.delegated_consent[TENANT])
    app = create_app(world.config(engine, fake.url, tenant_id="organizations"), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    try:
        assert PaneApi(app, world.pane_token(guest_tenant_user)).connect().status_code == 200
        assert PaneApi(app, world.pane_token()).connect().status_code == 200
        assert [r["tenant"] for r in world.token_requests("on_behalf_of")] == [OTHER_TENANT, TENANT]
        with session_factory() as session:
            adele = session.scalar(sa.select(User).where(User.object_id == guest_tenant_user.object_id))
        tokens = app.extensions["dealpane"].graph.delegated_tokens()
        tokens.token_for(adele.id, force_refresh=True, tenant_id=adele.tenant_id)
        assert world.token_requests("refresh_token")[-1]["tenant"] == OTHER_TENANT
        with pytest.raises(NeedsSignIn):  # the worker never falls back to /organizations
            tokens.token_for(adele.id, tenant_id=None)
    finally:
        app.extensions["dealpane"].graph.close()


def test_single_tenant_stays_in_its_tenant_for_a_user_of_another(world, engine, fake, session_factory):
    world.app.multi_tenant = True  # Entra would issue the token; Dealpane is configured single-tenant
    stranger = world.entra.add_user(OTHER_TENANT, "adele@fabrikam.com", "Adele Vance")
    world.entra.consent(world.app, OTHER_TENANT, world.app.delegated_consent[TENANT])
    access = GraphAccess(world.config(engine, fake.url).graph_settings(), session_factory)
    with session_factory() as session:
        user = User(email="adele@fabrikam.com", tenant_id=OTHER_TENANT, object_id=stranger.object_id)
        session.add(user)
        session.commit()
    with pytest.raises(NeedsSignIn) as refused:
        access.connect(user, world.pane_token(stranger))
    assert refused.value.refused and 50020 in refused.value.codes  # exchanged at TENANT, which refuses
    assert world.token_requests("on_behalf_of")[-1]["tenant"] == TENANT
    access.close()


def test_a_refused_permission_during_a_pane_action_is_a_403_naming_it(pane, world, fake, session_factory,
                                                                      workspace_id):
    assert pane.connect().status_code == 200
    opportunity = an_opportunity(session_factory, workspace_id)
    item_id, _ = ews_id_of_a_message(fake)
    fake.add_fault(match="/translateExchangeIds", status=403, times=2)  # refused again with a fresh token
    answer = pane.call("POST", f"/api/v1/workspaces/{workspace_id}/opportunities/{opportunity}/links",
                       {"item_id": item_id, "item_id_format": "ews", "item_type": "message"})
    assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"].endswith("/graph-permission-missing")
    assert problem["permission"] == "User.Read" and problem["permission_type"] == "delegated"
    assert "user-translateexchangeids" in problem["detail"]
    assert len(world.token_requests("refresh_token")) == 1  # one fresh token tried, then the answer
