"""Close reasons in the workspace: the bulk close dialog asks for the reason (keyboard only), the list is edited
in Customise among the other lists, and the dashboard shows won and lost by reason and by competitor; axe-core
clean, and the same in French."""
import datetime as dt

from playwright.sync_api import expect

from tests.workspace_ui.test_french import french, in_french  # noqa: F401 - the fixture, used by name

# The demo workspace's list values are its data (English), never translated.
REASONS = ("Price", "Competitor chosen", "No budget", "No decision", "Timing", "Product fit", "Relationship")


def _make(demo_api, title: str, competitors: str | None = None) -> dict:
    link = {"type": "account", "id": demo_api.named("accounts", "Tailspin Toys")["id"]}
    return demo_api.post("/opportunities", {
        "title": title, "link": link, "stage_id": demo_api.stage("Proposal")["id"], "probability": 50,
        "competitors": competitors, "lines": [{"name": "Seats", "unit_price": "100.00", "quantity": "2"}]})


def test_bulk_close_asks_for_the_reason_and_works_by_keyboard(workspace, demo_api, axe):
    made = [_make(demo_api, f"Reason close {n}") for n in (1, 2)]
    page = workspace.open("opportunities")
    page.get_by_label("Status").select_option(label="Any status")
    page.get_by_label("Search").fill("Reason close")
    rows = page.locator("table.list tbody tr[data-id]")
    expect(rows).to_have_count(2)
    rows.nth(0).focus()
    page.keyboard.press("Control+a")
    expect(page.get_by_role("toolbar", name="Selected opportunities")).to_contain_text("2 selected")

    page.get_by_role("button", name="Mark as closed…").focus()
    page.keyboard.press("Enter")
    closing = page.get_by_role("dialog")
    reason = closing.get_by_label("Close reason")
    expect(reason).to_have_value("")  # optional, as in the API
    expect(reason.locator("option")).to_have_text(["No reason given", *REASONS])
    closing.get_by_label("Closed Won").focus()
    page.keyboard.press("ArrowRight")  # radio group: Closed Lost
    expect(closing.get_by_label("Closed Lost")).to_be_checked()
    reason.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(reason).to_have_value("No budget")
    assert not axe(page), axe(page)
    workspace.shot("1280-close-reason-bulk-dialog", full_page=False)
    for _ in range(6):  # on to the dialog's "Mark as closed" button
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Mark as closed":
            break
    page.keyboard.press("Enter")
    expect(page.locator("#list-messages")).to_contain_text("2 opportunities marked Closed Lost.")
    for record in made:
        got = demo_api.get(f"/opportunities/{record['id']}")
        assert (got["status"], got["close_reason"]) == ("lost", "No budget")


def test_the_close_reason_list_is_edited_in_customise(workspace, demo_api, axe):
    before = demo_api.get("/lists/close_reason")["values"]
    try:
        page = workspace.open("customise")
        page.get_by_role("button", name="Edit this list: Close reason…").click()
        editing = page.get_by_role("dialog", name="Edit this list: Close reason")
        expect(editing.get_by_role("list", name="Close reason values").get_by_role("textbox")).to_have_count(
            len(before))
        editing.get_by_label("New value").fill("Lost to in-house build")
        editing.get_by_role("button", name="Add", exact=True).click()
        assert not axe(page), axe(page)
        editing.get_by_role("button", name="Save list").click()
        expect(editing).to_be_hidden()
        assert demo_api.get("/lists/close_reason")["values"] == [*before, "Lost to in-house build"]
    finally:
        demo_api.call("PUT", "/lists/close_reason", {"values": before})


def test_the_dashboard_shows_won_and_lost_by_reason_and_competitor(workspace, demo_api, axe):
    today = dt.date.today().isoformat()
    lost = _make(demo_api, "Reason board lost", competitors="Wide World Importers; Litware")
    won = _make(demo_api, "Reason board won", competitors="wide world importers")
    demo_api.post("/opportunities/bulk-close", {"ids": [lost["id"]], "outcome": "lost", "close_date": today,
                                                "close_reason": "Product fit"})
    demo_api.post("/opportunities/bulk-close", {"ids": [won["id"]], "outcome": "won", "close_date": today,
                                                "close_reason": "Product fit"})
    report = demo_api.get("/reports/close-reasons", **{"from": today, "to": today})
    fit = next(r for r in report["reasons"] if r["name"] == "Product fit")

    page = workspace.open("dashboard")
    section = page.get_by_role("region", name="Won and lost by reason")
    expect(section.get_by_role("img", name="Won and lost deals by close reason")).to_be_visible()
    by_reason = section.get_by_role("table", name="By close reason")
    row = by_reason.get_by_role("row", name="Product fit")
    expect(row).to_have_text(f"Product fit{fit['won_count']}${float(fit['won_total']):,.2f}"
                             f"{fit['lost_count']}${float(fit['lost_total']):,.2f}")
    by_competitor = section.get_by_role("table", name="By competitor")
    importers = by_competitor.get_by_role("row", name="Wide World Importers")
    expect(importers.get_by_role("cell")).to_have_text(["1", "$200.00", "1", "$200.00"])
    expect(by_competitor.get_by_role("row", name="wide world importers")).to_have_count(1)  # one, whatever the case
    assert not axe(page), axe(page)
    workspace.shot("1280-close-reasons-dashboard")

    # the period by keyboard: all time counts the demo's own closed deals too
    section.get_by_label("Closed in").focus()
    page.keyboard.press("End")
    expect(section.get_by_label("Closed in")).to_have_value("all")
    expect(section.get_by_role("table", name="By close reason").get_by_role("row", name="Relationship")).to_be_visible()
    expect(section.get_by_label("Closed in")).to_be_focused()


def test_close_reasons_in_french(french, demo_api, axe):  # noqa: F811 - the fixture imported above
    page = french.open("dashboard")
    section = page.get_by_role("region", name="Gagnées et perdues par motif")
    section.get_by_label("Fermées en").select_option("all")
    expect(section.get_by_role("table", name="Par motif de clôture")).to_be_visible()
    expect(section.get_by_role("table", name="Par concurrent")).to_be_visible()
    in_french(page, axe, allow=REASONS)
    french.screen("fr-close-reasons-dashboard", full_page=True)

    page = french.open("customise")
    expect(page.get_by_role("button", name="Modifier cette liste : Motif de clôture…")).to_be_visible()
    in_french(page, axe, allow=REASONS)
