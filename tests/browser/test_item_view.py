"""The pane on a received e-mail: what it is linked to, who is on it, their open deals."""
from playwright.sync_api import expect

MEGAN = "megan.bowen@fabrikam.com"


def test_email_from_known_contact_shows_their_open_opportunity(pane, find_item):
    mail = find_item("Fabrikam – licence quote for 50 seats", MEGAN)
    page = pane.open(mail)

    expect(page.get_by_role("heading", level=1)).to_have_text(mail["subject"])
    expect(page.locator(".people")).to_contain_text("Megan Bowen")
    expect(page.locator(".people")).to_contain_text("Fabrikam, Inc.")
    open_section = page.get_by_role("region", name="Open opportunities")
    card = open_section.get_by_role("listitem").filter(has_text="Fabrikam – 50 seats")
    expect(card).to_contain_text("Proposal")
    expect(card).to_contain_text("60%")  # format.percent in en-US
    expect(card).to_contain_text("$")
    pane.shot("01-known-contact")


def test_item_changed_switches_the_item_and_copes_with_no_item(pane, find_item):
    first = find_item("Fabrikam – licence quote for 50 seats", MEGAN)
    second = find_item("Northwind Traders – EMEA rollout", "lee.gu@northwindtraders.com")
    page = pane.open(first)
    expect(page.get_by_role("heading", level=1)).to_have_text(first["subject"])
    assert page.evaluate("window.OfficeStandin.handlerCount()") == 1  # pinned pane: one ItemChanged handler

    pane.select(second)
    expect(page.get_by_role("heading", level=1)).to_have_text(second["subject"])
    expect(page.get_by_role("region", name="Open opportunities")).to_contain_text("Northwind – EMEA rollout")
    expect(page.locator(".people")).not_to_contain_text("Megan Bowen")
    pane.shot("02-item-changed")

    pane.select(None)
    expect(page.get_by_role("heading", level=1)).to_have_text("Select an e-mail or meeting")
    pane.shot("03-no-item")


def test_subject_with_markup_renders_as_text(pane, find_item):
    mail = find_item("Proposal <img", "procurement@wingtiptoys.com")
    page = pane.open(mail)

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Proposal <img src=x onerror=alert(1)> for Q1")
    assert page.locator("main img").count() == 0
    assert page.locator("img[src='x']").count() == 0
    page.get_by_role("button", name="New opportunity from this e-mail").click()
    expect(page.get_by_label("Title")).to_have_value("Proposal <img src=x onerror=alert(1)> for Q1")
    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert pane.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    pane.shot("04-markup-subject-as-text")


def test_meeting_shows_organizer_and_attendees_deals(pane, find_item):
    meeting = find_item("Tailspin – order form walkthrough", kind="events")
    page = pane.open(meeting)

    expect(page.get_by_text("Meeting", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(meeting["subject"])
    expect(page.get_by_role("region", name="Open opportunities")).to_contain_text("Tailspin – team licences")
    expect(page.get_by_role("button", name="New opportunity from this meeting")).to_be_visible()
    pane.shot("05-meeting")


def test_user_without_workspace_is_told_what_to_do(pane, find_item):
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), user="newcomer@contoso.com")

    expect(page.get_by_role("heading", level=1)).to_have_text("You have no workspace")
    expect(page.locator("main")).to_contain_text("newcomer@contoso.com")
    pane.shot("06-no-workspace")
    page.get_by_label("Workspace name").fill("Newcomer's team")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")


def test_several_workspaces_get_a_selector(pane, find_item, demo_api):
    user = "two.teams@contoso.com"
    demo_api.post("/api/v1/workspaces", {"name": "Team East"}, user=user)
    west = demo_api.post("/api/v1/workspaces", {"name": "Team West"}, user=user)
    demo_api.post(f"/api/v1/workspaces/{west['id']}/contacts",
                  {"display_name": "Megan (West)", "email_addresses": [MEGAN]}, user=user)
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), user=user)

    selector = page.get_by_label("Workspace")
    expect(selector).to_be_visible()
    expect(selector.locator("option")).to_have_text(["Team East", "Team West"])
    expect(page.locator("main")).to_contain_text("Nobody on this e-mail is a business contact yet.")
    selector.select_option(label="Team West")
    expect(page.locator(".people")).to_contain_text("Megan (West)")
    pane.shot("07-workspace-selector")
