"""Application Graph access end to end: client credentials at the stand-in Entra over HTTPS, the fake
Graph checking the app-only token's `roles`, the sync worker on /users/{mailbox} paths.

Per Microsoft: client credentials give an app-only token whose `roles` are the application permissions
an admin granted (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow);
such a token has no "me" (https://github.com/microsoftgraph/msgraph-sdk-php/issues/1163); a role missing
is a 403 (graph_sync/fake/authority.py cites each API's Permissions table).
"""
from __future__ import annotations

import datetime as dt

import pytest

from graph_sync.clients import GraphAccess
from graph_sync.worker import SyncWorker
from storage.db import UnitOfWork
from storage.demo import seed_demo
from storage.models import Mailbox
from storage.services.mailboxes import connect_mailbox
from storage.types import utcnow
from tests.entra_fixtures import ALL_APP_ROLES, DEMO_OWNER_UPN, TENANT


@pytest.fixture
def fake(entra_world):
    return entra_world.graph()


@pytest.fixture
def mailbox_id(session_factory):
    with UnitOfWork(session_factory) as uow:
        workspace, _ = seed_demo(uow.session, today=dt.date(2026, 11, 27))
        mailbox, _ = connect_mailbox(uow.session, workspace.id, DEMO_OWNER_UPN, "application")
        uow.commit()
        return mailbox.id


@pytest.fixture
def make_worker(entra_world, engine, fake, session_factory):
    made = []

    def make(**config_changes) -> SyncWorker:
        settings = entra_world.config(engine, fake.url, graph_auth="application", **config_changes).graph_settings()
        access = GraphAccess(settings, session_factory)
        made.append(access)
        return SyncWorker(session_factory, access, interval=dt.timedelta(minutes=5))

    yield make
    for access in made:
        access.close()


def row(session_factory, mailbox_id) -> Mailbox:
    with session_factory() as session:
        return session.get(Mailbox, mailbox_id)


def test_an_admin_connected_mailbox_syncs_on_users_paths_with_the_apps_own_token(entra_world, fake, make_worker,
                                                                                  mailbox_id, session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    reports = make_worker().run_once()
    assert [r.status for r in reports] == ["ok"] and reports[0].stored > 0
    paths = [r["path"] for r in fake.requests()]
    assert paths and all(p.startswith(f"/v1.0/users/{DEMO_OWNER_UPN}/") for p in paths if "$batch" not in p)
    assert any("/todo/lists" in p for p in paths)  # To Do too, with Tasks.ReadWrite.All
    grants = entra_world.token_requests("client_credentials")
    assert grants and {r["tenant"] for r in grants} == {TENANT}
    assert row(session_factory, mailbox_id).status == "ok"


def test_a_missing_role_is_missing_permission_naming_it_and_a_fresh_token_picks_up_the_grant(
        entra_world, fake, make_worker, mailbox_id, session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, [r for r in ALL_APP_ROLES if r != "Tasks.ReadWrite.All"])
    worker = make_worker()
    assert [r.status for r in worker.run_once()] == ["missing_permission"]
    stopped = row(session_factory, mailbox_id)
    assert stopped.status == "missing_permission"
    assert "application permission Tasks.ReadWrite.All" in stopped.status_detail
    assert "learn.microsoft.com/graph/api/" in stopped.status_detail
    assert stopped.next_sync_at > utcnow() + dt.timedelta(minutes=50)
    fake.clear_requests()
    assert worker.run_once() == [] and fake.requests() == []  # not hammered

    # The admin grants the permission and connects the mailbox again: due at once, and the worker's
    # cached app token (issued without the role) is replaced after Graph's 403.
    entra_world.entra.grant_roles(entra_world.app, TENANT, ["Tasks.ReadWrite.All"])
    with UnitOfWork(session_factory) as uow:
        mailbox = uow.session.get(Mailbox, mailbox_id)
        connect_mailbox(uow.session, mailbox.workspace_id, mailbox.address, "application")
        uow.commit()
    assert [r.status for r in worker.run_once()] == ["ok"]
    assert row(session_factory, mailbox_id).status == "ok"


def test_a_wrong_client_secret_stops_the_mailbox_with_entras_reason(entra_world, make_worker, mailbox_id,
                                                                    session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    assert [r.status for r in make_worker(client_secret="the-secret-id-not-its-value").run_once()] \
        == ["needs_sign_in"]
    stopped = row(session_factory, mailbox_id)
    assert stopped.status == "needs_sign_in"
    assert "invalid_client" in stopped.status_detail and "AADSTS7000215" in stopped.status_detail


@pytest.mark.parametrize("changes,named", [({"client_secret": None}, "DEALPANE_CLIENT_SECRET"),
                                           ({"tenant_id": "organizations"}, "organizations")])
def test_missing_settings_put_the_mailbox_in_error_naming_them(entra_world, make_worker, mailbox_id, session_factory,
                                                               changes, named):
    assert [r.status for r in make_worker(**changes).run_once()] == ["error"]
    stopped = row(session_factory, mailbox_id)
    assert stopped.status == "error" and named in stopped.status_detail
    assert entra_world.token_requests("client_credentials") == []
