"""Application mode: the app's own token (client credentials) can reach every mailbox of the tenant, so
the mailbox it acts on for a user is the one an admin connected for that user, never an address taken
from the user's sign-in (issue 16).

Per Microsoft: an app-only token carries the application permissions an admin granted, for the whole
tenant (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow ); a
token's `preferred_username` is mutable and "don't use it to make authorization decisions"
(https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference ).
"""
from __future__ import annotations

import pytest

from addin.app import create_app
from storage.db import UnitOfWork
from storage.services.mailboxes import connect_mailbox
from tests.entra_fixtures import ALL_APP_ROLES, DEMO_OWNER_UPN, TENANT


@pytest.fixture
def fake(entra_world):
    return entra_world.graph()


@pytest.fixture
def web(entra_world, engine, fake):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    app = create_app(entra_world.config(engine, fake.url, graph_auth="application"), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    yield app.test_client()
    app.extensions["dealpane"].graph.close()


def _call(web, token, method, path, body=None):
    return web.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def _deal(web, token, ws) -> str:
    contact = _call(web, token, "POST", f"/api/v1/workspaces/{ws}/contacts",
                    {"display_name": "Lee Gu", "email_addresses": ["lee.gu@northwindtraders.com"]}).get_json()
    deal = _call(web, token, "POST", f"/api/v1/workspaces/{ws}/opportunities",
                 {"title": "Quote", "link": {"type": "contact", "id": contact["id"]}})
    assert deal.status_code == 201, deal.get_json()
    return deal.get_json()["id"]


def _graph_users(fake) -> set[str]:
    return {r["path"].split("/")[3].lower() for r in fake.requests() if r["path"].startswith("/v1.0/users/")}


def test_a_user_with_no_connected_mailbox_reaches_no_mailbox_whatever_their_token_says(entra_world, web, fake):
    # Someone whose token shows the demo mailbox owner's address (a second account the directory shows
    # with that name, a guest whose home address it is...) but for whom no admin connected a mailbox.
    someone = entra_world.entra.add_user(TENANT, DEMO_OWNER_UPN, "Not The Owner")
    token = entra_world.pane_token(someone)
    ws = _call(web, token, "POST", "/api/v1/workspaces", {"name": "Mine"}).get_json()["id"]
    deal = _deal(web, token, ws)
    response = _call(web, token, "POST", f"/api/v1/workspaces/{ws}/opportunities/{deal}/email",
                     {"subject": "Hello", "body_html": "<p>from the owner's mailbox?</p>"})
    assert response.status_code == 409, response.get_json()
    assert "administrator" in response.get_json()["detail"]
    assert _graph_users(fake) == set()  # Graph never asked for anyone's mailbox


def test_the_mailbox_the_admin_connected_is_the_one_used(entra_world, web, fake, session_factory):
    token = entra_world.pane_token()  # the demo mailbox's owner
    ws = _call(web, token, "POST", "/api/v1/workspaces", {"name": "Sales"}).get_json()["id"]
    with UnitOfWork(session_factory) as uow:
        mailbox, _ = connect_mailbox(uow.session, ws, DEMO_OWNER_UPN, "application")  # dealpane mailboxes connect
        assert mailbox.user_id is not None
        uow.commit()
    deal = _deal(web, token, ws)
    response = _call(web, token, "POST", f"/api/v1/workspaces/{ws}/opportunities/{deal}/email",
                     {"subject": "Quote", "body_html": "<p>Attached</p>"})
    assert response.status_code == 201, response.get_json()
    assert _graph_users(fake) == {DEMO_OWNER_UPN.lower()}
    # a second account showing the same address, in another workspace, still reaches nothing
    other = entra_world.entra.add_user(TENANT, DEMO_OWNER_UPN, "Second Account")
    other_token = entra_world.pane_token(other)
    theirs = _call(web, other_token, "POST", "/api/v1/workspaces", {"name": "Theirs"}).get_json()["id"]
    their_deal = _deal(web, other_token, theirs)
    before = len(fake.requests())
    response = _call(web, other_token, "POST", f"/api/v1/workspaces/{theirs}/opportunities/{their_deal}/email",
                     {"subject": "Hi", "body_html": "x"})
    assert response.status_code == 409 and len(fake.requests()) == before
