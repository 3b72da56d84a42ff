"""Entra mode: the pane gets its token from MSAL.js Nested App Authentication and sends it as Bearer.

The app under test runs in dev mode, so /pane/config.json and the API are answered by the test
(Playwright routes); MSAL is either a recording stand-in or the real library served from npm.
"""
import json

from playwright.sync_api import expect

ENTRA_CONFIG = {"auth_mode": "entra", "client_id": "11111111-2222-3333-4444-555555555555",
                "api_audience": "api://dealpane.example/11111111-2222-3333-4444-555555555555",
                "api_scope": "access_as_user",
                "scope": "api://dealpane.example/11111111-2222-3333-4444-555555555555/access_as_user",
                "authority": "https://login.microsoftonline.com/common", "demo": True}
ME = {"user": {"id": "u1", "email": "demo@contoso.com", "display_name": "Diego"}, "workspaces": []}

# A stand-in for msal-browser's NAA client: silent fails until the user signs in (popup).
FAKE_MSAL = """
window.__msal = {configs: [], silent: [], popup: []};
window.msal = {
  createNestablePublicClientApplication: async (config) => {
    window.__msal.configs.push(config);
    let account = null;
    return {
      getActiveAccount: () => account,
      getAllAccounts: () => (account ? [account] : []),
      setActiveAccount: (a) => { account = a; },
      acquireTokenSilent: async (request) => {
        window.__msal.silent.push(request.scopes);
        if (!account) throw Object.assign(new Error("interaction_required"), {errorCode: "interaction_required"});
        return {accessToken: "token-after-sign-in", account, expiresOn: new Date(Date.now() + 3600e3)};
      },
      acquireTokenPopup: async (request) => {
        window.__msal.popup.push(request.scopes);
        account = {homeAccountId: "h", username: "demo@contoso.com"};
        return {accessToken: "token-after-sign-in", account, expiresOn: new Date(Date.now() + 3600e3)};
      },
    };
  },
};
"""


def _entra(page, seen: list):
    page.route("**/pane/config.json", lambda route: route.fulfill(json=ENTRA_CONFIG))

    def me(route):
        seen.append(route.request.headers.get("authorization"))
        if route.request.headers.get("authorization") == "Bearer token-after-sign-in":
            route.fulfill(json=ME)
        else:
            route.fulfill(status=401, content_type="application/problem+json", body=json.dumps(
                {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "", "errors": []}))
    page.route("**/api/v1/me", me)


def test_entra_mode_signs_in_with_nested_app_auth_and_sends_bearer(pane, find_item):
    seen: list = []
    page = pane.page
    page.add_init_script(FAKE_MSAL)
    _entra(page, seen)
    pane.open(find_item("Fabrikam – licence quote for 50 seats", "megan.bowen@fabrikam.com"))

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are not signed in to Dealpane.")
    pane.shot("33-entra-sign-in")
    alert.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have no workspace")

    assert seen == ["Bearer token-after-sign-in"]  # nothing was sent without a token
    msal = page.evaluate("window.__msal")
    expected = {"auth": {"clientId": ENTRA_CONFIG["client_id"], "authority": ENTRA_CONFIG["authority"]}}
    assert msal["configs"] == [expected]
    assert msal["silent"] == [[ENTRA_CONFIG["scope"]]]
    assert msal["popup"] == [[ENTRA_CONFIG["scope"]]]


def test_real_msal_library_loads_under_the_csp(pane, find_item):
    """Outside Outlook NAA falls back to the standard client; without an account it asks to sign in."""
    seen: list = []
    page = pane.page
    _entra(page, seen)
    pane.open(find_item("Fabrikam – licence quote for 50 seats", "megan.bowen@fabrikam.com"))
    expect(page.get_by_role("alert")).to_contain_text("You are not signed in to Dealpane.")
    assert page.evaluate("typeof window.msal.createNestablePublicClientApplication") == "function"
    assert pane.csp_reports == []
    assert seen == []
    assert pane.outside == []  # no silent call to login.microsoftonline.com without an account
