"""An e-mail's attachments in a deal's history (issue 19): listed with name, type and size, inline images
counted apart, downloaded from the demo's fake Microsoft Graph through the API (a Blob, the API's auth
header) by mouse and keyboard; the gone-from-the-mailbox message; axe; French.

Its own app: the demo workspace served with graph_base_url on a fake Graph."""
from __future__ import annotations

import base64
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.i18n_scan import english_left
from tests.workspace_ui.conftest import WIDE, DemoApi, _session, app_on_fake_graph

DEAL = "Northwind – EMEA rollout"


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory):
    yield from app_on_fake_graph(tmp_path_factory, "attachments-db")


@pytest.fixture(scope="module")
def api(mail_app) -> DemoApi:
    return DemoApi(mail_app.base_url)


def graph_message(mail_app, subject_start: str) -> dict:
    return next(m for m in mail_app.fake_graph.mailbox.to_dict()["messages"]
                if (m.get("subject") or "").startswith(subject_start))


def linked(mail_app, api: DemoApi, subject_start: str) -> tuple[dict, dict, dict]:
    """A fresh deal with the demo mailbox's message linked to it (as the pane links it)."""
    account = api.named("accounts", "Northwind Traders")
    deal = api.post("/opportunities", {"title": f"{DEAL} – {subject_start[:12]}",
                                       "link": {"type": "account", "id": account["id"]}})
    message = graph_message(mail_app, subject_start)
    item = api.post(f"/opportunities/{deal['id']}/links", {"item_id": message["id"], "item_id_format": "immutable"})
    return deal, item, message


@pytest.fixture
def desk(browser, mail_app, shots_dir):
    session = _session(browser, mail_app.base_url, shots_dir, WIDE)
    yield session
    session.context.close()
    assert not session.errors, session.errors
    assert not session.csp, session.csp
    assert not session.outside, session.outside
    assert not session.dialogs, session.dialogs


def test_attachments_listed_and_downloaded_by_mouse_and_keyboard(desk, api, axe, mail_app):
    deal, _item, message = linked(mail_app, api, "RE: Fabrikam – licence quote")
    page = desk.open(f"opportunities/{deal['id']}")
    group = page.get_by_role("group", name="Attachments")
    expect(group).to_be_visible()
    pdf = group.get_by_role("button", name="Quote Q-2026-0050 – Fabrikam.pdf")
    expect(pdf).to_be_visible()
    expect(group).to_contain_text("PDF, 673 bytes")
    expect(group).to_contain_text("1 image in the message body")
    expect(group.get_by_role("button", name="image001.png")).to_have_count(0)  # inline: counted, not listed
    with page.expect_download() as info:
        pdf.click()
    download = info.value
    assert download.suggested_filename == "Quote Q-2026-0050 – Fabrikam.pdf"
    assert download.path().read_bytes() == base64.b64decode(message["attachments"][0]["contentBytes"])
    expect(page.get_by_text("Quote Q-2026-0050 – Fabrikam.pdf downloaded")).to_be_attached()
    pdf.focus()
    with page.expect_download() as again:
        page.keyboard.press("Enter")
    assert again.value.suggested_filename.endswith(".pdf")
    assert not axe(page), axe(page)
    desk.shot("19-attachments-1280")


def test_unknown_attachments_are_asked_for_then_a_gone_email_says_so(desk, api, axe, mail_app):
    deal, item, message = linked(mail_app, api, "BCM data migration")
    with sqlite3.connect(mail_app.database) as db:  # as the sync stores it: hasAttachments true, list not asked yet
        db.execute("UPDATE history_item SET attachments = NULL WHERE id = ?", (item["id"],))
    page = desk.open(f"opportunities/{deal['id']}")
    group = page.get_by_role("group", name="Attachments")
    group.get_by_role("button", name="Show attachments").focus()
    page.keyboard.press("Enter")
    expect(group.get_by_role("button", name="export-sample.csv")).to_be_focused()
    expect(group).to_contain_text("XLSX, 47.1 kB")
    mail_app.fake_graph.mailbox.delete_message(message["id"])
    group.get_by_role("button", name="export-sample.csv").click()
    expect(group.get_by_role("alert").or_(group.locator(".notice"))).to_contain_text("not in the mailbox any more")
    assert not axe(page), axe(page)


def test_in_french(browser, mail_app, shots_dir, api, axe):
    deal, _item, _message = linked(mail_app, api, "Signed order form")
    context = browser.new_context(viewport=WIDE, locale="fr-FR", timezone_id="Europe/Berlin", service_workers="block",
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    session = type(_session(browser, mail_app.base_url, shots_dir, WIDE))(context, context.new_page(), mail_app.base_url,
                                                                         shots_dir)
    try:
        page = session.open(f"opportunities/{deal['id']}")
        group = page.get_by_role("group", name="Pièces jointes")
        expect(group.get_by_role("button", name="Order form – Fabrikam (signed).pdf")).to_be_visible()
        expect(group).to_contain_text("PDF, 652 octets")
        data = (deal["title"], "Demo", "Dealpane", "Order form – Fabrikam (signed).pdf", "Northwind Traders",
                "Signed order form – Fabrikam 50 seats", "Closed Won", "Closed Lost")  # stage names are data
        assert not english_left(page, "fr", allow=data), english_left(page, "fr", allow=data)
        assert not axe(page), axe(page)
        assert not session.errors, session.errors
    finally:
        session.context.close()
