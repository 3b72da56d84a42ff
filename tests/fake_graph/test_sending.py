"""Outbound mail: sendMail, draft + send, their validation, and how they show up in delta."""
from __future__ import annotations

from urllib.parse import quote

from .conftest import Client

TO_MEGAN = [{"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}}]


def folder_round(client: Client, folder: str, link: str | None = None) -> tuple[list[dict], str]:
    _, items, link = client.delta_round(link or f"/me/mailFolders/{folder}/messages/delta", page_size=100)
    return items, link


def test_send_mail_lands_in_sent_items(client):
    sent_before, link = folder_round(client, "sentitems")
    reply = client.post("/me/sendMail", {"message": {"subject": "Quote", "toRecipients": TO_MEGAN,
                                                     "body": {"contentType": "HTML", "content": "<p>Hi</p>"}},
                                         "saveToSentItems": True})
    assert reply.status == 202 and reply.raw == b""
    (sent,), link = folder_round(client, "sentitems", link)
    assert sent["subject"] == "Quote" and sent["isDraft"] is False
    assert sent["internetMessageId"].startswith("<") and sent["internetMessageId"].endswith(">")
    assert sent["from"]["emailAddress"]["address"] == "demo@contoso.com"
    assert sent["internetMessageId"] not in {m["internetMessageId"] for m in sent_before}


def test_send_mail_without_saving(client):
    _, link = folder_round(client, "sentitems")
    assert client.post("/me/sendMail", {"message": {"subject": "x", "toRecipients": TO_MEGAN},
                                        "saveToSentItems": False}).status == 202
    assert folder_round(client, "sentitems", link)[0] == []


def test_draft_then_send_keeps_the_immutable_id(client):
    _, drafts_link = folder_round(client, "drafts")
    _, sent_link = folder_round(client, "sentitems")
    draft = client.ok("POST", "/me/messages", {
        "subject": "Proposal for Fabrikam", "toRecipients": TO_MEGAN,
        "body": {"contentType": "HTML", "content": "<p>Attached</p>"},
        "internetMessageHeaders": [{"name": "x-dealpane-opportunity", "value": "42"}],
    }, expect=201)
    assert draft["isDraft"] is True and draft["internetMessageId"]
    assert draft["internetMessageHeaders"] == [{"name": "x-dealpane-opportunity", "value": "42"}]
    drafts_id = client.ok("GET", "/me/mailFolders/drafts")["id"]
    assert draft["parentFolderId"] == drafts_id

    assert client.post(f"/me/messages/{draft['id']}/send").status == 202
    sent = client.ok("GET", f"/me/messages/{draft['id']}?$select=internetMessageHeaders,isDraft,parentFolderId")
    assert sent["isDraft"] is False
    assert sent["parentFolderId"] == client.ok("GET", "/me/mailFolders/sentitems")["id"]
    assert "internetMessageHeaders" not in sent  # the copy in Sent Items has none (microsoft-graph-docs#2716)
    (in_sent,), _ = folder_round(client, "sentitems", sent_link)
    assert in_sent["id"] == draft["id"] and in_sent["internetMessageId"] == draft["internetMessageId"]
    drafts_changes, _ = folder_round(client, "drafts", drafts_link)
    assert drafts_changes == [{"@odata.type": "#microsoft.graph.message", "id": draft["id"],
                               "@removed": {"reason": "deleted"}}]
    again = client.post(f"/me/messages/{draft['id']}/send")
    assert again.status == 400


def test_validation(client):
    no_recipients = client.post("/me/sendMail", {"message": {"subject": "x"}})
    assert no_recipients.status == 400 and no_recipients.body["error"]["code"] == "ErrorInvalidRecipients"
    bad_header = client.post("/me/messages", {"subject": "x", "internetMessageHeaders": [
        {"name": "In-Reply-To", "value": "<a@b>"}]})
    assert bad_header.status == 400 and bad_header.body["error"]["code"] == "InvalidInternetMessageHeader"
    unknown = client.post("/me/sendMail", {"message": {"subject": "x", "toRecipients": TO_MEGAN, "priority": 1}})
    assert unknown.status == 400 and unknown.body["error"]["code"] == "RequestBodyRead"
    extra_param = client.post("/me/sendMail", {"message": {"toRecipients": TO_MEGAN}, "urgent": True})
    assert extra_param.status == 400
    not_json = client.call("POST", "/me/sendMail", raw_body=b"subject=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status == 400
    draft = client.ok("POST", "/me/messages", {"subject": "no one"}, expect=201)
    assert client.post(f"/me/messages/{draft['id']}/send").body["error"]["code"] == "ErrorInvalidRecipients"


# An add-in's custom properties as Office.js stores them (MS-OXCEXT 2.2.5): JSON in cecp-<add-in id>.
CECP = "String {00020329-0000-0000-C000-000000000046} Name cecp-0b0e6a5c-2f7e-4a43-9d3a-1c5f0e7d9a21"
EXPAND = quote(f"singleValueExtendedProperties($filter=id eq '{CECP}')")


def test_sent_copies_drop_internet_headers_and_keep_extended_properties(client):
    stamped = {"subject": "Stamped", "toRecipients": TO_MEGAN,
               "internetMessageHeaders": [{"name": "x-dealpane-opportunity", "value": "42"}],
               "singleValueExtendedProperties": [{"id": CECP, "value": '{"DealpaneOpportunity":"42"}'}]}
    draft = client.ok("POST", "/me/messages", stamped, expect=201)
    assert client.post(f"/me/messages/{draft['id']}/send").status == 202
    assert client.post("/me/sendMail", {"message": {**stamped, "subject": "Stamped too"}}).status == 202

    sent, _ = folder_round(client, "sentitems", f"/me/mailFolders/sentitems/messages/delta?$select=subject,"
                           f"internetMessageHeaders&$expand={EXPAND}")
    sent = [m for m in sent if m["subject"] in ("Stamped", "Stamped too")]
    assert len(sent) == 2
    for copy in sent:
        assert "internetMessageHeaders" not in copy
        assert copy["singleValueExtendedProperties"] == [{"id": CECP, "value": '{"DealpaneOpportunity":"42"}'}]
    one = client.ok("GET", f"/me/messages/{draft['id']}?$select=internetMessageHeaders&$expand={EXPAND}")
    assert "internetMessageHeaders" not in one and one["singleValueExtendedProperties"][0]["id"] == CECP
    # without the $expand, Graph does not return extended properties
    assert "singleValueExtendedProperties" not in client.ok("GET", f"/me/messages/{draft['id']}")
