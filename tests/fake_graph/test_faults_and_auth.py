"""Injected faults, the bearer-token check, user paths, 501s and the request log."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from graph_sync.fake.faults import parse_spec

from .conftest import Client

DELTA = "/me/mailFolders/inbox/messages/delta"


@pytest.mark.parametrize("status,code", [(429, "TooManyRequests"), (503, "ServiceNotAvailable"),
                                         (504, "GatewayTimeout"), (410, "syncStateNotFound")])
def test_status_faults_with_retry_after(demo, client, status, code):
    demo.add_fault(match="/messages/delta", status=status, times=2, retry_after=1.5)
    for _ in range(2):
        reply = client.get(DELTA)
        assert reply.status == status
        assert reply.body["error"]["code"] == code
        assert reply.headers["retry-after"] == "1.5"
    assert client.get(DELTA).status == 200


def test_fault_without_retry_after_and_by_method(demo, client):
    demo.add_fault(match="/events", status=503, method="POST")
    reply = client.get(DELTA)
    assert reply.status == 200
    assert "retry-after" not in client.post("/me/events", {}).headers


def test_401_fault_is_an_expired_token(demo, client):
    demo.add_fault(match="/me", status=401)
    reply = client.get("/me")
    assert reply.status == 401
    assert reply.body["error"] == {**reply.body["error"], "code": "InvalidAuthenticationToken",
                                   "message": "Lifetime validation failed, the token is expired."}
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/me").status == 200


def raw_get(url: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers={"Authorization": "Bearer x"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_dropped_connection_mid_response(demo, client):
    demo.add_fault(match="/messages/delta", drop=True, times=1)
    with pytest.raises(http.client.IncompleteRead):
        raw_get(client.url(DELTA))
    status, body = raw_get(client.url(DELTA))
    assert status == 200 and json.loads(body)["value"]


def test_drop_after_the_server_acted(demo, client):
    """A 202 has no body to cut: the connection closes before the status line, yet the mail was sent."""
    demo.add_fault(match="/sendMail", drop=True)
    to = [{"emailAddress": {"address": "megan.bowen@fabrikam.com"}}]
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.post("/me/sendMail", {"message": {"subject": "Sent despite the drop", "toRecipients": to}})
    sent = client.delta_round("/me/mailFolders/sentitems/messages/delta", page_size=100)[1]
    assert "Sent despite the drop" in {m["subject"] for m in sent}


def test_runtime_fault_endpoints(demo, client):
    added = client.ok("POST", "/_fake/faults", {"match": "/me", "status": 429, "times": 1, "retry_after": 0.25},
                      expect=201)
    assert added["times"] == 1 and added["retry_after"] == 0.25
    assert client.ok("GET", "/_fake/faults")[0]["match"] == "/me"
    assert client.get("/me").headers["retry-after"] == "0.25"
    client.ok("POST", "/_fake/faults", [{"match": "/me", "status": 503, "times": 5}], expect=201)
    client.ok("DELETE", "/_fake/faults", expect=204)
    assert client.get("/me").status == 200
    assert client.post("/_fake/faults", {"match": "/me"}).status == 400
    assert client.post("/_fake/faults", {"match": "/me", "status": 429, "drop": True}).status == 400


def test_fault_spec_parsing():
    assert parse_spec("match=/messages/delta,status=429,times=2,retry_after=1.5") == {
        "match": "/messages/delta", "status": 429, "times": 2, "retry_after": 1.5, "drop": False}
    assert parse_spec("match=/events,drop=true,times=1") == {"match": "/events", "drop": True, "times": 1}
    for bad in ("status=429", "match=/x", "match=/x,status=200", "match=/x,status=429,times=0", "match=/x,colour=1",
                "match=/x,drop=maybe"):
        with pytest.raises(ValueError):
            parse_spec(bad)


def test_bearer_token_is_required(demo, client):
    missing = client.get("/me", token=None)
    assert missing.status == 401 and missing.body["error"]["code"] == "InvalidAuthenticationToken"
    assert client.get("/me", headers={"Authorization": "Basic eDp5"}, token=None).status == 401
    assert client.get("/me", token="anything").status == 200


def test_require_token(start_fake):
    fake = start_fake({}, require_token="s3cret")
    assert Client(fake.url, token="other").get("/me").status == 401
    assert Client(fake.url, token="s3cret").get("/me").status == 200


@pytest.mark.parametrize("who", ["demo@contoso.com", "DEMO@contoso.com", "6e1c4a52-8d3f-4b0e-9a7c-2f5d8b1e0c47"])
def test_users_paths(client, who):
    assert client.ok("GET", f"/users/{who}")["mail"] == "demo@contoso.com"
    pages, items, link = client.delta_round(f"/users/{who}/mailFolders/inbox/messages/delta", page_size=5)
    assert f"/users/{who}/mailFolders/inbox/messages/delta?" in link
    assert len(items) == len(client.delta_round(DELTA, page_size=100)[1])


def test_unknown_user_is_404(client):
    reply = client.get("/users/nobody@contoso.com/mailFolders")
    assert reply.status == 404 and reply.body["error"]["code"] == "ErrorInvalidUser"


@pytest.mark.parametrize("method,path", [("GET", "/me/contacts"), ("GET", "/me/messages"), ("POST", "/me/messages/x/move"),
                                         ("GET", "/groups"), ("PATCH", "/me/todo/lists/x"),
                                         ("POST", "/me/messages/AAMkAG1/attachments")])
def test_unimplemented_is_501(client, method, path):
    reply = client.call(method, path)
    assert reply.status == 501
    assert reply.body["error"] == {**reply.body["error"], "code": "NotImplemented",
                                   "message": f"{method} /v1.0{path} is not implemented by the fake Graph"}


def test_other_versions_are_501(demo, client):
    base = client.base_url[: -len("/v1.0")]
    assert Client(base + "/beta").get("/me").status == 501


def test_request_log(demo, client):
    client.ok("DELETE", "/_fake/requests", expect=204)
    client.get(DELTA + "?$select=subject", headers={"client-request-id": "abc"})
    client.post("/me/sendMail", {"message": {"subject": "x", "toRecipients": [
        {"emailAddress": {"address": "a@b.example"}}]}})
    log = client.ok("GET", "/_fake/requests")
    assert [(e["method"], e["path"]) for e in log] == [("GET", "/v1.0" + DELTA), ("POST", "/v1.0/me/sendMail")]
    assert log[0]["query"] == {"$select": "subject"}
    assert log[0]["headers"]["Prefer"].startswith('IdType="ImmutableId"')
    assert log[0]["headers"]["Client-Request-Id"] == "abc"
    assert log[1]["body"]["message"]["subject"] == "x"
    assert all("authorization" not in {k.lower() for k in e["headers"]} for e in log)
    assert "dev-token" not in json.dumps(log)
    assert demo.requests() == log


def test_error_bodies_carry_request_ids(client):
    reply = client.get("/me/messages/AAMkAGmissing", headers={"client-request-id": "req-1"})
    inner = reply.body["error"]["innerError"]
    assert inner["client-request-id"] == "req-1" and inner["request-id"] == reply.headers["request-id"]


def test_start_refuses_non_loopback_hosts():
    from graph_sync.fake import FakeGraph
    with pytest.raises(ValueError):
        FakeGraph({}).start(host="0.0.0.0")
