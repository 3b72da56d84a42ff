"""The workspace's link to the user's mailbox, in Chromium: Entra sign-in with real MSAL.js against the
stand-in Entra, and the server's on-behalf-of exchange for Microsoft Graph (graph_auth delegated).

Once signed in, the workspace calls POST /api/v1/me/graph-connection beside the view. A delegated
mailbox of the user that was waiting for them to sign in (needs_sign_in) is then ok and due at once.
When Entra needs the user first (here Conditional Access asks for MFA before Graph: interaction_required
with a claims challenge), the server answers 401 graph-interaction-required and the workspace shows a
banner with Reconnect: acquireTokenPopup with `claims` and `extraScopesToConsent`, then the check again:
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
https://learn.microsoft.com/entra/identity-platform/claims-challenge

Two doors into the one stand-in Entra: the browser's MSAL.js reaches it at login.microsoftonline.com
through Playwright's routing (entra_login.EntraRoute), the server's MSAL Python over HTTPS on loopback
(EntraServer: MSAL Python talks to https authorities only), as a name server would send both to Entra.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from graph_sync.fake import FakeGraph
from graph_sync.fake.entra_http import EntraServer
from graph_sync.tokens import DELEGATED_PERMISSIONS, GRAPH_SCOPES
from storage.db import UnitOfWork
from storage.demo import DEMO_OWNER, demo_workspace
from storage.models import Mailbox
from storage.services.mailboxes import connect_mailbox
from storage.types import utcnow
from tests.entra_fixtures import DEMO_MAILBOX_DATA
from tests.workspace_ui.entra_login import ENTRA_ROUTE, EntraSession, entra_app, make_world
from tests.workspace_ui.test_entra_signin import expect_demo_workspace, sign_in_in_popup

TIMEOUT_MS = 10_000
WIDE = {"width": 1280, "height": 900}
CHECK = "/api/v1/me/graph-connection"
BANNER = "#graph-connection"
CHALLENGE_TYPE = "https://dealpane.dev/problems/graph-interaction-required"


@dataclasses.dataclass
class Live:
    world: object  # entra_login.EntraWorld, with base_url and app
    session_factory: object
    mailbox_id: str

    def mailbox(self) -> Mailbox:
        with self.session_factory() as session:
            mailbox = session.get(Mailbox, self.mailbox_id)
            session.expunge(mailbox)
            return mailbox


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Dealpane in Entra mode with delegated Graph access, its own seeded database, and the owner's
    delegated mailbox in the Demo workspace waiting for them to sign in again (needs_sign_in)."""
    world = make_world()
    world.entra.consent(world.registration, world.tenant_id, DELEGATED_PERMISSIONS)  # an admin consented
    (tmp_path / "tls").mkdir()
    server = EntraServer(world.entra, tmp_path / "tls")
    server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)  # MSAL Python (requests) trusts the stand-in
    graph = FakeGraph(DEMO_MAILBOX_DATA, entra=world.entra)
    graph.start(port=0)
    try:
        with entra_app(tmp_path / "dealpane.sqlite3", world, graph_auth="delegated",
                       client_secret=world.registration.secret, secret_key="a-long-enough-test-secret-key",
                       graph_base_url=graph.url) as world:
            services = world.app.extensions["dealpane"]
            # The server's token requests go to the stand-in's HTTPS door; the page keeps the public
            # cloud's address (config.json, CSP), which Playwright routes to the same stand-in.
            services.graph.settings = dataclasses.replace(services.graph.settings,
                                                          authority_host=server.authority_host)
            world.registered(world.redirect_uri, token_version=2)
            with UnitOfWork(services.session_factory) as unit:
                mailbox, _ = connect_mailbox(unit.session, demo_workspace(unit.session).id, DEMO_OWNER, "delegated")
                mailbox.status, mailbox.status_detail = "needs_sign_in", "Dealpane lost access to this mailbox."
                unit.commit()
                mailbox_id = mailbox.id
            yield Live(world, services.session_factory, mailbox_id)
    finally:
        graph.stop()
        server.stop()


@pytest.fixture
def browser_session(browser, live):
    session = EntraSession(browser, live.world, viewport=WIDE, timeout_ms=TIMEOUT_MS)
    yield session
    session.close()
    assert not session.errors, f"uncaught errors in the workspace or the sign-in pages: {session.errors}"
    assert not session.csp, f"a Content Security Policy refused something: {session.csp}"
    assert not session.outside, f"the workspace tried to leave the machine: {session.outside}"


def is_check(response) -> bool:
    return response.request.method == "POST" and response.url.endswith(CHECK)


def checks_sent(page) -> list:
    sent: list = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith(CHECK) else None)
    return sent


def assert_due_now(mailbox: Mailbox) -> None:
    due = mailbox.next_sync_at
    assert due is not None
    due = due if due.tzinfo else due.replace(tzinfo=dt.timezone.utc)
    assert abs(utcnow() - due) < dt.timedelta(seconds=30), due


def mfa_in_the_popup(session: EntraSession, user) -> list[dict]:
    """The stand-in shows no MFA page: an authorization request carrying Entra's claims challenge
    (capolids, the Conditional Access policy asking for MFA) stands for the user completing it there.
    Returns the claims of each authorization request (MSAL.js adds its own `id_token` requests to
    every sign-in, and merges a challenge's claims into them)."""
    carried: list[dict] = []

    def complete(route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        claims = urllib.parse.parse_qs(url.query).get("claims")
        if url.path.endswith("/oauth2/v2.0/authorize"):
            carried.append(json.loads(claims[0]) if claims else {})
            if "capolids" in carried[-1].get("access_token", {}):
                user.mfa_required = False
        route.fallback()  # on to the stand-in (EntraRoute)

    session.context.route(ENTRA_ROUTE, complete)  # registered last: asked first
    return carried


def test_signing_in_recovers_the_users_mailbox_that_needed_a_sign_in(browser_session, live):
    page = browser_session.open()
    sent = checks_sent(page)
    with page.expect_response(is_check) as checked:
        sign_in_in_popup(browser_session)
    expect_demo_workspace(page)

    assert checked.value.status == 200
    answer = checked.value.json()
    assert (answer["state"], answer["recovered"]) == ("connected", [DEMO_OWNER])
    expect(page.locator("#status")).to_have_text(f"Dealpane is syncing your mailbox {DEMO_OWNER} again.")
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(BANNER)).to_be_empty()
    mailbox = live.mailbox()
    assert (mailbox.status, mailbox.status_detail) == ("ok", "")
    assert_due_now(mailbox)
    exchanges = [r for r in live.world.entra.requests if r.get("grant") == "on_behalf_of"]
    assert [(r["oid"], r["ok"]) for r in exchanges] == [(live.world.owner.object_id, True)]

    # Once per sign-in: moving between views does not ask again.
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("main h1")).to_have_text("Accounts")
    assert len(sent) == 1


def test_mfa_for_graph_shows_reconnect_and_reconnecting_with_the_claims_recovers_the_mailbox(
        browser_session, live, axe):
    owner = live.world.owner
    owner.mfa_required = True  # Conditional Access: MFA before Microsoft Graph
    carried = mfa_in_the_popup(browser_session, owner)
    page = browser_session.open()
    with page.expect_response(is_check) as checked:
        sign_in_in_popup(browser_session)
    expect_demo_workspace(page)  # the view is not held up by the check

    refused = checked.value
    problem = refused.json()
    assert refused.status == 401 and problem["type"] == CHALLENGE_TYPE
    assert problem["error"] == "interaction_required" and problem["scopes"] == GRAPH_SCOPES
    assert refused.headers["www-authenticate"].startswith('Bearer realm="", error="interaction_required"')
    banner = page.locator(BANNER)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Dealpane needs you to reconnect to your mailbox.")
    expect(banner).to_contain_text(problem["detail"])  # the server's words: "... multi-factor authentication ..."
    assert "multi-factor" in problem["detail"]
    assert banner.evaluate("el => el.nextElementSibling.id") == "main"  # above <main>, whatever the view
    assert live.mailbox().status == "needs_sign_in"
    assert [c.get("access_token") for c in carried] == [None]  # the first sign-in carried no challenge
    assert axe(page) == []

    with page.expect_response(is_check) as rechecked, page.expect_popup():
        banner.get_by_role("button", name="Reconnect").click()
    expect(banner).to_be_hidden()
    assert rechecked.value.status == 200 and rechecked.value.json()["recovered"] == [DEMO_OWNER]

    # The popup's authorization request carried Entra's claims challenge as the server passed it on,
    # and asked consent for the Graph scopes the server exchanges for, for the same user.
    authorize = browser_session.entra.to("authorize")[-1]
    challenge = json.loads(problem["claims"])
    assert len(carried) == 2 and carried[1]["access_token"] == challenge["access_token"]
    assert challenge["access_token"]["capolids"]["essential"] is True
    scopes = authorize.params["scope"].split()
    assert scopes[0] == f"{live.world.registration.app_id_uri}/access_as_user"
    assert set(GRAPH_SCOPES) <= set(scopes)
    assert authorize.params["login_hint"] == DEMO_OWNER
    assert browser_session.entra.to("token")[-1].params["grant_type"] == "authorization_code"

    expect(page.locator("#status")).to_have_text(f"Dealpane is syncing your mailbox {DEMO_OWNER} again.")
    page.wait_for_function("() => document.activeElement === document.getElementById('main')")  # not lost
    expect(page.locator("main h1")).to_have_text("Opportunities")
    expect(page.get_by_role("alert")).to_have_count(0)
    mailbox = live.mailbox()
    assert (mailbox.status, mailbox.status_detail) == ("ok", "")
    assert_due_now(mailbox)
    exchanges = [(r["ok"], r.get("error")) for r in live.world.entra.requests if r.get("grant") == "on_behalf_of"]
    assert exchanges == [(False, "interaction_required"), (True, None)]


def test_a_closed_reconnect_window_is_explained_and_reconnect_works_after_it(browser_session, live):
    owner = live.world.owner
    owner.mfa_required = True
    mfa_in_the_popup(browser_session, owner)
    page = browser_session.open()
    sign_in_in_popup(browser_session)
    banner = page.locator(BANNER)
    reconnect = banner.get_by_role("button", name="Reconnect")
    expect(reconnect).to_be_visible()

    # Signed out of Entra meanwhile: the Reconnect window asks who signs in, and the user closes it.
    live.world.entra.browser_user = None
    with page.expect_popup() as opened:
        reconnect.click()
    expect(banner.get_by_role("status").filter(has_text="sign-in window is open")).to_be_visible()
    expect(reconnect).to_be_disabled()
    expect(opened.value.get_by_label("Email, phone, or Skype")).to_be_visible()
    opened.value.close()
    alert = banner.get_by_role("alert")
    expect(alert).to_contain_text("Reconnecting did not work: The sign-in window was closed.")
    expect(reconnect).to_be_enabled()
    assert live.mailbox().status == "needs_sign_in"

    with page.expect_popup() as opened:
        reconnect.click()
    popup = opened.value
    popup.get_by_label("Email, phone, or Skype").fill(DEMO_OWNER)
    popup.get_by_role("button", name="Next").click()
    expect(banner).to_be_hidden()
    assert live.mailbox().status == "ok"
    expect(page.locator("#who")).to_have_text("Diego Siciliani · owner")


@pytest.mark.parametrize(("status", "body"), [
    (401, {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Token refused.", "errors": []}),
    (503, {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "Entra is down.",
           "errors": []}),
], ids=["our-token-refused", "unavailable"])
def test_other_failures_of_the_check_show_no_banner(browser_session, live, status, body):
    answered: list[int] = []

    def fail(route) -> None:
        answered.append(status)
        route.fulfill(status=status, content_type="application/problem+json", body=json.dumps(body))

    browser_session.context.route(re.compile(re.escape(live.world.base_url + CHECK) + "$"), fail)
    page = browser_session.open()
    with page.expect_response(is_check):
        sign_in_in_popup(browser_session)
    expect_demo_workspace(page)
    page.wait_for_timeout(300)  # ample for the page to handle an answer it already has
    assert answered == [status]
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert live.mailbox().status == "needs_sign_in"
