"""JSON batching through the same pipeline as direct requests."""
from __future__ import annotations

from .conftest import IMMUTABLE, Client


def first_ids(client: Client, count: int) -> list[str]:
    return [m["id"] for m in client.delta_round("/me/mailFolders/inbox/messages/delta", page_size=100)[1][:count]]


def get_item(request_id: str, message_id: str) -> dict:
    return {"id": request_id, "method": "GET", "url": f"/me/messages/{message_id}?$select=subject",
            "headers": {"Prefer": IMMUTABLE}}


def test_batch_of_three_with_a_throttled_item(demo, client):
    ids = first_ids(client, 3)
    demo.add_fault(match=f"/messages/{ids[1]}", status=429, times=1, retry_after=2.5)
    demo.clear_requests()
    reply = client.ok("POST", "/$batch", {"requests": [get_item(str(i + 1), m) for i, m in enumerate(ids)]})
    by_id = {r["id"]: r for r in reply["responses"]}
    assert [by_id[k]["status"] for k in ("1", "2", "3")] == [200, 429, 200]
    assert by_id["2"]["headers"]["Retry-After"] == "2.5"
    assert by_id["2"]["body"]["error"]["code"] == "TooManyRequests"
    assert by_id["1"]["body"]["id"] == ids[0] and set(by_id["1"]["body"]) >= {"subject", "id"}
    assert by_id["1"]["headers"]["Content-Type"].startswith("application/json")
    logged = [(r["method"], r["path"]) for r in demo.requests()]
    assert logged[0] == ("POST", "/v1.0/$batch")
    assert logged[1:] == [("GET", f"/v1.0/me/messages/{m}") for m in ids]
    assert all("Authorization" not in r["headers"] for r in demo.requests())


def test_batch_items_use_their_own_prefer_header(demo, client):
    (message_id,) = first_ids(client, 1)
    plain = {"id": "1", "method": "GET", "url": f"/me/messages/{message_id}"}
    (response,) = client.ok("POST", "/$batch", {"requests": [plain]})["responses"]
    assert response["body"]["id"] == "R" + message_id


def test_more_than_twenty_requests_is_400(demo, client):
    (message_id,) = first_ids(client, 1)
    reply = client.post("/$batch", {"requests": [get_item(str(i), message_id) for i in range(21)]})
    assert reply.status == 400
    assert client.post("/$batch", {"requests": [get_item(str(i), message_id) for i in range(20)]}).status == 200


def test_batch_validation(demo, client):
    assert client.post("/$batch", {"requests": []}).status == 400
    assert client.post("/$batch", {"requests": [get_item("1", "a"), get_item("1", "b")]}).status == 400
    no_type = {"id": "1", "method": "POST", "url": "/me/sendMail", "body": {"message": {}}}
    assert client.post("/$batch", {"requests": [no_type]}).status == 400
    absolute = {"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}
    assert client.post("/$batch", {"requests": [absolute]}).status == 400


def test_writes_and_dependencies_in_a_batch(demo, client):
    to = [{"emailAddress": {"address": "megan.bowen@fabrikam.com"}}]
    requests = [
        {"id": "send", "method": "POST", "url": "/me/sendMail", "headers": {"Content-Type": "application/json"},
         "body": {"message": {"subject": "From a batch", "toRecipients": to}}},
        {"id": "bad", "method": "GET", "url": "/me/messages/AAMkAGmissing"},
        {"id": "after-bad", "method": "GET", "url": "/me", "dependsOn": ["bad"]},
        {"id": "after-send", "method": "GET", "url": "/me", "dependsOn": ["send"]},
    ]
    statuses = {r["id"]: r["status"] for r in client.ok("POST", "/$batch", {"requests": requests})["responses"]}
    assert statuses == {"send": 202, "bad": 404, "after-bad": 424, "after-send": 200}
    sent = client.delta_round("/me/mailFolders/sentitems/messages/delta", page_size=100)[1]
    assert "From a batch" in {m["subject"] for m in sent}


def test_unimplemented_item_is_501_inside_the_batch(demo, client):
    item = {"id": "1", "method": "GET", "url": "/me/contacts"}
    (response,) = client.ok("POST", "/$batch", {"requests": [item]})["responses"]
    assert response["status"] == 501
