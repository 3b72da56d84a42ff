"""Working on an opportunity from the pane: create one from an e-mail, quick edit of stage and
probability (closing asks first), notes and phone logs, a meeting request through Graph."""
from playwright.sync_api import expect

LEE = "lee.gu@northwindtraders.com"


def _open_deal(page, title: str) -> None:
    page.get_by_role("button", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_new_opportunity_from_email_of_a_new_sender(pane, find_item, demo_api):
    mail = find_item("Proposal <img", "procurement@wingtiptoys.com")
    page = pane.open(mail)
    expect(page.locator(".people")).to_have_count(0)  # nobody on it is a contact yet
    page.get_by_role("button", name="New opportunity from this e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New opportunity")
    expect(page.locator("main")).to_contain_text("A new business contact is created for Wingtip Toys Procurement")
    pane.shot("20-new-opportunity-form")
    page.get_by_role("button", name="Create opportunity").click()

    title = "Proposal <img src=x onerror=alert(1)> for Q1"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".facts-wide")).to_contain_text("Wingtip Toys Procurement")
    expect(page.get_by_role("region", name="Recent history")).to_contain_text(mail["subject"])
    pane.shot("21-new-opportunity-created")

    created = demo_api.opportunity_named(title)
    assert created["link"]["type"] == "contact"
    contact = demo_api.get(f"/contacts/{created['link']['id']}")
    assert contact["email_addresses"] == ["procurement@wingtiptoys.com"]
    default_stage = next(s for s in demo_api.get("/sales-stages")["items"] if s["is_default"])
    assert created["stage_id"] == default_stage["id"]
    assert pane.dialogs == []


def test_new_opportunity_uses_the_matched_contact(pane, find_item, demo_api):
    mail = find_item("Quick question about the three consulting seats", "grady.archie@outlook.com")
    page = pane.open(mail)
    page.get_by_role("button", name="New opportunity from this e-mail").click()
    expect(page.locator("main")).to_contain_text("Linked to the business contact Grady Archie.")
    page.get_by_label("Title").fill("Grady Archie – extra seats")
    page.get_by_role("button", name="Create opportunity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grady Archie – extra seats")
    created = demo_api.opportunity_named("Grady Archie – extra seats")
    grady = [c for c in demo_api.get("/contacts", q="grady")["items"]]
    assert len(grady) == 1 and created["link"] == {"type": "contact", "id": grady[0]["id"], "name": "Grady Archie"}


def test_change_stage_and_probability(pane, find_item, demo_api):
    page = pane.open(find_item("Northwind Traders – EMEA rollout", LEE))
    _open_deal(page, "Northwind – EMEA rollout")
    page.get_by_label("Sales stage").select_option(label="Proposal")
    page.get_by_label("Probability (%)").fill("55")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("region", name="Quick edit")).to_contain_text("Saved: Proposal, 55%.")
    facts = page.locator(".facts-wide")
    expect(facts).to_contain_text("Proposal")
    expect(facts).to_contain_text("55%")
    pane.shot("22-stage-changed")
    stored = demo_api.opportunity_named("Northwind – EMEA rollout")
    assert (stored["stage_name"], stored["probability"]) == ("Proposal", 55)


def test_closing_as_won_asks_to_confirm_first(pane, find_item, demo_api):
    page = pane.open(find_item("Northwind Traders – EMEA rollout", LEE))
    _open_deal(page, "Northwind – reports")
    page.get_by_label("Sales stage").select_option(label="Closed Won")
    page.get_by_role("button", name="Save changes").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Close “Northwind – reports” as won?")
    expect(page.get_by_role("button", name="Close as won")).to_be_focused()
    pane.shot("23-close-confirm")

    confirm.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    assert demo_api.opportunity_named("Northwind – reports")["status"] == "open"

    page.get_by_label("Sales stage").select_option(label="Closed Won")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("button", name="Close as won").click()
    expect(page.locator("main")).to_contain_text("Closed won: this opportunity is read-only.")
    expect(page.locator(".facts-wide")).to_contain_text("100%")
    pane.shot("24-closed-won")
    stored = demo_api.opportunity_named("Northwind – reports")
    assert (stored["status"], stored["probability"], stored["read_only"]) == ("won", 100, True)


def test_add_note_and_phone_log(pane, find_item):
    page = pane.open(find_item("Adventure Works – support renewal 2027", "lidia.holloway@adventure-works.com"))
    _open_deal(page, "Adventure Works – support renewal")
    form = page.get_by_role("region", name="Add a note or phone log")
    form.get_by_label("Subject").fill("Budget approved for 2027")
    form.get_by_label("Details").fill("Lidia confirmed the budget <b>today</b>.")
    form.get_by_role("button", name="Add to history").click()
    history = page.get_by_role("region", name="Recent history")
    expect(history.locator(".history-item").first).to_contain_text("Budget approved for 2027")
    expect(history.locator(".history-item").first).to_contain_text("Note")
    expect(form).to_contain_text("Note added.")

    form.get_by_label("Phone log").check()
    form.get_by_label("Subject").fill("Called Lidia about the renewal date")
    form.get_by_role("button", name="Add to history").click()
    expect(history.locator(".history-item").first).to_contain_text("Called Lidia about the renewal date")
    expect(history.locator(".history-item").first).to_contain_text("Phone log")
    expect(history.locator("b")).to_have_count(0)
    pane.shot("25-note-added")


def test_send_meeting_request(pane, find_item, fake_graph):
    page = pane.open(find_item("Quick question about the three consulting seats", "grady.archie@outlook.com"))
    _open_deal(page, "Grady Archie – consulting seats")
    toggle = page.get_by_role("button", name="Send meeting request…")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    form = page.get_by_role("region", name="Meeting request")
    form.get_by_label("Subject").fill("Consulting seats – walkthrough")
    form.get_by_label("Start").fill("2026-12-15T14:00")
    form.get_by_label("Duration").select_option(label="1 hour")
    expect(form.get_by_label("Time zone")).to_have_value("Europe/Berlin")  # the browser's zone by default
    pane.shot("26-meeting-form")
    form.get_by_role("button", name="Send request").click()

    expect(form).to_contain_text("Meeting request sent.")
    expect(page.get_by_role("region", name="Recent history")).to_contain_text("Consulting seats – walkthrough")
    pane.shot("27-meeting-sent")
    posts = [r for r in fake_graph.requests() if r["method"] == "POST" and r["path"].endswith("/me/events")]
    assert posts, "no POST /me/events reached Graph"
    event = posts[-1]["body"]
    assert event["subject"] == "Consulting seats – walkthrough"
    assert event["start"]["dateTime"].startswith("2026-12-15T14:00")
    assert event["end"]["dateTime"].startswith("2026-12-15T15:00")
    assert [a["emailAddress"]["address"] for a in event["attendees"]] == ["grady.archie@outlook.com"]
