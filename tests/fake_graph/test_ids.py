"""Id forms: immutable ids only with the Prefer header, GET by either form, translateExchangeIds."""
from __future__ import annotations

import base64
import re

import pytest

from graph_sync.fake import ids

from .conftest import Client

TRANSLATE = "/me/translateExchangeIds"


def inbox_items(client: Client, immutable: bool) -> list[dict]:
    return client.delta_round("/me/mailFolders/inbox/messages/delta", page_size=100, immutable=immutable)[1]


def test_ids_differ_without_the_immutable_id_header(client):
    immutable = inbox_items(client, True)
    rest = inbox_items(client, False)
    assert len(immutable) == len(rest) > 10
    immutable_ids = {m["internetMessageId"]: m["id"] for m in immutable}
    rest_ids = {m["internetMessageId"]: m["id"] for m in rest}
    assert immutable_ids.keys() == rest_ids.keys()
    assert all(immutable_ids[k] != rest_ids[k] for k in immutable_ids)
    assert all(re.fullmatch(r"AAMkAG[A-Za-z0-9_-]+=*", i) for i in immutable_ids.values())


def test_get_by_either_form_answers_in_the_requested_form(client):
    item = inbox_items(client, True)[0]
    rest_id = ids.to_rest(item["id"])
    for given in (item["id"], rest_id):
        assert client.ok("GET", f"/me/messages/{given}")["id"] == item["id"]
        assert client.ok("GET", f"/me/messages/{given}", immutable=False)["id"] == rest_id


def test_event_ids_follow_the_same_rule(client):
    window = "?startDateTime=2026-11-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    events = client.delta_round("/me/calendarView/delta" + window, page_size=50)[1]
    rest = client.delta_round("/me/calendarView/delta" + window, page_size=50, immutable=False)[1]
    assert {ids.to_rest(e["id"]) for e in events} == {e["id"] for e in rest}
    assert client.ok("GET", f"/me/events/{rest[0]['id']}")["id"] == ids.from_rest(rest[0]["id"])


def test_missing_and_malformed_ids(client):
    missing = client.get("/me/messages/AAMkAGdoesnotexist=")
    assert missing.status == 404 and missing.body["error"]["code"] == "ErrorItemNotFound"
    assert client.get("/me/events/AAMkAGdoesnotexist=").body["error"]["code"] == "ErrorItemNotFound"
    malformed = client.get("/me/messages/not%20an%20id")
    assert malformed.status == 400 and malformed.body["error"]["code"] == "ErrorInvalidIdMalformed"


def translate(client: Client, input_ids: list[str], source: str, target: str) -> list[dict]:
    body = client.ok("POST", TRANSLATE, {"inputIds": input_ids, "sourceIdType": source, "targetIdType": target})
    assert body["@odata.context"].endswith("Collection(microsoft.graph.convertIdResult)")
    return body["value"]


def test_translate_ews_to_immutable_and_back(client):
    items = inbox_items(client, True)
    immutable_ids = [m["id"] for m in items]
    to_ews = translate(client, immutable_ids, "restImmutableEntryId", "ewsId")
    assert [r["sourceId"] for r in to_ews] == immutable_ids
    ews_ids = [r["targetId"] for r in to_ews]
    assert all("-" not in e and "_" not in e for e in ews_ids)
    assert any("+" in e or "/" in e for e in ews_ids)  # standard base64, as EWS ids are
    back = translate(client, ews_ids, "ewsId", "restImmutableEntryId")
    assert [r["targetId"] for r in back] == immutable_ids
    for ews_id, immutable_id in zip(ews_ids, immutable_ids):
        rest_id = translate(client, [ews_id], "ewsId", "restId")[0]["targetId"]
        assert client.ok("GET", f"/me/messages/{rest_id}")["id"] == immutable_id


@pytest.mark.parametrize("fmt", ["restId", "ewsId", "entryId", "immutableEntryId"])
def test_every_format_round_trips(client, fmt):
    immutable_ids = [m["id"] for m in inbox_items(client, True)]
    there = [r["targetId"] for r in translate(client, immutable_ids, "restImmutableEntryId", fmt)]
    back = [r["targetId"] for r in translate(client, there, fmt, "restImmutableEntryId")]
    assert back == immutable_ids


def test_binary_formats_use_graphs_url_safe_padding_rule():
    value = ids.convert("AAMkAGabc", "restImmutableEntryId", "entryId")
    assert value[-1] in "012" and "=" not in value
    raw = base64.urlsafe_b64decode(value[:-1] + "=" * int(value[-1]))
    assert raw.startswith(b"\x00\x00\x00\x00")


def test_malformed_input_ids_get_error_details(client):
    result = translate(client, ["R-has_url-safe-chars", "no-prefix"], "ewsId", "restImmutableEntryId")
    assert [r.get("targetId") for r in result] == [None, None]
    assert result[0]["errorDetails"]["code"] == "ErrorInvalidIdMalformed"


def test_translate_limits_and_validation(client):
    too_many = client.post(TRANSLATE, {"inputIds": [f"AAMkAG{i}" for i in range(1001)], "sourceIdType": "ewsId",
                                       "targetIdType": "restImmutableEntryId"})
    assert too_many.status == 400
    just_enough = client.post(TRANSLATE, {"inputIds": [f"RAAMkAG{i}" for i in range(1000)],
                                          "sourceIdType": "restId", "targetIdType": "restImmutableEntryId"})
    assert just_enough.status == 200 and len(just_enough.body["value"]) == 1000
    bad_type = client.post(TRANSLATE, {"inputIds": ["x"], "sourceIdType": "ews", "targetIdType": "restId"})
    assert bad_type.status == 400
