"""Errors the user can act on: never a blank pane or a stack trace."""
import json

from playwright.sync_api import expect

MEGAN = "megan.bowen@fabrikam.com"


def _problem(status: int, type_: str = "about:blank", detail: str = "") -> dict:
    body = {"type": type_, "title": "Error", "status": status, "detail": detail, "errors": []}
    return {"status": status, "content_type": "application/problem+json", "body": json.dumps(body)}


def test_network_failure_offers_try_again(pane, find_item):
    page = pane.page
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Dealpane cannot reach its server.")
    pane.shot("30-network-failure")

    page.unroute("**/api/v1/**")
    alert.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")


def test_not_signed_in(pane, find_item):
    page = pane.page
    page.route("**/api/v1/me", lambda route: route.fulfill(**_problem(401, detail="A valid access token is required.")))
    pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    expect(page.get_by_role("alert")).to_contain_text("You are not signed in to Dealpane.")
    assert "Traceback" not in page.content()


def test_graph_unavailable_when_linking(pane, find_item, fake_graph):
    mail = find_item("RE: Adventure Works – support renewal 2027", "lidia.holloway@adventure-works.com")
    page = pane.open(mail)
    fake_graph.add_fault("translateExchangeIds", 503, times=8, retry_after=0)
    try:
        page.get_by_role("button", name="Link this e-mail to Adventure Works – pilot").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Microsoft Graph is unavailable, try again.")
        pane.shot("31-graph-unavailable")
    finally:
        fake_graph.clear_faults()
    alert.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("region", name="Linked to")).to_contain_text("Adventure Works – pilot")


def test_mailbox_needs_sign_in(pane, find_item):
    page = pane.page
    page.route("**/links", lambda route: route.fulfill(**_problem(
        409, "https://dealpane.dev/problems/mailbox-needs-sign-in",
        "Dealpane cannot reach your mailbox: sign in again from the Outlook pane.")))
    pane.open(find_item("Tailspin Toys – 25 team licences", "pradeep.gupta@tailspintoys.com"))
    page.get_by_role("button", name="Link this e-mail to Tailspin – team licences").click()
    expect(page.get_by_role("alert")).to_contain_text("Dealpane cannot reach your mailbox — sign in again.")
    pane.shot("32-mailbox-sign-in")
