"""An e-mail's attachments in the history: listed and downloaded from Graph (the fake, over loopback)."""
import base64
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from addin.app import create_app
from storage.models import HistoryItem

from .conftest import OUTSIDER, OWNER, Api, assert_problem


@pytest.fixture
def mail_api(config, engine, fake):
    app = create_app(config.with_(graph_auth="dev", graph_base_url=fake.url), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    api = Api(app.test_client(), OWNER)
    api.ws = api.ok(api.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    yield api
    app.extensions["dealpane"].graph.close()


def message(fake, subject_start):
    return next(m for m in fake.mailbox.to_dict()["messages"] if (m.get("subject") or "").startswith(subject_start))


def link(api, fake, subject_start):
    deal = api.make_opportunity()
    graph = message(fake, subject_start)
    item = api.ok(api.post(f"/opportunities/{deal['id']}/links",
                           {"item_id": graph["id"], "item_id_format": "immutable", "item_type": "message"}), 201)
    return deal, item, graph


def test_a_linked_email_lists_its_attachments_and_each_downloads(mail_api, fake):
    deal, item, graph = link(mail_api, fake, "RE: Fabrikam – licence quote")
    names = [(a["name"], a["content_type"], a["is_inline"]) for a in item["attachments"]]
    assert names == [("Quote Q-2026-0050 – Fabrikam.pdf", "application/pdf", False), ("image001.png", "image/png", True)]
    assert set(item["attachments"][0]) == {"id", "name", "size", "content_type", "is_inline"}
    history = mail_api.ok(mail_api.get(f"/opportunities/{deal['id']}/history"))["items"]
    assert history[0]["attachments"] == item["attachments"]
    pdf = item["attachments"][0]
    response = mail_api.get(f"/history/{item['id']}/attachments/{pdf['id']}")
    assert response.status_code == 200
    assert response.data == base64.b64decode(graph["attachments"][0]["contentBytes"])
    assert response.data.startswith(b"%PDF-")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Quote Q-2026-0050 _ Fabrikam.pdf\"; filename*=UTF-8''"
        + quote("Quote Q-2026-0050 – Fabrikam.pdf", safe=""))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_an_email_without_attachments_says_none_and_other_kinds_say_null(mail_api, fake):
    deal, item, _graph = link(mail_api, fake, "Coffee next week?")
    assert item["attachments"] == []
    note = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/history", {"kind": "note", "subject": "n"}), 201)
    assert note["attachments"] is None


def test_an_inline_image_only_email_has_no_attachments_per_graph(mail_api, fake):
    _deal, item, graph = link(mail_api, fake, "Your Relecloud invoice")
    assert graph["hasAttachments"] is False and graph["attachments"][0]["isInline"] is True
    assert item["attachments"] == []  # hasAttachments false: Graph says nothing to show


def test_unknown_attachments_are_asked_of_graph_once_then_kept(mail_api, fake, session_factory):
    _deal, item, graph = link(mail_api, fake, "Signed order form")
    with session_factory() as s:  # as stored by the sync: hasAttachments true, the list not yet asked
        s.execute(sa.update(HistoryItem).where(HistoryItem.id == item["id"]).values(attachments=None))
        s.commit()
    fake.clear_requests()
    first = mail_api.ok(mail_api.get(f"/history/{item['id']}/attachments"))["items"]
    assert [a["name"] for a in first] == ["Order form – Fabrikam (signed).pdf"]
    again = mail_api.ok(mail_api.get(f"/history/{item['id']}/attachments"))["items"]
    assert again == first
    listed = [r for r in fake.requests() if r["path"].endswith("/attachments")]
    assert len(listed) == 1 and "contentBytes" not in listed[0]["query"].get("$select", "contentBytes")
    with session_factory() as s:
        kept = s.get(HistoryItem, item["id"]).attachments
    assert kept[0]["name"] == first[0]["name"] and "contentBytes" not in kept[0]


def test_a_reference_attachment_is_422_and_a_csv_downloads(mail_api, fake):
    _deal, item, _graph = link(mail_api, fake, "BCM data migration")
    by_name = {a["name"]: a for a in item["attachments"]}
    reference = by_name["BCM full export.xlsx"]
    assert_problem(mail_api.get(f"/history/{item['id']}/attachments/{reference['id']}"), 422, "attachment_id")
    csv = mail_api.get(f"/history/{item['id']}/attachments/{by_name['export-sample.csv']['id']}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and b"Megan Bowen" in csv.data


def test_html_is_never_served_as_html(mail_api, fake):
    graph = fake.mailbox.add_message({"subject": "Page", "hasAttachments": True, "attachments": [
        {"@odata.type": "#microsoft.graph.fileAttachment", "name": "page.html", "contentType": "text/html",
         "contentBytes": base64.b64encode(b"<script>alert(1)</script>").decode()}]})
    deal = mail_api.make_opportunity()
    item = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/links",
                                     {"item_id": graph["id"], "item_id_format": "immutable"}), 201)
    response = mail_api.get(f"/history/{item['id']}/attachments/{item['attachments'][0]['id']}")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_an_email_gone_from_the_mailbox_is_404_in_the_readers_language(mail_api, fake):
    _deal, item, graph = link(mail_api, fake, "RE: Fabrikam – licence quote")
    fake.mailbox.delete_message(graph["id"])
    response = mail_api.get(f"/history/{item['id']}/attachments/{item['attachments'][0]['id']}")
    assert "not in the mailbox any more" in assert_problem(response, 404)["detail"]
    french = mail_api.get(f"/history/{item['id']}/attachments/{item['attachments'][0]['id']}",
                          headers={"Accept-Language": "fr-FR"})
    detail = assert_problem(french, 404)["detail"]
    assert "boîte aux lettres" in detail and french.headers["Content-Language"] == "fr"


def test_an_unknown_attachment_is_404(mail_api, fake):
    _deal, item, _graph = link(mail_api, fake, "Signed order form")
    assert "No such attachment" in assert_problem(
        mail_api.get(f"/history/{item['id']}/attachments/AAMkAGnothere"), 404)["detail"]
    assert_problem(mail_api.get(f"/history/{item['id']}/attachments/bad%20id"), 422)


def test_another_workspace_sees_nothing(mail_api, fake):
    _deal, item, _graph = link(mail_api, fake, "RE: Fabrikam – licence quote")
    outsider = Api(mail_api.client, OUTSIDER)
    outsider.ws = outsider.ok(outsider.post("/api/v1/workspaces", {"name": "Elsewhere"}), 201)["id"]
    assert_problem(outsider.get(f"/history/{item['id']}/attachments"), 404)
    assert_problem(outsider.get(f"/history/{item['id']}/attachments/{item['attachments'][0]['id']}"), 404)
    # and the outsider cannot reach the owner's workspace at all
    assert_problem(outsider.get(f"/api/v1/workspaces/{mail_api.ws}/history/{item['id']}/attachments"), 404)


def test_a_note_has_no_attachments_to_open(mail_api):
    deal = mail_api.make_opportunity()
    note = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/history", {"kind": "note", "subject": "n"}), 201)
    assert_problem(mail_api.get(f"/history/{note['id']}/attachments"), 404)


def test_a_missing_mail_permission_is_403(mail_api, fake):
    _deal, item, _graph = link(mail_api, fake, "Signed order form")
    fake.add_fault(match="/attachments/", status=403, times=4)
    response = mail_api.get(f"/history/{item['id']}/attachments/{item['attachments'][0]['id']}")
    body = response.get_json()
    assert response.status_code == 403 and body["permission"] == "Mail.Read", body
    assert "read attachments" in body["detail"] and "attachment-get" in body["detail"]
