"""Message delta per folder: paging, incremental rounds, moves, deletes, $select, tokens."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import Client, message

INBOX_DELTA = "/me/mailFolders/inbox/messages/delta"


@pytest.fixture
def box(start_fake):
    """25 messages in the inbox, 1 in the archive."""
    fake = start_fake({"messages": [message(f"Message {i:02d}") for i in range(25)]
                       + [message("Archived", folder="archive")]})
    return fake, Client(fake.url)


def test_first_round_pages_through_every_message_once(box):
    fake, client = box
    pages, items, delta_link = client.delta_round(INBOX_DELTA, page_size=10)
    assert [len(p["value"]) for p in pages] == [10, 10, 5]
    assert ["@odata.nextLink" in p for p in pages] == [True, True, False]
    assert all("$skiptoken=" in p["@odata.nextLink"] for p in pages[:2])
    assert "$deltatoken=" in delta_link
    subjects = sorted(item["subject"] for item in items)
    assert subjects == [f"Message {i:02d}" for i in range(25)]
    assert len({item["id"] for item in items}) == 25
    first = items[0]
    assert first["@odata.type"] == "#microsoft.graph.message"
    assert first["@odata.etag"].startswith('W/"')
    assert pages[0]["@odata.context"].endswith("$metadata#Collection(message)")


def test_default_page_size_is_ten(box):
    _, client = box
    pages, items, _ = client.delta_round(INBOX_DELTA)
    assert [len(p["value"]) for p in pages] == [10, 10, 5]


def test_next_round_returns_only_changes(box):
    fake, client = box
    _, items, delta_link = client.delta_round(INBOX_DELTA, page_size=10)
    by_subject = {item["subject"]: item["id"] for item in items}
    pages, nothing, delta_link = client.delta_round(delta_link, page_size=10)
    assert nothing == [] and len(pages) == 1

    client.ok("PATCH", f"/_fake/mailbox/messages/{by_subject['Message 03']}", {"isRead": True})
    added = client.ok("POST", "/_fake/mailbox/messages", message("Fresh"), expect=201)
    _, changes, delta_link = client.delta_round(delta_link, page_size=10)
    assert {c["id"]: c.get("isRead") for c in changes} == {by_subject["Message 03"]: True, added["id"]: False}

    _, again, _ = client.delta_round(delta_link)
    assert again == []


def test_move_is_removed_from_old_folder_and_new_in_new(box):
    fake, client = box
    _, inbox_items, inbox_link = client.delta_round(INBOX_DELTA, page_size=50)
    _, archive_items, archive_link = client.delta_round("/me/mailFolders/archive/messages/delta")
    assert [m["subject"] for m in archive_items] == ["Archived"]
    moved = next(m for m in inbox_items if m["subject"] == "Message 07")

    client.ok("PATCH", f"/_fake/mailbox/messages/{moved['id']}", {"parentFolderId": "archive"})
    _, inbox_changes, _ = client.delta_round(inbox_link)
    assert inbox_changes == [{"@odata.type": "#microsoft.graph.message", "id": moved["id"],
                              "@removed": {"reason": "deleted"}}]
    _, archive_changes, _ = client.delta_round(archive_link)
    assert [(m["id"], m["subject"]) for m in archive_changes] == [(moved["id"], "Message 07")]
    archive_id = client.ok("GET", "/me/mailFolders/archive")["id"]
    assert archive_changes[0]["parentFolderId"] == archive_id


def test_deleted_message_is_removed(box):
    fake, client = box
    _, items, link = client.delta_round(INBOX_DELTA, page_size=50)
    client.ok("DELETE", f"/_fake/mailbox/messages/{items[0]['id']}", expect=204)
    _, changes, _ = client.delta_round(link)
    assert changes == [{"@odata.type": "#microsoft.graph.message", "id": items[0]["id"],
                        "@removed": {"reason": "deleted"}}]


def test_move_out_and_back_shows_as_update(box):
    fake, client = box
    _, items, link = client.delta_round(INBOX_DELTA, page_size=50)
    item_id = items[0]["id"]
    client.ok("PATCH", f"/_fake/mailbox/messages/{item_id}", {"parentFolderId": "archive"})
    client.ok("PATCH", f"/_fake/mailbox/messages/{item_id}", {"parentFolderId": "inbox"})
    _, changes, _ = client.delta_round(link)
    assert [c["id"] for c in changes] == [item_id] and "@removed" not in changes[0]


def test_select_limits_properties_for_the_whole_round(box):
    _, client = box
    pages, items, _ = client.delta_round(INBOX_DELTA + "?$select=subject,isRead,from", page_size=10)
    assert len(items) == 25
    for item in items:
        assert set(item) == {"@odata.type", "@odata.etag", "subject", "isRead", "from", "id"}
    assert "$select" not in pages[0]["@odata.nextLink"]


def test_select_of_unknown_property_is_400(box):
    _, client = box
    reply = client.get(INBOX_DELTA + "?$select=subject,colour")
    assert reply.status == 400
    assert "colour" in reply.body["error"]["message"]


@pytest.mark.parametrize("path", ["/me/mailFolders/inbox/messages/delta()", "/me/MailFolders/Inbox/Messages/Delta",
                                  "/me/mailFolders('inbox')/messages/delta"])
def test_delta_path_spellings(box, path):
    _, client = box
    _, items, _ = client.delta_round(path, page_size=100)
    assert len(items) == 25


def test_folder_by_id_and_well_known_name_share_tokens(box):
    _, client = box
    inbox_id = client.ok("GET", "/me/mailFolders/inbox")["id"]
    _, _, link = client.delta_round(INBOX_DELTA, page_size=100)
    token = parse_qs(urlsplit(link).query)["$deltatoken"][0]
    assert client.get(f"/me/mailFolders/{inbox_id}/messages/delta?$deltatoken={token}").status == 200
    assert client.get(f"/me/mailFolders/archive/messages/delta?$deltatoken={token}").status == 410


def test_pages_are_a_snapshot_and_can_be_fetched_again(box):
    fake, client = box
    first = client.ok("GET", INBOX_DELTA, page_size=10)
    client.ok("POST", "/_fake/mailbox/messages", message("Arrived during paging"), expect=201)
    second = client.ok("GET", first["@odata.nextLink"], page_size=10)
    assert client.ok("GET", first["@odata.nextLink"], page_size=10)["value"] == second["value"]
    third = client.ok("GET", second["@odata.nextLink"], page_size=10)
    seen = [m["subject"] for p in (first, second, third) for m in p["value"]]
    assert len(seen) == 25 and "Arrived during paging" not in seen
    _, changes, _ = client.delta_round(third["@odata.deltaLink"])
    assert [m["subject"] for m in changes] == ["Arrived during paging"]


def test_expired_tokens_are_410_with_location(box):
    fake, client = box
    first = client.ok("GET", INBOX_DELTA + "?$select=subject", page_size=10)
    _, _, link = client.delta_round(INBOX_DELTA, page_size=100)
    client.ok("POST", "/_fake/expire-tokens", expect=204)
    for url in (link, first["@odata.nextLink"]):
        reply = client.get(url)
        assert reply.status == 410
        assert reply.body["error"]["code"] == "syncStateNotFound"
        assert "$deltatoken=" in reply.headers["location"]
    assert "$select=subject" in client.get(first["@odata.nextLink"]).headers["location"]
    restarted = client.get(client.get(link).headers["location"])
    assert restarted.status == 200 and len(restarted.body["value"]) == 10


def test_tokens_of_another_fake_instance_are_410(box, start_fake):
    _, client = box
    _, _, link = client.delta_round(INBOX_DELTA, page_size=100)
    other = start_fake({"messages": [message("x")]})
    foreign = other.url + link[len(client.base_url):]
    assert Client(other.url).get(foreign).status == 410


@pytest.mark.parametrize("query", ["$deltatoken=not-a-token", "$skiptoken=bm90IGpzb24", "$deltatoken=W10"])
def test_unusable_tokens_are_410(box, query):
    _, client = box
    reply = client.get(INBOX_DELTA + "?" + query)
    assert reply.status == 410 and reply.body["error"]["code"] == "syncStateNotFound"


def test_change_type_created_returns_only_new_messages(box):
    fake, client = box
    _, items, link = client.delta_round(INBOX_DELTA + "?changeType=created", page_size=100)
    assert len(items) == 25
    client.ok("PATCH", f"/_fake/mailbox/messages/{items[0]['id']}", {"isRead": True})
    client.ok("DELETE", f"/_fake/mailbox/messages/{items[1]['id']}", expect=204)
    new = client.ok("POST", "/_fake/mailbox/messages", message("New one"), expect=201)
    _, changes, _ = client.delta_round(link)
    assert [c["id"] for c in changes] == [new["id"]]


def test_unsupported_query_option_is_501(box):
    _, client = box
    reply = client.get(INBOX_DELTA + "?$filter=receivedDateTime+ge+2026-01-01")
    assert reply.status == 501 and reply.body["error"]["code"] == "NotImplemented"


def test_unknown_folder_is_404(box):
    _, client = box
    assert client.get("/me/mailFolders/AAMkAGnothere/messages/delta").status == 404


def test_forgotten_rounds_are_410():
    from graph_sync.fake.delta import DeltaEngine
    from graph_sync.fake.errors import GraphError

    engine = DeltaEngine(max_rounds=2)
    first = engine.start("message", "inbox", 1, {}, [])
    token = engine.skip_token(first, 0)
    for _ in range(2):
        engine.start("message", "inbox", 1, {}, [])
    with pytest.raises(GraphError) as gone:
        engine.resume(token, "message", "inbox")
    assert gone.value.status == 410


READ_FLIP = {"@odata.type", "@odata.etag", "id", "isRead", "parentFolderId"}


def test_an_is_read_flip_comes_back_partial_whatever_select_asked(box):
    """microsoft-graph-docs#7776: after an isRead-only change the item has only id, isRead and
    parentFolderId, even with a $select asking for more."""
    fake, client = box
    _, items, link = client.delta_round(INBOX_DELTA + "?$select=subject,isRead,from,body", page_size=50)
    first, second = items[0]["id"], items[1]["id"]
    fake.mailbox.update_message(first, {"isRead": True})
    flipped = client.ok("PATCH", f"/me/messages/{second}", {"isRead": True})
    assert flipped["isRead"] is True and flipped["subject"]  # PATCH itself answers with the whole message
    _, changes, link = client.delta_round(link)
    assert [c["id"] for c in changes] == [first, second]
    assert all(set(c) == READ_FLIP for c in changes) and all(c["isRead"] is True for c in changes)
    inbox_id = client.ok("GET", "/me/mailFolders/inbox")["id"]
    assert changes[0]["parentFolderId"] == inbox_id


def test_another_change_in_the_same_round_brings_the_whole_item(box):
    fake, client = box
    _, items, link = client.delta_round(INBOX_DELTA + "?$select=subject,isRead", page_size=50)
    item_id = items[0]["id"]
    fake.mailbox.update_message(item_id, {"isRead": True})
    client.ok("PATCH", f"/me/messages/{item_id}", {"categories": ["Dealpane"]})
    fake.mailbox.update_message(item_id, {"isRead": False})
    _, changes, link = client.delta_round(link)
    assert set(changes[0]) == {"@odata.type", "@odata.etag", "id", "subject", "isRead"}
    assert changes[0]["isRead"] is False
    # A round later only the flip is new again: partial.
    fake.mailbox.update_message(item_id, {"isRead": True})
    assert set(client.delta_round(link)[1][0]) == READ_FLIP


def test_a_new_message_read_before_the_round_comes_whole(box):
    fake, client = box
    _, _, link = client.delta_round(INBOX_DELTA, page_size=50)
    added = fake.mailbox.add_message(message("Fresh"))
    fake.mailbox.update_message(added["id"], {"isRead": True})
    (change,) = client.delta_round(link)[1]
    assert change["subject"] == "Fresh" and change["isRead"] is True


def test_patch_message_takes_only_what_the_update_page_lists(box):
    fake, client = box
    _, items, _ = client.delta_round(INBOX_DELTA, page_size=50)
    path = f"/me/messages/{items[0]['id']}"
    assert client.patch(path, {"subject": "Renamed"}).status == 501  # subject: drafts only
    assert client.patch(path, {"parentFolderId": "archive"}).status == 501
    assert client.patch(path, {"colour": "red"}).status == 400
    assert client.patch("/me/messages/AAMkAGnope", {"isRead": True}).status == 404
    assert client.ok("PATCH", path, {"flag": {"flagStatus": "flagged"}})["flag"]["flagStatus"] == "flagged"
