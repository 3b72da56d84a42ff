"""The fake Graph's change notifications (notify.py): the validation handshake, one POST per URL for
a batch of several subscriptions' notifications, retries with backoff, drops, lifecycle events."""
from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from graph_sync.fake import FakeGraph
from graph_sync.fake.notify import FAKE_TENANT_ID

from .conftest import Client, message

FAST = {"notify": True, "notify_delay": 0.2, "notify_retry_delays": (0.1, 0.2)}


class Receiver:
    """A webhook endpoint on loopback: echoes validation tokens, records notification POSTs and
    answers them with the statuses queued in `answers` (then 202)."""

    def __init__(self):
        self.validations: list[dict] = []
        self.posts: list[dict] = []
        self.answers: list[int] = []
        self.echo = lambda token: token
        self.validation_status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                query = parse_qs(urlsplit(self.path).query)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "validationToken" in query:
                    token = query["validationToken"][0]
                    with receiver.lock:
                        receiver.validations.append({"token": token, "body": body,
                                                     "content_type": self.headers.get("Content-Type")})
                    reply = receiver.echo(token).encode()
                    self.send_response(receiver.validation_status)
                    self.send_header("Content-Type", "text/plain")
                else:
                    with receiver.lock:
                        receiver.posts.append({"path": self.path, "body": json.loads(body),
                                               "content_type": self.headers.get("Content-Type")})
                        status = receiver.answers.pop(0) if receiver.answers else 202
                    reply = b""
                    self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1/graph/notifications"

    def wait_posts(self, count: int, timeout: float = 5.0) -> list[dict]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.posts) >= count:
                    return list(self.posts)
            time.sleep(0.02)
        with self.lock:
            return list(self.posts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def notifying(start_fake, demo_mailbox) -> FakeGraph:
    return start_fake(demo_mailbox, **FAST)


@pytest.fixture
def demo_mailbox() -> dict:
    from graph_sync.fake.cli import DEMO_MAILBOX
    return json.loads(DEMO_MAILBOX.read_text(encoding="utf-8"))


def in_minutes(minutes: int) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def subscribe(client: Client, url: str, resource: str, state: str, change: str = "created,updated,deleted",
              lifecycle: bool = True) -> dict:
    body = {"changeType": change, "notificationUrl": url, "resource": resource, "expirationDateTime": in_minutes(60),
            "clientState": state, **({"lifecycleNotificationUrl": url} if lifecycle else {})}
    return client.ok("POST", "/subscriptions", body, expect=201)


def test_create_runs_the_validation_handshake_on_both_urls(notifying, receiver):
    client = Client(notifying.url)
    subscribe(client, receiver.url, "me/mailFolders('inbox')/messages", "s1")
    assert len(receiver.validations) == 2  # notificationUrl and lifecycleNotificationUrl
    first = receiver.validations[0]
    assert first["token"].startswith("Validation: Testing client application reachability for subscription")
    assert first["body"] == b"" and first["content_type"].startswith("text/plain")


@pytest.mark.parametrize("fault, message_start", [
    ("wrong echo", "Subscription validation request failed. Response must exactly match"),
    ("500", "Subscription validation request failed. Notification endpoint must respond with 200 OK"),
    ("unreachable", "Subscription validation request timed out."),
])
def test_a_failed_handshake_refuses_the_subscription(notifying, receiver, fault, message_start):
    client = Client(notifying.url)
    url = receiver.url
    if fault == "wrong echo":
        receiver.echo = lambda token: token + " "
    elif fault == "500":
        receiver.validation_status = 500
    else:
        with socket.socket() as probe:  # a loopback port nothing listens on
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    body = {"changeType": "created", "notificationUrl": url, "resource": "me/events",
            "expirationDateTime": in_minutes(60), "clientState": "s"}
    reply = client.post("/subscriptions", body)
    assert reply.status == 400 and reply.body["error"]["code"] == "InvalidRequest"
    assert reply.body["error"]["message"].startswith(message_start)
    assert notifying.subscriptions() == []


def test_without_notify_nothing_is_called(start_fake, demo_mailbox, receiver):
    fake = start_fake(demo_mailbox)
    client = Client(fake.url)
    subscribe(client, receiver.url, "me/events", "s")
    client.ok("POST", "/_fake/mailbox/messages", message("No one is told"), expect=201)
    time.sleep(0.3)
    assert receiver.validations == [] and receiver.posts == []
    with pytest.raises(RuntimeError):
        fake.send_lifecycle(fake.subscriptions()[0]["id"], "missed")


def test_changes_of_several_subscriptions_go_out_as_one_batch(notifying, receiver):
    client = Client(notifying.url)
    inbox = subscribe(client, receiver.url, "me/mailFolders('inbox')/messages", "inbox-state")
    events = subscribe(client, receiver.url, "/me/events", "events-state")
    added = client.ok("POST", "/_fake/mailbox/messages", message("Quarterly numbers"), expect=201)
    event = client.ok("POST", "/_fake/mailbox/events", {"subject": "Review", "start": {
        "dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2026-12-01T11:00:00",
                                                                       "timeZone": "UTC"}}, expect=201)
    (post,) = receiver.wait_posts(1)
    assert post["path"] == urlsplit(receiver.url).path and post["content_type"].startswith("application/json")
    items = {item["subscriptionId"]: item for item in post["body"]["value"]}
    assert set(items) == {inbox["id"], events["id"]}
    mail = items[inbox["id"]]
    assert mail["changeType"] == "created" and mail["clientState"] == "inbox-state"
    assert mail["tenantId"] == FAKE_TENANT_ID and mail["subscriptionExpirationDateTime"]
    user_id = notifying.mailbox.user["id"]
    assert mail["resource"] == f"Users/{user_id}/Messages/{added['id']}"  # immutable: created with the Prefer
    assert mail["resourceData"]["id"] == added["id"]
    assert mail["resourceData"]["@odata.type"] == "#Microsoft.Graph.Message"
    assert mail["resourceData"]["@odata.id"] == mail["resource"] and mail["resourceData"]["@odata.etag"]
    assert items[events["id"]]["resourceData"]["id"] == event["id"]
    assert items[events["id"]]["clientState"] == "events-state"
    time.sleep(0.3)
    assert len(receiver.posts) == 1


def test_only_the_subscribed_scope_and_change_types_are_notified(notifying, receiver):
    client = Client(notifying.url)
    inbox = subscribe(client, receiver.url, "me/mailFolders('inbox')/messages", "a")
    created_only = subscribe(client, receiver.url, "me/messages", "b", change="created")
    client.ok("POST", "/_fake/mailbox/messages", message("Archived at once", folder="archive"), expect=201)
    receiver.wait_posts(1)
    (only,) = receiver.posts[0]["body"]["value"]
    assert only["subscriptionId"] == created_only["id"]  # the inbox one is not told
    added = client.ok("POST", "/_fake/mailbox/messages", message("Then moved"), expect=201)
    receiver.wait_posts(2)
    client.ok("PATCH", f"/_fake/mailbox/messages/{added['id']}", {"parentFolderId": "archive"})
    posts = receiver.wait_posts(3)
    moved = posts[2]["body"]["value"]
    assert [(i["subscriptionId"], i["changeType"]) for i in moved] == [(inbox["id"], "deleted")]
    assert "@odata.etag" not in moved[0]["resourceData"]


def test_rest_ids_unless_the_subscription_was_created_with_immutable_ids(notifying, receiver):
    subscribe(Client(notifying.url, immutable=False), receiver.url, "me/messages", "r")
    added = Client(notifying.url).ok("POST", "/_fake/mailbox/messages", message("Rest id"), expect=201)
    (post,) = receiver.wait_posts(1)
    assert post["body"]["value"][0]["resourceData"]["id"] == "R" + added["id"]


def test_a_refused_post_is_retried_whole_then_delivered(notifying, receiver):
    client = Client(notifying.url)
    subscribe(client, receiver.url, "me/messages", "s")
    receiver.answers = [503, 500]
    client.ok("POST", "/_fake/mailbox/messages", message("Retried"), expect=201)
    posts = receiver.wait_posts(3)
    assert len(posts) == 3 and posts[0]["body"] == posts[1]["body"] == posts[2]["body"]
    assert notifying.notifier.wait_idle(2)
    assert [(d.attempt, d.status) for d in notifying.notifier.deliveries()] == [(1, 503), (2, 500), (3, 202)]


def test_a_batch_refused_every_time_is_dropped(notifying, receiver):
    client = Client(notifying.url)
    subscribe(client, receiver.url, "me/messages", "s")
    receiver.answers = [500] * 10
    client.ok("POST", "/_fake/mailbox/messages", message("Dropped"), expect=201)
    assert notifying.notifier.wait_idle(5)
    assert len(receiver.posts) == 3  # the first try and the two retry delays
    assert notifying.notifier.pending() == 0


def test_lifecycle_notifications_where_graph_sends_them(notifying, receiver):
    client = Client(notifying.url)
    mail = subscribe(client, receiver.url, "me/messages", "m")
    no_lifecycle = subscribe(client, receiver.url, "me/events", "e", lifecycle=False)
    list_id = client.ok("GET", "/me/todo/lists")["value"][0]["id"]
    tasks = subscribe(client, receiver.url, f"me/todo/lists/{list_id}/tasks", "t")
    item = notifying.send_lifecycle(mail["id"], "reauthorizationRequired")
    assert item["lifecycleEvent"] == "reauthorizationRequired" and "changeType" not in item
    (post,) = receiver.wait_posts(1)
    assert post["body"]["value"] == [item] and item["clientState"] == "m"
    with pytest.raises(ValueError):
        notifying.send_lifecycle(no_lifecycle["id"], "missed")      # no lifecycleNotificationUrl
    with pytest.raises(ValueError):
        notifying.send_lifecycle(tasks["id"], "missed")             # Outlook resources only
    notifying.send_lifecycle(tasks["id"], "reauthorizationRequired")  # every resource
    notifying.send_lifecycle(mail["id"], "subscriptionRemoved")
    assert mail["id"] not in {s["id"] for s in notifying.subscriptions()}
    assert client.patch(f"/subscriptions/{mail['id']}", {"expirationDateTime": in_minutes(90)}).status == 404
    posts = receiver.wait_posts(2)
    assert [i["lifecycleEvent"] for i in posts[1]["body"]["value"]] == ["reauthorizationRequired",
                                                                         "subscriptionRemoved"]
