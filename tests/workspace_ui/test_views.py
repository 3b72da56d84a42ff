"""The main views render from the API at 1280 and 800 px (screenshots kept for people to look at)."""
import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("width", ["wide", "narrow"])
def test_main_views_render_at_1280_and_800_px(request, width):
    ws = request.getfixturevalue("workspace" if width == "wide" else "narrow_workspace")
    px = 1280 if width == "wide" else 800
    page = ws.open("opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    page.get_by_role("row").filter(has_text="Northwind – EMEA rollout").click()
    expect(page.locator("#reading-pane h2")).to_have_text("Northwind – EMEA rollout")
    expect(page.locator("#reading-pane")).to_contain_text("Needs Analysis")
    ws.shot(f"{px}-01-opportunities", full_page=px == 800)

    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind – EMEA rollout")
    expect(page.locator("#total")).not_to_have_text("")
    ws.shot(f"{px}-02-opportunity-form")

    ws.go("dashboard")
    expect(page.get_by_role("heading", name="Pipeline by sales stage")).to_be_visible()
    page.wait_for_function(  # pipeline, forecast and, when deals closed this quarter, the close reasons: all drawn
        "() => { const c = [...document.querySelectorAll('canvas')];"
        " return window.Chart && c.length >= 2 && c.every((one) => window.Chart.getChart(one)); }")
    ws.shot(f"{px}-03-dashboard")

    ws.go("accounts")
    expect(page.get_by_role("link", name="Fabrikam, Inc.")).to_be_visible()
    ws.shot(f"{px}-04-accounts")

    ws.go("transfer")
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    ws.shot(f"{px}-05-import-export")

    ws.go("customise")
    page.get_by_role("button", name="Edit sales stages…").click()
    expect(page.get_by_role("dialog", name="Sales stages and activities")).to_be_visible()
    ws.shot(f"{px}-06-customise-stages", full_page=False)


def test_switching_workspace_keeps_the_view_busy_until_the_new_one_is_shown(workspace, demo_api):
    """The old view must not take input (a chosen file, a typed value) while the new workspace loads:
    main is aria-busy from the moment the workspace is picked until the new view is rendered."""
    busy_id = demo_api.post("/api/v1/workspaces", {"name": "Busy check"})["id"]
    page = workspace.open("transfer")
    held = []
    page.route("**/members", lambda route: held.append(route))
    page.get_by_label("Workspace", exact=True).select_option(label="Busy check (owner)")
    page.wait_for_function("() => document.querySelector('main').getAttribute('aria-busy') === 'true'")
    page.wait_for_timeout(200)
    assert page.locator("main").get_attribute("aria-busy") == "true"
    assert held, "the members request was not held"
    for route in held:
        route.continue_()
    page.unroute("**/members")
    workspace.wait_ready()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import and export")
    assert page.evaluate("() => sessionStorage.getItem('dealpane.workspace.ws')") == busy_id
