"""The demo preview (the pane in a 320-px frame beside the demo mailbox), the ribbon's function file,
`?view=link`, and the pane's own routes."""
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from addin.app import create_app
from addin.config import Config

MEGAN = "megan.bowen@fabrikam.com"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_preview_drives_the_pane_with_the_demo_mailbox(wide_page):
    page = wide_page.page
    page.goto(f"{wide_page.origin}/pane/preview")
    messages = page.get_by_role("list", name="Messages")
    expect(messages.get_by_role("button").first).to_be_visible()
    assert page.locator("#pane-frame").bounding_box()["width"] == pytest.approx(322, abs=2)  # 320 + border
    frame = page.frame_locator("#pane-frame")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Select an e-mail or meeting")

    messages.get_by_role("button").filter(
        has=page.locator(".item-subject", has_text=re.compile("^Fabrikam – licence quote for 50 seats"))).click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")
    expect(frame.get_by_role("region", name="Contacts and accounts")).to_contain_text("Megan Bowen")
    wide_page.shot("40-preview-message")

    page.get_by_role("list", name="Meetings").get_by_role("button").filter(has_text="Litware").first.click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Litware – Workshop zur Markteinführung (Berlin)")
    # open, or already linked by an earlier test of this session: either way the pane shows the deal
    expect(frame.locator("body")).to_contain_text("Litware – Germany launch")

    page.get_by_role("button", name="New e-mail").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("File this e-mail under an opportunity")
    # a reply to the meeting's attendee: the pane suggests her deals
    expect(frame.get_by_role("list", name="Matching opportunities")).to_contain_text("Litware – Germany launch")
    wide_page.shot("41-preview-compose")


def test_view_link_opens_on_the_link_view(pane, find_item):
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), view="link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to opportunity")
    expect(page.get_by_role("list", name="Matching opportunities")).to_contain_text("Fabrikam – 50 seats")


def test_commands_page_registers_the_ribbon_functions(pane, find_item):
    page = pane.page
    state = {"user": {"emailAddress": "demo@contoso.com"}, "item": find_item("Fabrikam – licence quote", MEGAN)}
    page.add_init_script(f"window.__DEALPANE_STANDIN__ = {__import__('json').dumps(state)};")
    page.goto(f"{pane.origin}/pane/commands.html?standin=1")
    page.wait_for_function("Object.keys(window.OfficeStandin.actions).length === 2")
    completed = page.evaluate("""() => new Promise((resolve) => {
        window.OfficeStandin.actions.openLinkToOpportunity({completed: () => resolve(true)});
        setTimeout(() => resolve(false), 2000);
    })""")
    assert completed
    assert sorted(page.evaluate("Object.keys(window.OfficeStandin.actions)")) == ["openDealpane",
                                                                                   "openLinkToOpportunity"]


# ---- the routes, without a browser ---------------------------------------------------------


@pytest.fixture
def plain_app(tmp_path):
    """Not in demo mode: Entra auth settings, no preview."""
    config = Config(database_url=f"sqlite:///{tmp_path / 'plain.sqlite3'}", auth_mode="entra",
                    api_uri="api://dealpane.example/app", client_id="app-client-id", tenant_id=TENANT)
    app = create_app(config)
    if "pane" not in app.blueprints:
        from addin.pane import bp  # noqa: PLC0415

        app.register_blueprint(bp)
    return app


def test_config_json_tells_the_pane_how_to_sign_in(plain_app):
    answer = plain_app.test_client().get("/pane/config.json").get_json()
    assert answer["auth_mode"] == "entra"
    assert answer["client_id"] == "app-client-id"
    assert answer["scope"] == "api://dealpane.example/app/access_as_user"
    assert answer["authority"] == f"https://login.microsoftonline.com/{TENANT}"


def test_preview_and_stand_in_only_in_demo_mode(plain_app):
    client = plain_app.test_client()
    assert client.get("/pane/preview").status_code == 404
    assert client.get("/pane/preview/items").status_code == 404
    html = client.get("/pane/?standin=1").get_data(as_text=True)
    assert "office-standin.js" not in html and "appsforoffice.microsoft.com/lib/1/hosted/office.js" in html


def test_outside_demo_mode_the_csp_never_allows_plain_http(plain_app):
    """Only `dealpane demo` on loopback serves http pages; a real server's CSP stays https-only."""
    csp = plain_app.test_client().get("/pane/", base_url="http://localhost").headers["Content-Security-Policy"]
    assert "https://ajax.aspnetcdn.com" in csp and "http://" not in csp


def test_the_csp_lets_msal_reach_the_configured_entra_only(tmp_path):
    """connect-src and frame-src name Entra at DEALPANE_AUTHORITY_HOST (a national cloud, or the tests'
    stand-in), not a hard-coded public cloud."""
    def csp_for(**settings):
        config = Config(database_url=f"sqlite:///{tmp_path / 'csp.sqlite3'}", auth_mode="entra",
                        client_id="app-client-id", tenant_id=TENANT, **settings)
        app = create_app(config)
        if "pane" not in app.blueprints:
            from addin.pane import bp  # noqa: PLC0415

            app.register_blueprint(bp)
        policy = app.test_client().get("/pane/").headers["Content-Security-Policy"]
        return dict(part.strip().split(" ", 1) for part in policy.split(";"))

    public = csp_for()
    assert public["connect-src"] == "'self' https://login.microsoftonline.com"
    assert public["frame-src"] == "'self' https://login.microsoftonline.com"
    china = csp_for(authority_host="https://login.partner.microsoftonline.cn/")
    assert china["connect-src"] == "'self' https://login.partner.microsoftonline.cn"
    assert china["frame-src"] == "'self' https://login.partner.microsoftonline.cn"
    assert "login.microsoftonline.com" not in "; ".join(china.values())


def test_icons_and_msal_are_served(plain_app, monkeypatch, tmp_path):
    client = plain_app.test_client()
    for size in (16, 32, 64, 80, 128):
        with client.get(f"/pane/icons/icon-{size}.png") as response:  # file responses must be closed
            assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get("/pane/icons/../__init__.py").status_code == 404
    with client.get("/pane/vendor/msal-browser.min.js") as msal:
        if msal.status_code == 200:
            assert b"createNestablePublicClientApplication" in msal.data
    import addin.pane as pane_module  # noqa: PLC0415

    monkeypatch.setattr(pane_module, "MSAL_FILE", tmp_path / "missing.js")
    missing = client.get("/pane/vendor/msal-browser.min.js")
    assert missing.status_code == 404 and "make node" in missing.get_data(as_text=True)


def test_preview_is_served_by_the_live_demo(base_url):
    with urllib.request.urlopen(f"{base_url}/pane/preview", timeout=10) as response:  # noqa: S310
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{base_url}/pane/nothing-here", timeout=10)  # noqa: S310
