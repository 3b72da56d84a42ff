"""Linking mail from Outlook and sending to the customer, through Graph (the fake, over loopback)."""
import pytest

from addin.app import create_app

from graph_sync.stamp import opportunity_stamp

from .conftest import OWNER, Api

ADDIN_ID = "0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21"


@pytest.fixture
def mail_api(config, engine, fake):
    app = create_app(config.with_(graph_auth="dev", graph_base_url=fake.url, addin_id=ADDIN_ID), engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    api = Api(app.test_client(), OWNER)
    api.ws = api.ok(api.post("/api/v1/workspaces", {"name": "Sales"}), 201)["id"]
    yield api
    app.extensions["dealpane"].graph.close()


def a_message(fake, subject_part=""):
    return next(m for m in fake.mailbox.to_dict()["messages"] if subject_part in (m.get("subject") or ""))


def ews_id(fake, immutable_id):
    from graph_sync.msgraph_adapter import MsGraphClient  # noqa: PLC0415

    client = MsGraphClient(fake.url, lambda force=False: "t")
    try:
        return client.translate_ids([immutable_id], "restImmutableEntryId", "ewsId")[immutable_id]
    finally:
        client.close()


def test_linking_an_email_by_its_ews_id_stores_it_once(mail_api, fake):
    message = a_message(fake)
    deal = mail_api.make_opportunity()
    body = {"item_id": ews_id(fake, message["id"]), "item_id_format": "ews", "item_type": "message"}
    first = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/links", body), 201)
    assert first["kind"] == "email" and first["graph"]["id"] == message["id"]
    assert first["graph"]["internet_message_id"] == message["internetMessageId"]
    again = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/links", body), 200)
    assert again["id"] == first["id"]
    history = mail_api.ok(mail_api.get(f"/opportunities/{deal['id']}/history"))["items"]
    assert [h["id"] for h in history] == [first["id"]]
    translate = [r for r in fake.requests() if r["path"].endswith("translateExchangeIds")]
    assert any(r["body"]["sourceIdType"] == "ewsId" for r in translate)
    context = mail_api.ok(mail_api.get(f"/context?internet_message_id={message['internetMessageId']}"))
    assert [o["id"] for o in context["linked_opportunities"]] == [deal["id"]]


def test_linking_an_item_that_is_not_in_the_mailbox_is_422(mail_api):
    deal = mail_api.make_opportunity()
    response = mail_api.post(f"/opportunities/{deal['id']}/links",
                             {"item_id": "AAMkAGnothere", "item_id_format": "immutable"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "item_id"


def test_meeting_request_goes_to_the_linked_contact_once_even_if_retried(mail_api, fake):
    contact = mail_api.make_contact(email_addresses=["megan.bowen@fabrikam.com"], display_name="Megan Bowen")
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    body = {"subject": "Pricing", "start": "2026-12-03T10:00", "end": "2026-12-03T10:30",
            "time_zone": "W. Europe Standard Time", "location": "Teams"}
    first = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/meeting-request", body), 201)
    again = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/meeting-request", body), 200)
    assert first["id"] == again["id"] and first["kind"] == "appointment"
    posts = [r for r in fake.requests() if r["method"] == "POST" and r["path"].endswith("/me/events")]
    assert len(posts) == 2 and posts[0]["body"]["transactionId"] == posts[1]["body"]["transactionId"]
    assert posts[0]["body"]["attendees"][0]["emailAddress"]["address"] == "megan.bowen@fabrikam.com"
    assert len([e for e in fake.mailbox.to_dict()["events"] if e.get("subject") == "Pricing"]) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"end": "2026-12-03T09:00"}, "end"),
])
def test_meeting_request_bad_input_is_422(mail_api, change, field):
    contact = mail_api.make_contact()
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    body = {"subject": "X", "start": "2026-12-03T10:00", "end": "2026-12-03T10:30", "time_zone": "UTC", **change}
    response = mail_api.post(f"/opportunities/{deal['id']}/meeting-request", body)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == field


def test_an_account_opportunity_needs_recipients(mail_api):
    deal = mail_api.make_opportunity()
    response = mail_api.post(f"/opportunities/{deal['id']}/email", {"subject": "Hi", "body_html": "x"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "to"


def test_email_is_sent_once_stamped_and_recorded(mail_api, fake):
    contact = mail_api.make_contact(email_addresses=["lee.gu@northwindtraders.com"])
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    item = mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/email",
                                     {"subject": "Quote", "body_html": "<p>Attached</p>"}), 201)
    assert item["kind"] == "email" and item["graph"]["internet_message_id"]
    draft_posts = [r for r in fake.requests() if r["method"] == "POST" and r["path"].endswith("/me/messages")]
    # stamped with the add-in's custom property, which the copy in Sent Items keeps; no header to the customer
    assert "internetMessageHeaders" not in draft_posts[0]["body"]
    sent = [m for m in fake.mailbox.to_dict()["messages"] if m.get("internetMessageId") ==
            item["graph"]["internet_message_id"]]
    assert len(sent) == 1 and opportunity_stamp(sent[0]) == deal["id"]


def test_a_failed_send_keeps_the_draft_and_sends_nothing(mail_api, fake):
    contact = mail_api.make_contact(email_addresses=["lee.gu@northwindtraders.com"])
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    fake.add_fault(match="/send", status=503, times=1, retry_after=1)
    response = mail_api.post(f"/opportunities/{deal['id']}/email", {"subject": "Quote 2", "body_html": "x"})
    assert response.status_code == 502 and "Drafts" in response.get_json()["detail"]
    sends = [r for r in fake.requests() if r["path"].endswith("/send")]
    assert len(sends) == 1  # never retried automatically
    assert mail_api.ok(mail_api.get(f"/opportunities/{deal['id']}/history"))["items"] == []


def test_closed_opportunities_send_nothing(mail_api, fake):
    contact = mail_api.make_contact()
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    mail_api.ok(mail_api.post("/opportunities/bulk-close", {"ids": [deal["id"]], "outcome": "won"}))
    response = mail_api.post(f"/opportunities/{deal['id']}/email", {"subject": "Hi", "body_html": "x"})
    assert response.status_code == 409
    assert not [r for r in fake.requests() if r["method"] == "POST"]


def test_graph_throttling_on_a_send_is_503_with_retry_after(mail_api, fake):
    contact = mail_api.make_contact()
    deal = mail_api.make_opportunity(link={"type": "contact", "id": contact["id"]})
    fake.add_fault(match="/me/events", status=429, times=1, retry_after=7)
    body = {"subject": "X", "start": "2026-12-03T10:00", "end": "2026-12-03T10:30", "time_zone": "UTC"}
    response = mail_api.post(f"/opportunities/{deal['id']}/meeting-request", body)
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"



def test_a_linked_meeting_is_found_by_the_id_outlook_gives_the_pane(mail_api, fake):
    event = fake.mailbox.to_dict()["events"][0]
    deal = mail_api.make_opportunity()
    item_id = ews_id(fake, event["id"])
    mail_api.ok(mail_api.post(f"/opportunities/{deal['id']}/links",
                              {"item_id": item_id, "item_id_format": "ews", "item_type": "event"}), 201)
    context = mail_api.ok(mail_api.get("/context", query_string={"item_id": item_id, "item_id_format": "ews"}))
    assert [o["id"] for o in context["linked_opportunities"]] == [deal["id"]]
