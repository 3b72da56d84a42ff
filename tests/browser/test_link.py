"""Linking the open e-mail to an opportunity (search, pick, POST …/links), by mouse and by keyboard;
and filing an e-mail or meeting being written (compose mode) under an opportunity."""
from playwright.sync_api import expect

from graph_sync.stamp import opportunity_stamp, property_id

MEGAN = "megan.bowen@fabrikam.com"
ISAIAH = "isaiah.langer@fabrikam.com"


def test_link_to_opportunity_shows_as_linked_after_reload(pane, find_item, demo_api, fake_graph):
    mail = find_item("Signed order form – Fabrikam 50 seats", MEGAN)
    page = pane.open(mail)
    page.get_by_role("button", name="Link to opportunity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to opportunity")
    page.get_by_label("Search opportunities").fill("fabrikam")
    results = page.get_by_role("list", name="Matching opportunities")
    expect(results).to_contain_text("Fabrikam – BCM migration")
    pane.shot("10-link-search")

    results.get_by_role("button").filter(has_text="Fabrikam – 50 seats").click()
    linked = page.get_by_role("region", name="Linked to")
    expect(linked).to_contain_text("Fabrikam – 50 seats")
    expect(linked.locator(".badge")).to_have_text("Linked")

    page.reload()
    pane.wait_ready()
    expect(page.get_by_role("region", name="Linked to")).to_contain_text("Fabrikam – 50 seats")
    pane.shot("11-linked-after-reload")

    deal = demo_api.opportunity_named("Fabrikam – 50 seats")
    history = demo_api.get(f"/opportunities/{deal['id']}/history")["items"]
    assert any(h["kind"] == "email" and h["graph"]["internet_message_id"] == mail["internetMessageId"] for h in history)
    translated = [r for r in fake_graph.requests() if r["path"].endswith("/translateExchangeIds")]
    assert any(mail["itemId"] in (r["body"] or {}).get("inputIds", []) for r in translated)  # the EWS id went to Graph


def _tab_to(page, predicate_js: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return Boolean(el && ({predicate_js})); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate_js}")


def test_keyboard_only_link_flow(pane, find_item):
    mail = find_item("RE: Fabrikam – licence quote for 50 seats", ISAIAH)
    page = pane.open(mail)

    _tab_to(page, "el.textContent.trim() === 'Link to opportunity'")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused button shows no focus ring"
    pane.shot("12-keyboard-focus")
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Link to opportunity")
    expect(heading).to_be_focused()

    _tab_to(page, "el.type === 'search'")
    page.keyboard.type("bcm")
    expect(page.get_by_role("list", name="Matching opportunities")).to_contain_text("Fabrikam – BCM migration")
    _tab_to(page, "el.classList.contains('result') && el.textContent.includes('Fabrikam – BCM migration')")
    page.keyboard.press("Enter")

    expect(page.get_by_role("region", name="Linked to")).to_contain_text("Fabrikam – BCM migration")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    pane.shot("13-keyboard-linked")


def test_compose_mail_is_stamped_with_a_custom_property_the_sync_reads(pane, demo_api):
    draft = {"itemType": "message", "mode": "compose", "subject": "Follow-up on the 50 seats",
             "to": [{"displayName": "Megan Bowen", "emailAddress": MEGAN}], "cc": []}
    page = pane.open(draft)
    expect(page.get_by_role("heading", level=1)).to_have_text("File this e-mail under an opportunity")
    page.get_by_role("list", name="Matching opportunities").get_by_role("button").filter(
        has_text="Fabrikam – 50 seats").click()

    expect(page.locator("main")).to_contain_text("This e-mail will be filed under Fabrikam – 50 seats when sent.")
    stamps = page.evaluate("window.OfficeStandin.stamps()")
    deal = demo_api.opportunity_named("Fabrikam – 50 seats")
    # The custom property, kept on the copy in Sent Items; no header (Sent Items copies have none, and
    # the customer would get it).
    assert stamps["customProperties"] == {"DealpaneOpportunity": deal["id"]}
    assert stamps["internetHeaders"] == {}
    # The JSON office.js writes to cecp-<add-in id> is what the sync reads back through Graph.
    sent_copy = {"singleValueExtendedProperties": [
        {"id": property_id("0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21"), "value": stamps["cecp"]}]}
    assert opportunity_stamp(sent_copy) == deal["id"]
    pane.shot("14-compose-stamped")


def test_compose_meeting_is_stamped_with_a_custom_property(pane, demo_api):
    draft = {"itemType": "appointment", "mode": "compose", "subject": "Pricing follow-up",
             "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T09:30:00Z",
             "requiredAttendees": [{"displayName": "Lee Gu", "emailAddress": "lee.gu@northwindtraders.com"}]}
    page = pane.open(draft)
    expect(page.get_by_role("heading", level=1)).to_have_text("File this meeting under an opportunity")
    page.get_by_label("Search opportunities").fill("northwind")
    page.get_by_role("list", name="Matching opportunities").get_by_role("button").filter(
        has_text="Northwind – reports").click()

    expect(page.locator("main")).to_contain_text("This meeting will be filed under Northwind – reports when sent.")
    stamps = page.evaluate("window.OfficeStandin.stamps()")
    deal = demo_api.opportunity_named("Northwind – reports")
    assert stamps["customProperties"] == {"DealpaneOpportunity": deal["id"]}
    assert stamps["internetHeaders"] == {}


def test_linking_a_meeting_shows_it_as_linked(pane, find_item, demo_api):
    meeting = find_item("Litware – Workshop zur Markteinführung", kind="events")
    page = pane.open(meeting)
    page.get_by_role("button", name="Link this meeting to Litware – Germany launch").click()
    expect(page.get_by_role("region", name="Linked to")).to_contain_text("Litware – Germany launch")
    deal = demo_api.opportunity_named("Litware – Germany launch")
    history = demo_api.get(f"/opportunities/{deal['id']}/history")["items"]
    assert any(h["kind"] == "appointment" and h["subject"] == meeting["subject"] for h in history)
    pane.shot("15-meeting-linked")
