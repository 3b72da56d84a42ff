"""From an opportunity in the workspace (issue 19): E-mail and Meeting request to its customer through the
demo's fake Microsoft Graph (the item in the deal's history at once), Create project and the deal's
projects with their tasks, the change log, the close reason of a closing stage; keyboard, axe, French.

This module has its own app: the demo workspace served with graph_base_url on a fake Graph (the shared
`live_app` has no Graph to send through)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.i18n_scan import english_left
from tests.workspace_ui.conftest import NARROW, TIMEOUT_MS, WIDE, DemoApi, WorkspaceSession, app_on_fake_graph

SCREENS = Path("/tmp/dealpane-screens")
ACCOUNT_DEAL = "Northwind – EMEA rollout"  # linked to the account Northwind Traders
CONTACT_DEAL = "Grady Archie – consulting seats"  # linked to the contact Grady Archie


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory):
    yield from app_on_fake_graph(tmp_path_factory, "actions-db")


@pytest.fixture(scope="module")
def api(mail_app) -> DemoApi:
    return DemoApi(mail_app.base_url)


def _opened(browser, mail_app, shots_dir, viewport, locale="en-US") -> WorkspaceSession:
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Europe/Berlin", service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    return WorkspaceSession(context, context.new_page(), mail_app.base_url, shots_dir)


@pytest.fixture
def desk(browser, mail_app, shots_dir):
    session = _opened(browser, mail_app, shots_dir, WIDE)
    yield session
    session.context.close()
    assert not session.errors, session.errors
    assert not session.csp, session.csp
    assert not session.outside, session.outside
    assert not session.dialogs, session.dialogs


def open_deal(session, api: DemoApi, title: str):
    deal = api.named("opportunities", title)
    page = session.open(f"opportunities/{deal['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page, deal


def screen(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"19-{name}.png"), full_page=True)


def account_addresses(api: DemoApi, account_id: str) -> list[str]:
    return [c["email_addresses"][0] for c in api.all("/contacts")
            if c["account_id"] == account_id and c["email_addresses"]]


def test_an_email_to_the_accounts_contacts_lands_in_the_history_at_once(desk, api, axe, mail_app):
    page, deal = open_deal(desk, api, ACCOUNT_DEAL)
    addresses = account_addresses(api, deal["link"]["id"])
    assert addresses, "the demo account has contacts with addresses"
    page.get_by_role("button", name="E-mail", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"E-mail about {ACCOUNT_DEAL}")
    to = dialog.get_by_role("list", name="To")
    for address in addresses:  # pre-filled with the account's contacts
        expect(to).to_contain_text(address)
    expect(dialog.get_by_label("Subject")).to_have_value(ACCOUNT_DEAL)
    assert not axe(page), axe(page)
    screen(page, "1280-email-dialog")

    dialog.get_by_role("button", name=f"Remove {addresses[0]}").click()
    expect(to).not_to_contain_text(addresses[0])
    dialog.get_by_label("Address to add to To").fill("buyer@northwindtraders.com")
    dialog.get_by_role("button", name="Add to To", exact=True).click()
    expect(to).to_contain_text("buyer@northwindtraders.com")
    dialog.get_by_label("Subject").fill("Our proposal for the EMEA rollout")
    dialog.get_by_label("Message").fill("Hello,\nplease find our proposal.")
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(dialog).to_be_hidden()

    expect(page.locator("#form-messages")).to_contain_text("E-mail “Our proposal for the EMEA rollout” sent")
    expect(page.locator(".history")).to_contain_text("Our proposal for the EMEA rollout")  # no reload
    stored = api.get(f"/opportunities/{deal['id']}/history")["items"]
    sent = next(i for i in stored if i["subject"] == "Our proposal for the EMEA rollout")
    assert sent["kind"] == "email"
    message = next(m for m in mail_app.fake_graph.mailbox.to_dict()["messages"]
                   if m.get("subject") == "Our proposal for the EMEA rollout")  # what Graph was asked to send
    sent_to = {r["emailAddress"]["address"] for r in message["toRecipients"]}
    assert sent_to == {*addresses[1:], "buyer@northwindtraders.com"}


def test_a_meeting_request_shows_the_apis_field_error_then_lands_in_the_history(desk, api):
    page, deal = open_deal(desk, api, CONTACT_DEAL)
    contact = api.get(f"/contacts/{deal['link']['id']}")
    page.get_by_role("button", name="Meeting request").click()
    dialog = page.get_by_role("dialog", name=f"Meeting request about {CONTACT_DEAL}")
    expect(dialog.get_by_role("list", name="Attendees")).to_contain_text(contact["email_addresses"][0])
    # No Outlook zone in the API for the user: the browser's (the context runs in Europe/Berlin).
    expect(dialog.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(dialog.get_by_text("Your browser’s time zone.")).to_be_visible()

    dialog.get_by_label("Start", exact=True).fill("2027-03-02T10:00")
    dialog.get_by_label("End", exact=True).fill("2027-03-02T09:00")  # before the start: the API refuses it (422)
    dialog.get_by_role("button", name="Send request").click()
    end_field = dialog.locator("[data-field='end']")
    expect(end_field.locator(".field-error")).to_have_text("must be after start")
    expect(dialog.get_by_label("End", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("[role=alert]")).to_be_visible()
    screen(page, "1280-meeting-422")

    dialog.get_by_label("End", exact=True).fill("2027-03-02T11:00")
    dialog.get_by_label("Location").fill("Teams")
    dialog.get_by_role("button", name="Send request").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".history")).to_contain_text(CONTACT_DEAL)
    items = api.get(f"/opportunities/{deal['id']}/history")["items"]
    meeting = next(i for i in items if i["kind"] == "appointment" and i["subject"] == CONTACT_DEAL)
    assert meeting["occurred_at"].startswith("2027-03-02T09:00")  # 10:00 in Berlin is 09:00 UTC


def test_create_project_by_keyboard_only_and_see_it_listed_with_its_tasks(desk, api, axe):
    template = api.post("/project-templates", {"name": "Onboarding", "tasks": [
        {"subject": "Kick-off call", "offset_days": 0}, {"subject": "Training", "offset_days": 7}]})
    page, deal = open_deal(desk, api, CONTACT_DEAL)
    expect(page.locator("#projects-card")).to_contain_text("No project yet.")
    button = page.get_by_role("button", name="Create project")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create project")
    name = dialog.get_by_label("Project name")
    expect(name).to_be_focused()
    expect(name).to_have_value(CONTACT_DEAL)  # the deal's title by default
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_label("Template")).to_be_focused()
    page.keyboard.press("ArrowDown")  # "No template" -> "Onboarding"
    expect(dialog.get_by_label("Template")).to_have_value(template["id"])
    page.keyboard.press("Tab")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Grady onboarding")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Start date")).to_be_focused()
    page.keyboard.press("Enter")  # submits the form
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()  # focus back where it was

    card = page.locator("#projects-card")
    expect(card.get_by_role("heading", name="Grady onboarding")).to_be_visible()
    table = card.get_by_role("table", name="Grady onboarding")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Kick-off call")
    expect(table).to_contain_text("Training")
    project = api.get(f"/opportunities/{deal['id']}")["projects"][0]
    stored = api.get(f"/projects/{project['id']}")
    assert stored["name"] == "Grady onboarding" and stored["template_id"] == template["id"]
    assert not axe(page), axe(page)

    # A task given an assignee shows the member's name, its due date formatted.
    tasks = [{**t, "assigned_to": None} for t in stored["tasks"]]
    members = api.get("/members")["items"]
    tasks[0]["assigned_to"] = members[0]["user_id"]
    tasks[0]["due_date"] = "2027-01-15"
    api.call("PATCH", f"/projects/{stored['id']}", {"tasks": [
        {k: t[k] for k in ("id", "subject", "assigned_to", "due_date", "done")} for t in tasks]})
    page.reload()
    desk.wait_ready()
    row = page.locator("#projects-card tbody tr", has_text=tasks[0]["subject"])
    expect(row).to_contain_text(members[0]["display_name"])
    expect(row).to_contain_text("Jan 15, 2027")
    screen(page, "1280-projects-and-changes")


def test_the_change_log_shows_a_stage_change_and_the_close_reason_is_asked_on_closing(desk, api):
    page, deal = open_deal(desk, api, "Tailspin – workshop")  # Prospecting
    stage = page.get_by_label("Sales stage", exact=True)
    stage.select_option(label="Qualification")
    reason = page.get_by_label("Close reason", exact=True)
    expect(reason).to_be_hidden()  # an open stage asks for no reason
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#form-messages")).to_contain_text("Saved")

    changes = page.locator("#changes-card")
    row = changes.locator("tbody tr", has_text="Sales stage")
    expect(row).to_contain_text("Prospecting → Qualification")
    expect(row).to_contain_text("Diego Siciliani")

    stage.select_option(label="Closed Lost")
    expect(reason).to_be_visible()
    reasons = api.get("/lists/close_reason")["values"]
    expect(reason.locator("option")).to_have_count(len(reasons) + 1)
    reason.select_option(label=reasons[0])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".badge")).to_have_text("Closed Lost")
    stored = api.get(f"/opportunities/{deal['id']}")
    assert stored["status"] == "lost"
    assert stored.get("close_reason") == reasons[0]
    expect(page.get_by_label("Close reason", exact=True)).to_have_value(reasons[0])
    expect(page.locator("#changes-card tbody tr", has_text="Sales stage").first).to_contain_text("Qualification → Closed Lost")
    screen(page, "1280-change-log-closed-lost")


def test_at_800_px(browser, mail_app, shots_dir, api, axe):
    session = _opened(browser, mail_app, shots_dir, NARROW)
    try:
        page, _ = open_deal(session, api, ACCOUNT_DEAL)
        expect(page.locator("#changes-card")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        screen(page, "800-opportunity")
        page.get_by_role("button", name="Meeting request").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        assert not axe(page), axe(page)
        screen(page, "800-meeting-dialog")
        assert not session.errors, session.errors
    finally:
        session.context.close()


def test_in_french(browser, mail_app, shots_dir, api, axe):
    session = _opened(browser, mail_app, shots_dir, WIDE, locale="fr-FR")
    try:
        page, _ = open_deal(session, api, ACCOUNT_DEAL)
        expect(page.get_by_role("heading", name="Journal des modifications")).to_be_visible()
        expect(page.get_by_role("heading", name="Projets")).to_be_visible()
        data = (ACCOUNT_DEAL, "Demo", "Dealpane", "Closed Won", "Closed Lost")
        assert not english_left(page, "fr", allow=data), english_left(page, "fr", allow=data)
        page.get_by_role("button", name="Courrier", exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Courrier au sujet de {ACCOUNT_DEAL}")
        expect(dialog.get_by_label("Objet")).to_have_value(ACCOUNT_DEAL)
        assert not english_left(page, "fr", allow=data), english_left(page, "fr", allow=data)
        assert not axe(page), axe(page)
        screen(page, "1280-fr-email-dialog")
        dialog.get_by_role("button", name="Annuler").click()
        expect(dialog).to_be_hidden()
        assert not session.errors, session.errors
    finally:
        session.context.close()


def test_the_french_change_words(browser, mail_app, shots_dir, api):
    """Money and dates in the change log follow the page's language (shared/format.js)."""
    deal = api.named("opportunities", ACCOUNT_DEAL)
    api.call("PATCH", f"/opportunities/{deal['id']}", {"close_date": "2027-06-30"})
    session = _opened(browser, mail_app, shots_dir, WIDE, locale="fr-FR")
    try:
        page = session.open(f"opportunities/{deal['id']}")
        row = page.locator("#changes-card tbody tr", has_text="Date de clôture")
        expect(row).to_contain_text(re.compile(r"30 juin 2027"))
    finally:
        session.context.close()
