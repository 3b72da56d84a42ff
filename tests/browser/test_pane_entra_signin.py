"""The pane's sign-in where Outlook offers no nested app authentication, with the real MSAL.js 5.

createNestablePublicClientApplication falls back to MSAL.js's standard public client when the host has
no NAA bridge (older Outlook builds, a browser). Its popup sign-in ends on the app's redirect URI, which
MSAL.js v5 requires to be a page running its redirect bridge, served without Cross-Origin-Opener-Policy:
https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
The pane uses the workspace's bridge page (/pane/config.json `redirect_path`, /workspace/auth-redirect.html).

Here: the pane at https://dealpane.test as production serves it (tests/browser/conftest.py: its CSP,
Microsoft's CDNs from npm, nothing else off the machine), the Office stand-in giving it an e-mail and no
NAA bridge, the real MSAL.js from node_modules, Entra answered by the stand-in (graph_sync/fake/entra*.py,
routed as in tests/workspace_ui/entra_login.py), and the app in Entra mode validating its v2.0 tokens.
The app reads Graph with application permissions, so nothing here needs an on-behalf-of exchange (the
pane's Reconnect, tests/browser_reconnect, covers that).
"""
from __future__ import annotations

import re
import time

import jwt
import pytest
from playwright.sync_api import expect

from addin.workspace import REDIRECT_PATH
from storage.demo import DEMO_OWNER
from tests.browser.conftest import PANE_ORIGIN, PANE_VIEWPORT, _check_session, _close, _session
from tests.workspace_ui.entra_login import EntraRoute, entra_app, make_world

MEGAN = "megan.bowen@fabrikam.com"
MAIL = "Fabrikam – licence quote for 50 seats"
PANE_REDIRECT_URI = f"{PANE_ORIGIN}{REDIRECT_PATH}"
NOT_SIGNED_IN = "You are not signed in to Dealpane."
CLOSE_NOTICED_WITHIN_MS = 3_000  # MSAL.js alone would wait for its popup timeout (60 s)


@pytest.fixture(scope="module")
def pane_entra_world(tmp_path_factory):
    """Dealpane in Entra mode (demo=True only for the Office stand-in) on its own seeded database, and
    the stand-in Entra tenant it trusts."""
    with entra_app(tmp_path_factory.mktemp("pane-entra-db") / "dealpane.sqlite3", make_world(),
                   demo=True, graph_auth="application") as world:
        yield world


@pytest.fixture
def registration(pane_entra_world):
    """The app registration as the README makes it: the bridge page as the only SPA redirect URI (on the
    pane's origin), v2.0 tokens; nobody signed in to Entra in the browser."""
    pane_entra_world.registered(PANE_REDIRECT_URI, token_version=2)
    pane_entra_world.entra.browser_user = None
    yield pane_entra_world
    pane_entra_world.entra.browser_user = None


class EntraPane:
    """The pane session (tests/browser/conftest.py) plus Entra: what the browser asked it, the API
    requests the pane sent and the uncaught errors of every page, popups included."""

    def __init__(self, browser, world, shots_dir):
        self.world = world
        self.context, self.session = _session(browser, world.base_url, shots_dir, PANE_VIEWPORT)
        self.entra = EntraRoute(world)
        self.entra.install(self.context)  # registered last: asked first for login.microsoftonline.com
        self.page = self.session.page
        self.api: list = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.api.append(request) if "/api/v1/" in request.url else None)
        self.context.on("weberror", lambda error: self.errors.append(str(error.error)))

    def open(self, item: dict):
        page = self.session.open(item)
        assert page.evaluate("typeof window.nestedAppAuthBridge") == "undefined"  # this host offers no NAA
        return page

    def click_sign_in(self):
        """Press the pane's Sign in; returns the popup MSAL.js opened."""
        with self.page.expect_popup() as opened:
            self.page.get_by_role("alert").get_by_role("button", name="Sign in").click()
        return opened.value


@pytest.fixture
def entra_pane(browser, registration, shots_dir, microsoft_cdn_files):
    pane = EntraPane(browser, registration, shots_dir)
    yield pane
    _close(pane.context)
    _check_session(pane.session, "the pane")  # no CSP refusal, nothing off the machine, no uncaught error
    assert not pane.errors, f"uncaught errors in the pane or the sign-in pages: {pane.errors}"


def sign_in_on_entra(popup, user: str = DEMO_OWNER) -> list[str]:
    """Sign in on the stand-in Entra's page in the popup and wait for the popup to close; returns the
    URLs its main frame went through."""
    urls: list[str] = []
    popup.on("framenavigated", lambda frame: urls.append(frame.url) if frame == popup.main_frame else None)
    popup.get_by_label("Email, phone, or Skype").fill(user)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Next").click()
    return urls


def bearer_claims(request) -> dict:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    assert scheme == "Bearer" and token, f"{request.url} was sent without a Bearer token"
    return jwt.decode(token, options={"verify_signature": False})


def expect_item_view(page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^" + re.escape(MAIL)))
    expect(page.locator(".people")).to_contain_text("Megan Bowen")
    card = page.get_by_role("region", name="Open opportunities").get_by_role("listitem").filter(
        has_text="Fabrikam – 50 seats")
    expect(card).to_contain_text("Proposal")


def test_without_naa_the_pane_signs_in_in_a_popup_that_ends_on_the_redirect_bridge(entra_pane, find_item):
    world = entra_pane.world
    page = entra_pane.open(find_item(MAIL, MEGAN))
    expect(page.get_by_role("alert")).to_contain_text(NOT_SIGNED_IN)
    assert entra_pane.api == [], "nothing is sent to the API without a token"
    assert entra_pane.entra.seen == [], "no account yet: MSAL.js asks Entra nothing before the click"

    popup = entra_pane.click_sign_in()
    expect(popup.get_by_role("heading", name="Sign in")).to_be_visible()
    urls = sign_in_on_entra(popup)
    expect_item_view(page)
    expect(page.get_by_role("alert")).to_have_count(0)

    # Entra sent the answer to the bridge page on the pane's origin, whose bridge took the code out of
    # the URL, handed it to the pane and closed the popup.
    arrived = [url for url in urls if url.startswith(PANE_ORIGIN)]
    assert arrived and arrived[0].startswith(PANE_REDIRECT_URI + "#code="), urls
    assert arrived[-1] == PANE_REDIRECT_URI, "the bridge page kept the authorization code in its URL"
    authorize = entra_pane.entra.to("authorize")[0].params
    assert authorize["redirect_uri"] == PANE_REDIRECT_URI
    assert (authorize["response_type"], authorize["code_challenge_method"]) == ("code", "S256")
    assert authorize["pocd"] == "1"  # a top-level pane: Entra may leave out its COOP, the popup stays watchable
    assert authorize["scope"].split()[0] == f"{world.registration.app_id_uri}/access_as_user"
    # The pane redeemed the code itself, cross-origin from its own origin (a single-page app).
    token = entra_pane.entra.to("token")[-1]
    assert (token.params["grant_type"], token.params["redirect_uri"], token.origin, token.status) == (
        "authorization_code", PANE_REDIRECT_URI, PANE_ORIGIN, 200)

    # Every API call carried the v2.0 token Entra issued for our API, and the server took it.
    assert entra_pane.api, "the pane called no API"
    for request in entra_pane.api:
        claims = bearer_claims(request)
        assert (claims["ver"], claims["aud"], claims["tid"], claims["oid"]) == (
            "2.0", world.registration.client_id, world.tenant_id, world.owner.object_id), request.url
        assert request.headers.get("x-dev-user") is None
        response = request.response()
        assert response is not None and response.ok, f"{request.url} answered {response and response.status}"
    assert any(request.url.endswith("/api/v1/me") for request in entra_pane.api)
    assert any("/context?" in request.url for request in entra_pane.api)


def test_an_unregistered_redirect_uri_is_refused_by_entra_and_the_pane_does_not_hang(entra_pane, find_item):
    # The registration lists only the pane page itself (what MSAL.js used before the pane named its
    # redirect URI): Entra refuses on its own page (AADSTS50011) and never redirects, so no answer
    # ever reaches the pane. https://learn.microsoft.com/entra/identity-platform/reference-error-codes
    world = entra_pane.world
    world.registered(f"{PANE_ORIGIN}/pane/")
    page = entra_pane.open(find_item(MAIL, MEGAN))
    prompt = page.get_by_role("alert").element_handle()

    popup = entra_pane.click_sign_in()
    expect(popup.locator("#error")).to_have_text("invalid_request: AADSTS50011")
    assert entra_pane.entra.to("authorize")[-1].params["redirect_uri"] == PANE_REDIRECT_URI

    # The user closes Entra's error page: the pane notices at once (MSAL.js alone would wait 60 s) and
    # offers signing in again.
    popup.close()
    closed_at = time.monotonic()
    page.wait_for_function("prompt => !prompt.isConnected", arg=prompt, timeout=CLOSE_NOTICED_WITHIN_MS)
    assert time.monotonic() - closed_at < CLOSE_NOTICED_WITHIN_MS / 1000
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text(NOT_SIGNED_IN)
    # ...and why: the window closed, and where the error code it showed should go.
    expect(notice).to_contain_text("The sign-in window was closed before Microsoft Entra ID signed you in")
    expect(notice).to_contain_text("give it to your administrator")
    expect(notice.get_by_role("button", name="Sign in")).to_be_visible()
    assert entra_pane.entra.to("token") == []
    assert entra_pane.api == []

    # Registered as the README says, the next attempt takes over from the abandoned one and works.
    world.registered(PANE_REDIRECT_URI)
    sign_in_on_entra(entra_pane.click_sign_in())
    expect_item_view(page)
    assert bearer_claims(entra_pane.api[0])["oid"] == world.owner.object_id


def test_the_pane_names_the_bridge_page_as_its_redirect_uri(pane_entra_world):
    config = pane_entra_world.app.test_client().get("/pane/config.json").get_json()
    assert config["auth_mode"] == "entra" and config["redirect_path"] == REDIRECT_PATH
