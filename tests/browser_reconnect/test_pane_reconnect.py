"""The pane's Reconnect, in Chromium: Entra mode, the stand-in Entra over HTTPS, the fake Graph.

The pane calls POST /api/v1/me/graph-connection once it has started. Here the user's organization asks
for MFA before Graph (Entra's interaction_required with a claims challenge), so the server answers 401
with the challenge (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example)
and the pane shows Reconnect. Reconnect signs in interactively with MSAL.js's acquireTokenPopup carrying
`claims` and `extraScopesToConsent`
(https://azuread.github.io/microsoft-authentication-library-for-js/ref/types/_azure_msal_browser.PopupRequest.html);
MSAL.js itself is replaced by a stand-in (window.msal, before the pane's scripts) whose tokens the stand-in
Entra mints, so what is tested is the pane, the API and the exchange, not the real popup.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from addin.app import create_app
from addin.config import sqlite_url
from graph_sync.tokens import GRAPH_SCOPES
from storage import migrate
from storage.db import UnitOfWork, make_engine, make_session_factory
from storage.demo import DEMO_OWNER, seed_demo
from storage.models import Mailbox
from storage.services.mailboxes import connect_mailbox
from tests.live_server import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
MICROSOFT_AJAX_JS = REPO_ROOT / "node_modules" / ".dealpane" / "MicrosoftAjax.js"
TIMEOUT_MS = 10_000

# MSAL.js as the pane uses it (auth.js): a nestable app with silent and popup token requests. Tokens
# come from the test (window.__dealpaneToken), which mints them with the stand-in Entra.
MSAL_STANDIN = """
window.msal = {
  createNestablePublicClientApplication: async () => {
    let active = null;
    const answer = async (interactive, request) => {
      const token = await window.__dealpaneToken(interactive, {
        claims: request.claims || null, extraScopesToConsent: request.extraScopesToConsent || []});
      active = { username: "demo@contoso.com", homeAccountId: "demo" };
      return { accessToken: token, account: active, expiresOn: new Date(Date.now() + 3600 * 1000) };
    };
    return {
      getActiveAccount: () => active,
      getAllAccounts: () => (active ? [active] : []),
      setActiveAccount: (account) => { active = account; },
      acquireTokenSilent: (request) => answer(false, request),
      acquireTokenPopup: (request) => answer(true, request),
    };
  },
};
"""


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture
def live(entra_world, tmp_path):
    """The app in Entra mode (demo=True only for the Office stand-in), its own SQLite file with the
    demo workspace, and the owner's delegated mailbox waiting for them to sign in again."""
    if not MICROSOFT_AJAX_JS.exists():
        unavailable(f"{MICROSOFT_AJAX_JS} is missing (run `make node`)")
    fake = entra_world.graph()
    engine = make_engine(sqlite_url(tmp_path / "pane.sqlite3"))
    migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    with UnitOfWork(session_factory) as uow:
        workspace, _ = seed_demo(uow.session)
        mailbox, _ = connect_mailbox(uow.session, workspace.id, DEMO_OWNER, "delegated")
        mailbox.status, mailbox.status_detail = "needs_sign_in", "Dealpane lost access to this mailbox."
        uow.commit()
    app = create_app(entra_world.config(engine, fake.url, demo=True), engine=engine)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", session_factory, mailbox.id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.extensions["dealpane"].graph.close()
        engine.dispose()


def test_mfa_required_shows_reconnect_and_reconnecting_recovers_the_mailbox(browser, live, entra_world):
    base_url, session_factory, mailbox_id = live
    entra_world.user.mfa_required = True  # Conditional Access: MFA before Graph
    popups: list[dict] = []

    def token(interactive: bool, request: dict) -> str:
        if interactive:
            popups.append(request)
            entra_world.user.mfa_required = False  # the user completed MFA in the popup
        return entra_world.pane_token()

    context = browser.new_context(viewport={"width": 320, "height": 900})
    try:
        # Nothing leaves the machine; MicrosoftAjax.js (which office.js's host files, and so the Office
        # stand-in, load from the Ajax CDN) comes from the npm-extracted copy. Last route registered, first asked.
        context.route(lambda url: not url.startswith(base_url), lambda route: route.abort("blockedbyclient"))
        context.route("**/ajax.aspnetcdn.com/ajax/3.5/MicrosoftAjax.js",
                      lambda route: route.fulfill(path=str(MICROSOFT_AJAX_JS), content_type="text/javascript"))
        context.expose_function("__dealpaneToken", token)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        state = {"user": {"emailAddress": DEMO_OWNER, "displayName": "Diego Siciliani"}, "item": None}
        page.add_init_script(f"window.__DEALPANE_STANDIN__ = {json.dumps(state)};" + MSAL_STANDIN)
        page.goto(f"{base_url}/pane/?standin=1")

        button = page.wait_for_selector("#graph-reconnect", timeout=TIMEOUT_MS)
        banner = page.locator("#graph-connection").inner_text()
        assert "Reconnect Dealpane to your mailbox." in banner and "multi-factor" in banner
        assert page.locator("main h1").inner_text() == "Select an e-mail or meeting"  # the view is not blocked
        with session_factory() as session:
            assert session.get(Mailbox, mailbox_id).status == "needs_sign_in"

        button.click()
        page.locator("#graph-reconnect").wait_for(state="detached", timeout=TIMEOUT_MS)
        assert len(popups) == 1
        assert json.loads(popups[0]["claims"])["access_token"]["capolids"]["essential"] is True
        assert popups[0]["extraScopesToConsent"] == GRAPH_SCOPES
        assert page.locator("#graph-connection").inner_text() == ""
        with session_factory() as session:
            assert session.get(Mailbox, mailbox_id).status == "ok"
        assert errors == []
    finally:
        context.close()
