"""The workspace on the foundation it shares with the pane (addin/shared/): the Fluent tokens from the
shared sheet, and where the two apps' former copies disagreed (a config.json the server cannot answer
shows "Dealpane is busy." as in the pane; a 415 stays "Please check what you entered.")."""
from playwright.sync_api import expect


def test_the_workspace_takes_the_fluent_tokens_from_the_shared_sheet(workspace):
    page = workspace.open("opportunities")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tokens = page.evaluate("""() => {
      const style = getComputedStyle(document.documentElement);
      return ["--brand", "--s6", "--focus", "--brand-selected"].map((name) => style.getPropertyValue(name).trim());
    }""")
    assert tokens == ["#0f6cbd", "24px", "2px solid #000000", "#cfe4fa"]
    assert page.evaluate("getComputedStyle(document.body).minWidth") == "320px"


def test_an_unanswered_config_is_busy_not_a_server_fault(workspace):
    page = workspace.page
    page.route("**/workspace/config.json", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(f"{workspace.base_url}/workspace/#/opportunities")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Dealpane is busy.")
    expect(alert).not_to_contain_text("HTTP 503")
