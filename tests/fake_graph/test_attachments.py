"""Message attachments as the fake serves them, against Graph's pages and its v1.0 CSDL:
https://learn.microsoft.com/graph/api/message-list-attachments, https://learn.microsoft.com/graph/api/attachment-get."""
from __future__ import annotations

import base64

from .conftest import Client, message
from .test_csdl import check_all, model  # noqa: F401 - `model` is a fixture
from .test_token_authority import app, as_user, assert_denied, entra, fake, owner  # noqa: F401 - fixtures

PDF = base64.b64encode(b"%PDF-1.4 a quote").decode()
LOGO = base64.b64encode(b"\x89PNG logo").decode()


def with_attachments(start_fake, attachments: list[dict], **extra) -> tuple[Client, dict]:
    fake = start_fake()
    added = fake.mailbox.add_message(message("Quote", attachments=attachments, **extra))
    return Client(fake.url), added


FILE = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "Quote.pdf", "contentType": "application/pdf",
        "contentBytes": PDF}
INLINE = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "logo.png", "contentType": "image/png",
          "isInline": True, "contentId": "logo@x", "contentBytes": LOGO}
REFERENCE = {"@odata.type": "#microsoft.graph.referenceAttachment", "name": "Plan.xlsx", "size": 48213,
             "contentType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
ITEM = {"@odata.type": "#microsoft.graph.itemAttachment", "name": "Fwd: the order", "contentType": None}


def test_the_list_returns_whole_attachments_of_each_kind_as_the_csdl_has_them(start_fake, model):  # noqa: F811
    client, added = with_attachments(start_fake, [FILE, INLINE, REFERENCE, ITEM])
    listed = client.ok("GET", f"/me/messages/{added['id']}/attachments")["value"]
    assert [a["@odata.type"] for a in listed] == [FILE["@odata.type"], INLINE["@odata.type"],
                                                  REFERENCE["@odata.type"], ITEM["@odata.type"]]
    check_all(model, listed, "attachment", "list attachments")
    pdf = listed[0]
    assert pdf["contentBytes"] == PDF and pdf["size"] == len(b"%PDF-1.4 a quote") and pdf["isInline"] is False
    assert pdf["@odata.mediaContentType"] == "application/pdf" and pdf["lastModifiedDateTime"]
    assert listed[1]["isInline"] is True and listed[1]["contentId"] == "logo@x"
    assert listed[2]["size"] == 48213 and "contentBytes" not in listed[2] and "sourceUrl" not in listed[2]
    assert len({a["id"] for a in listed}) == 4


def test_select_leaves_the_content_out_and_keeps_the_type(start_fake, model):  # noqa: F811
    client, added = with_attachments(start_fake, [FILE, REFERENCE])
    listed = client.ok("GET", f"/me/messages/{added['id']}/attachments?$select=id,name,size,contentType,isInline")
    for attachment in listed["value"]:
        assert set(attachment) - {"@odata.type", "@odata.mediaContentType"} == {"id", "name", "size", "contentType",
                                                                              "isInline"}
    check_all(model, listed["value"], "attachment", "list $select")
    bad = client.get(f"/me/messages/{added['id']}/attachments?$select=nope")
    assert bad.status == 400 and bad.body["error"]["code"] == "RequestBroker--ParseUri"
    assert "'microsoft.graph.attachment'" in bad.body["error"]["message"]
    assert client.get(f"/me/messages/{added['id']}/attachments?$filter=isInline").status == 501
    # the same parser as every other entity's $select: names case-insensitive, one given twice is one
    twice = client.ok("GET", f"/me/messages/{added['id']}/attachments?$select=NAME,name,Size")
    assert all(set(a) - {"@odata.type", "@odata.mediaContentType"} == {"id", "name", "size"} for a in twice["value"])


def test_get_one_and_its_raw_value(start_fake, model):  # noqa: F811
    client, added = with_attachments(start_fake, [FILE, REFERENCE])
    first = client.ok("GET", f"/me/messages/{added['id']}/attachments")["value"][0]
    one = client.ok("GET", f"/me/messages/{added['id']}/attachments/{first['id']}")
    assert one["contentBytes"] == PDF and one["@odata.context"].endswith("/attachments/$entity")
    check_all(model, [one], "attachment", "get attachment")
    raw = client.get(f"/me/messages/{added['id']}/attachments/{first['id']}/$value")
    assert raw.status == 200 and raw.raw == base64.b64decode(PDF)
    assert raw.headers["content-type"].startswith("application/pdf")
    reference = client.ok("GET", f"/me/messages/{added['id']}/attachments")["value"][1]
    assert client.get(f"/me/messages/{added['id']}/attachments/{reference['id']}/$value").status == 501


def test_has_attachments_leaves_inline_ones_out(start_fake):
    fake = start_fake()
    inline_only = fake.mailbox.add_message(message("Logo only", attachments=[INLINE]))
    both = fake.mailbox.add_message(message("Both", attachments=[INLINE, FILE]))
    client = Client(fake.url)
    assert client.ok("GET", f"/me/messages/{inline_only['id']}")["hasAttachments"] is False
    assert client.ok("GET", f"/me/messages/{both['id']}")["hasAttachments"] is True
    assert "attachments" not in client.ok("GET", f"/me/messages/{both['id']}")  # a navigation property
    expanded = client.ok("GET", f"/me/messages/{both['id']}?$expand=attachments")["attachments"]
    assert [a["name"] for a in expanded] == ["logo.png", "Quote.pdf"] and expanded[1]["contentBytes"] == PDF
    inner = client.get(f"/me/messages/{both['id']}?$expand=attachments($select=id,name)")
    assert inner.status == 501  # honoured by Graph on GET message, not modelled here


def test_gone_messages_and_attachments_are_404_and_the_user_path_works(start_fake):
    client, added = with_attachments(start_fake, [FILE])
    gone = client.get(f"/me/messages/{added['id']}/attachments/AAMkAGnothere")
    assert gone.status == 404 and gone.body["error"]["code"] == "ErrorItemNotFound"
    assert client.get("/me/messages/AAMkAGnothere/attachments").status == 404
    assert client.get(f"/me/messages/{added['id']}/attachments/not%20an%20id").status == 400
    user = client.ok("GET", "/me")["userPrincipalName"]
    assert client.ok("GET", f"/users/{user}/messages/{added['id']}/attachments")["value"][0]["name"] == "Quote.pdf"


def test_the_demo_mailbox_has_a_quote_an_inline_image_and_a_reference(client, model):  # noqa: F811
    folders = client.ok("GET", "/me/mailFolders")["value"]
    seen = [m for folder in folders for m in client.delta_round(
        f"/me/mailFolders/{folder['id']}/messages/delta?$select=subject,hasAttachments", page_size=100)[1]]
    kinds, names = set(), set()
    for item in seen:
        listed = client.ok("GET", f"/me/messages/{item['id']}/attachments")["value"]
        if listed:
            check_all(model, listed, "attachment", item["subject"])
            assert item["hasAttachments"] == any(not a["isInline"] for a in listed), item["subject"]
        kinds |= {(a["@odata.type"], a["isInline"]) for a in listed}
        names |= {a["name"] for a in listed}
    assert ("#microsoft.graph.referenceAttachment", False) in kinds
    assert ("#microsoft.graph.fileAttachment", True) in kinds
    assert "Quote Q-2026-0050 – Fabrikam.pdf" in names


def test_reading_attachments_needs_mail_read_not_basic(as_user, fake):
    """Mail.ReadBasic reads neither bodies nor attachments: the attachment pages list Mail.Read."""
    quote = next(m for m in fake.mailbox.to_dict()["messages"] if m.get("attachments"))
    path = f"/me/messages/{quote['id']}/attachments"
    assert_denied(as_user("Mail.ReadBasic").get(path))
    first = as_user("Mail.Read").ok("GET", path)["value"][0]
    assert_denied(as_user("Mail.ReadBasic").get(f"{path}/{first['id']}/$value"))
    assert as_user("Mail.ReadWrite").get(f"{path}/{first['id']}/$value").status == 200
