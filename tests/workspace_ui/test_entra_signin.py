"""The workspace signs in to Entra ID in a normal browser as MSAL.js v5 requires, against the stand-in
Entra (Playwright routes https://login.microsoftonline.com to it) and our API validating its tokens.

MSAL.js v5 delivers the popup's answer through a redirect page running its redirect bridge, because
Entra's Cross-Origin-Opener-Policy cuts a popup off from its opener:
https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md#cross-origin-opener-policy-coop-support
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import expect

from addin.app import create_app
from addin.config import Config, sqlite_url
from addin.workspace import REDIRECT_PATH, redirect_page_policy
from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER

REPO_ROOT = Path(__file__).resolve().parents[2]
SIGN_IN = "Sign in to Dealpane"
CLOSE_NOTICED_WITHIN_MS = 3_000  # MSAL alone would wait its popup timeout (60 s by default)


class PopupTrail:
    """Where the sign-in popup went (its main frame's URLs) and what it fetched."""

    def __init__(self, popup):
        self.urls: list[str] = []
        self.fetched: list[str] = []
        popup.on("framenavigated", lambda frame: self.urls.append(frame.url) if frame == popup.main_frame else None)
        popup.on("request", lambda request: self.fetched.append(request.url))


def sign_in_in_popup(session, user: str = DEMO_OWNER) -> PopupTrail:
    """Click "Sign in", sign in on Entra's page in the popup, and wait until the popup has closed."""
    page = session.page
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in", exact=True).click()
    popup = opened.value
    trail = PopupTrail(popup)
    popup.get_by_label("Email, phone, or Skype").fill(user)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Next").click()
    return trail


def expect_demo_workspace(page, who: str = "Diego Siciliani · owner") -> None:
    expect(page.locator("main h1")).to_have_text("Opportunities")
    expect(page.locator("#who")).to_have_text(who)
    expect(page.get_by_label("Workspace", exact=True)).to_contain_text("Demo")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def bearer_claims(request) -> dict:
    """The claims of the access token a request carried (read, never printed)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    assert scheme == "Bearer" and token, f"{request.url} was sent without a Bearer token"
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("token_version", [2, None], ids=["v2.0-tokens", "v1.0-tokens"])
def test_popup_sign_in_hands_the_answer_back_through_the_redirect_page_and_the_api_takes_the_token(
        signed_out, entra, token_version):
    # requestedAccessTokenVersion null (Entra's default) gives v1.0 tokens, 2 gives v2.0:
    # https://learn.microsoft.com/entra/identity-platform/access-tokens#token-formats
    entra.registered(entra.redirect_uri, token_version=token_version)
    page = signed_out.open()
    expect(page.locator("main h1")).to_have_text(SIGN_IN)
    expect(page.get_by_role("navigation", name="Sales workspace")).to_be_hidden()

    with page.expect_request(re.compile(r"/api/v1/me$")) as me:
        trail = sign_in_in_popup(signed_out)
    expect_demo_workspace(page)

    claims = bearer_claims(me.value)
    assert me.value.headers.get("x-dev-user") is None
    assert claims["tid"] == entra.tenant_id and claims["oid"] == entra.owner.object_id
    if token_version == 2:
        assert (claims["ver"], claims["aud"]) == ("2.0", entra.registration.client_id)
    else:
        assert (claims["ver"], claims["aud"]) == ("1.0", entra.registration.app_id_uri)

    # The popup went Entra → our redirect page, whose bridge took the answer out of the URL, handed it
    # over and closed the popup. On our origin it fetched the page and its two scripts, nothing else.
    arrived = [url for url in trail.urls if url.startswith(entra.base_url)]
    assert arrived[0].startswith(entra.redirect_uri + "#code="), trail.urls
    assert arrived[-1] == entra.redirect_uri, "the redirect page kept the authorization code in its URL"
    assert [url.split("#")[0] for url in trail.fetched if url.startswith(entra.base_url)] == [
        entra.redirect_uri, f"{entra.base_url}/workspace/vendor/msal-redirect-bridge.min.js",
        f"{entra.base_url}/workspace/static/js/auth-redirect.js"]
    authorize = signed_out.entra.to("authorize")[-1]
    assert authorize.params["redirect_uri"] == entra.base_url + REDIRECT_PATH
    assert authorize.params["code_challenge_method"] == "S256" and authorize.params["response_type"] == "code"
    assert authorize.params["pocd"] == "1"  # a top-level workspace: Entra may leave out its COOP header
    assert authorize.params["scope"].split()[0] == f"{entra.registration.app_id_uri}/access_as_user"
    # A single-page app redeems its code cross-origin, from the workspace's origin (AADSTS9002327 otherwise):
    # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
    token = signed_out.entra.to("token")[-1]
    assert (token.params["grant_type"], token.origin, token.status) == ("authorization_code", entra.base_url, 200)


def test_reload_keeps_the_session_and_renews_tokens_without_a_window(signed_out, entra):
    page = signed_out.open()
    sign_in_in_popup(signed_out)
    expect_demo_workspace(page)
    popups: list = []
    signed_out.context.on("page", lambda opened: popups.append(opened.url))
    asked = len(signed_out.entra.seen)

    page.reload()
    signed_out.wait_ready()
    expect_demo_workspace(page)
    assert signed_out.entra.seen[asked:] == [], "the cached token should have served the reload"

    # Two hours on the access token has expired (Entra's last 60-90 minutes): MSAL redeems the refresh
    # token, no window.
    # https://learn.microsoft.com/entra/identity-platform/refresh-tokens
    page.clock.install(time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    with page.expect_request(re.compile(r"/api/v1/me$")) as me:
        page.reload()
    signed_out.wait_ready()
    expect_demo_workspace(page)
    assert [(s.endpoint, s.params.get("grant_type")) for s in signed_out.entra.seen[asked:]] == \
        [("token", "refresh_token")]
    assert bearer_claims(me.value)["oid"] == entra.owner.object_id
    assert not popups


def test_expired_refresh_token_is_replaced_in_a_hidden_frame_while_entra_still_has_a_session(signed_out, entra):
    page = signed_out.open()
    sign_in_in_popup(signed_out)
    expect_demo_workspace(page)
    asked = len(signed_out.entra.seen)
    frames: list[str] = []
    page.on("framenavigated", lambda frame: frames.append(frame.url) if frame != page.main_frame else None)

    # A single-page app's refresh token lasts 24 hours; then MSAL asks Entra again in a hidden frame
    # with prompt=none, which ends on the redirect page (the bridge hands the answer over):
    # https://learn.microsoft.com/entra/identity-platform/refresh-tokens#token-lifetime
    # https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/redirect-bridge.md
    page.clock.install(time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25))
    page.reload()
    signed_out.wait_ready()
    expect_demo_workspace(page)
    silent = [s for s in signed_out.entra.seen[asked:] if s.endpoint == "authorize"]
    assert [s.params.get("prompt") for s in silent] == ["none"]
    assert silent[0].params["redirect_uri"] == entra.redirect_uri
    assert any(url.startswith(entra.redirect_uri) for url in frames), frames

    # Two days on, and signed out of Entra meanwhile: nothing silent works, so the sign-in screen,
    # without an error (prompt=none answers login_required, AADSTS50058).
    entra.entra.browser_user = None
    page.clock.set_system_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=50))
    page.reload()
    signed_out.wait_ready()
    expect(page.locator("main h1")).to_have_text(SIGN_IN)
    expect(page.get_by_role("alert")).to_contain_text("Your sign-in has expired.")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


def test_sign_out_forgets_the_tokens_and_ends_the_entra_session_in_a_popup(signed_out, entra):
    page = signed_out.open("accounts")
    sign_in_in_popup(signed_out)
    expect(page.locator("main h1")).to_have_text("Accounts")

    # logoutPopup: MSAL clears its cache, Entra signs out in the popup and returns to the redirect page
    # with the request's state; the bridge reports it and closes the popup.
    # https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md#cross-origin-opener-policy-coop-support
    # https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#send-a-sign-out-request
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign out").click()
    popup = opened.value
    trail = PopupTrail(popup)
    popup.wait_for_event("close")
    expect(page.locator("main h1")).to_have_text(SIGN_IN)
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Sales workspace")).to_be_hidden()

    logout = signed_out.entra.to("logout")[-1]
    assert logout.params["post_logout_redirect_uri"] == entra.base_url + REDIRECT_PATH
    assert any(url.startswith(entra.redirect_uri + "?state=") for url in trail.urls), trail.urls
    assert entra.entra.browser_user is None
    assert page.evaluate("() => Object.keys(sessionStorage).filter(k => /token|account/i.test(k))") == []

    # Still signed out after a reload; and signed out of Entra too: signing in asks who again.
    page.reload()
    signed_out.wait_ready()
    expect(page.locator("main h1")).to_have_text(SIGN_IN)
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(opened.value.get_by_label("Email, phone, or Skype")).to_be_visible()
    opened.value.close()
    expect(page.get_by_role("alert")).to_contain_text("The sign-in window was closed.")


def test_unregistered_redirect_uri_shows_entras_error_and_the_closed_window_is_reported(signed_out, entra):
    # The registration lists only the workspace page itself, as the old code used it: Entra refuses
    # to send the answer there and says so on its own page (AADSTS50011), never redirecting.
    # https://learn.microsoft.com/entra/identity-platform/reference-error-codes
    entra.registered(f"{entra.base_url}/workspace/")
    page = signed_out.open()
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in", exact=True).click()
    popup = opened.value
    expect(popup.locator("#error")).to_have_text("invalid_request: AADSTS50011")
    assert signed_out.entra.to("authorize")[-1].params["redirect_uri"] == entra.redirect_uri

    popup.close()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("The sign-in window was closed.", timeout=CLOSE_NOTICED_WITHIN_MS)
    expect(notice).to_contain_text("AADSTS")
    assert signed_out.entra.to("token") == []

    # Registered as the README says: the next attempt takes over from the abandoned one and works.
    entra.registered(entra.redirect_uri)
    sign_in_in_popup(signed_out)
    expect_demo_workspace(page)


def test_closing_the_sign_in_window_is_noticed_at_once_and_signing_in_again_works(signed_out, entra):
    page = signed_out.open()
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="sign-in window is open")).to_be_visible()
    expect(opened.value.get_by_role("heading", name="Sign in")).to_be_visible()
    opened.value.close()  # the user changed their mind

    # MSAL.js v5 alone would wait for its popup timeout: it cannot see the window close
    # (AzureAD/microsoft-authentication-library-for-js#8521).
    expect(page.get_by_role("alert")).to_contain_text("The sign-in window was closed.",
                                                      timeout=CLOSE_NOTICED_WITHIN_MS)
    expect(page.locator("main h1")).to_have_text(SIGN_IN)

    sign_in_in_popup(signed_out, DEMO_COLLEAGUE)
    expect_demo_workspace(page, "Alex Wilber · member")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_blocked_popup_is_explained_and_signing_in_in_this_window_works(signed_out, entra):
    # What a page sees when the browser blocks a popup: window.open returns null (MSAL: "Popup will be
    # null if popups are blocked", PopupClient.openPopup, error popup_window_error).
    signed_out.context.add_init_script("window.open = () => null;")
    page = signed_out.open("contacts")
    page.get_by_role("button", name="Sign in", exact=True).click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Your browser blocked the sign-in window.")
    expect(notice).to_contain_text("Allow pop-ups for this site")

    went: list[str] = []
    page.on("framenavigated", lambda frame: went.append(frame.url) if frame == page.main_frame else None)
    page.get_by_role("button", name="Sign in in this window").click()
    page.get_by_label("Email, phone, or Skype").fill(DEMO_OWNER)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/workspace/#/contacts$"))
    signed_out.wait_ready()
    expect(page.locator("main h1")).to_have_text("Business contacts")
    expect(page.locator("#who")).to_have_text("Diego Siciliani · owner")
    # Entra → the redirect page (the bridge keeps the answer for handleRedirectPromise) → back here.
    assert any(url.startswith(entra.redirect_uri) for url in went), went
    assert not any("code=" in url for url in went if "/workspace/#" in url), "the code reached the app's URL"
    assert signed_out.entra.to("authorize")[-1].params["redirect_uri"] == entra.redirect_uri


def test_entras_refusal_is_shown_with_its_code_and_what_to_do(signed_out, entra):
    # A user of another organisation in a single-tenant app: Entra answers the redirect URI with an
    # error (AADSTS50020), which the bridge hands over like a code.
    # https://learn.microsoft.com/entra/identity-platform/reference-error-codes
    page = signed_out.open()
    sign_in_in_popup(signed_out, entra.outsider.upn)
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Microsoft Entra ID did not sign you in (AADSTS50020).")
    expect(notice).to_contain_text("belongs to another organisation")
    expect(notice).not_to_contain_text("Trace ID")
    expect(page.locator("main h1")).to_have_text(SIGN_IN)
    assert signed_out.entra.to("token") == []


def test_sign_in_works_by_keyboard_and_the_signed_out_screen_passes_axe(signed_out, entra, axe):
    page = signed_out.open()
    assert axe(page) == []
    for _ in range(4):  # the skip link, then the sign-in button: nothing hidden is in the way
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Sign in":
            break
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_focused()

    with page.expect_popup() as opened:
        page.keyboard.press("Enter")
    opened.value.close()
    expect(page.get_by_role("alert")).to_contain_text("The sign-in window was closed.")
    assert axe(page) == []
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_focused()  # Enter again retries

    with page.expect_popup() as opened:
        page.keyboard.press("Enter")
    popup = opened.value
    popup.get_by_label("Email, phone, or Skype").fill(DEMO_OWNER)
    with popup.expect_event("close"):
        popup.keyboard.press("Enter")
    expect_demo_workspace(page)


def test_redirect_page_loads_only_the_bridge_and_its_csp_allows_nothing_more(signed_out, entra, axe):
    page = signed_out.page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    response = page.goto(entra.redirect_uri)
    headers = response.headers
    assert headers["content-security-policy"] == redirect_page_policy()
    # No COOP on the bridge page, and the answer in its URL is never cached:
    # https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
    assert "cross-origin-opener-policy" not in headers
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"

    # Opened without an answer from Entra, it says what it is for.
    expect(page.get_by_role("status")).to_contain_text("only completes a sign-in to Dealpane")
    assert fetched == [
        entra.redirect_uri, f"{entra.base_url}/workspace/vendor/msal-redirect-bridge.min.js",
        f"{entra.base_url}/workspace/static/js/auth-redirect.js"]
    assert axe(page, minimum_passes=5) == []

    # The policy leaves it no way to fetch, frame, post or write markup (Trusted Types).
    refused = page.evaluate("""async () => {
        const refused = [];
        try { await fetch('/api/v1/me'); } catch (e) { refused.push('fetch'); }
        try { document.body.innerHTML = '<b>x</b>'; } catch (e) { refused.push('innerHTML'); }
        const frame = document.createElement('iframe');
        frame.src = '/workspace/';
        document.body.append(frame);
        await new Promise((resolve) => setTimeout(resolve, 300));
        try { frame.contentWindow.location.href; } catch (e) { refused.push('frame'); }
        return refused;
    }""")
    assert refused == ["fetch", "innerHTML", "frame"]
    assert len(signed_out.csp) >= 3  # Chromium reported each refusal...
    signed_out.csp.clear()  # ...which was the point here


def test_a_workspace_opened_from_another_site_signs_in_through_the_bridge_although_entra_cuts_the_popup_off(
        signed_out, entra):
    # A cross-origin opener (a portal linking with rel=opener): MSAL cannot send pocd=1, so Entra keeps
    # its Cross-Origin-Opener-Policy and the popup loses its opener. Only the redirect bridge (a
    # BroadcastChannel) still brings the answer back; and `popup.closed` now lies, so the workspace
    # must not call the window closed ("The pocd parameter", "Cross-Origin-Opener-Policy and popup
    # responses": https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/configuration.md).
    portal = signed_out.page
    signed_out.context.route("https://portal.example/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=f"<!DOCTYPE html><title>Portal</title>"
        f"<a href='{entra.base_url}/workspace/' target='_blank' rel='opener'>Dealpane</a>"))
    portal.goto("https://portal.example/")
    with signed_out.context.expect_page() as opened:
        portal.get_by_role("link", name="Dealpane").click()
    page = opened.value
    page.wait_for_selector("main[aria-busy='false'] h1")
    expect(page.locator("main h1")).to_have_text(SIGN_IN)

    with page.expect_popup() as popped:
        page.get_by_role("button", name="Sign in", exact=True).click()
    popup = popped.value
    expect(popup.get_by_label("Email, phone, or Skype")).to_be_visible()
    assert "pocd" not in signed_out.entra.to("authorize")[-1].params
    assert popup.evaluate("() => window.opener") is None, "Entra's COOP should have cut the popup off"
    page.wait_for_timeout(1500)  # longer than the workspace needs to notice a closed window
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="or press Sign in to start again")).to_be_visible()

    popup.get_by_label("Email, phone, or Skype").fill(DEMO_OWNER)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Next").click()
    expect_demo_workspace(page)


def test_the_workspace_lets_msal_reach_the_configured_entra_host_and_no_other(tmp_path):
    # National clouds sign in at their own host, e.g. https://login.microsoftonline.us:
    # https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
    app = create_app(Config(database_url=sqlite_url(tmp_path / "unused.sqlite3"), auth_mode="entra",
                            client_id="11111111-2222-3333-4444-555555555555",
                            tenant_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                            authority_host="https://login.microsoftonline.us"))
    try:
        client = app.test_client()
        with client.get("/workspace/") as page:  # closed: it streams index.html from disk
            policy = page.headers["Content-Security-Policy"]
        config = client.get("/workspace/config.json").get_json()
    finally:
        app.extensions["dealpane"].engine.dispose()
    assert config["authority"] == "https://login.microsoftonline.us/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["connect-src"] == "'self' https://login.microsoftonline.us"
    assert directives["frame-src"] == "'self' https://login.microsoftonline.us"  # renewal frame, then the bridge
    assert "microsoftonline.com" not in policy


README = REPO_ROOT / "README.md"


def readme_spa_redirect_uris() -> set[str]:
    """The redirect URIs the README's app registration step has an administrator add under the
    Single-page application platform (written with HOST for the server's host name)."""
    steps = re.split(r"\n(?=\d+\. )", README.read_text(encoding="utf-8"))
    step = next(step for step in steps if "Single-page application" in step)
    return set(re.findall(r"`([^`\s]*HOST[^`\s]*)`", step))


def test_the_readme_lists_exactly_the_redirect_uri_the_workspace_signs_in_and_out_with(entra):
    # The browser tests above see the workspace send origin + REDIRECT_PATH as redirect_uri and
    # post_logout_redirect_uri; config.json is where the page takes it from.
    config = entra.app.test_client().get("/workspace/config.json").get_json()
    assert config["redirect_path"] == REDIRECT_PATH
    listed = readme_spa_redirect_uris()
    assert {uri for uri in listed if "/workspace" in uri} == {f"https://HOST{REDIRECT_PATH}"}, \
        f"README's Single-page application redirect URIs: {sorted(listed)}"
