"""Change notifications: handshake, subscriptions kept alive, batches answered 202 with each item
verified on its own (forged ones ignored, replays changing nothing), lifecycle events, and the fake
Graph delivering a batch to the app served on loopback."""
import datetime as dt
import json

import sqlalchemy as sa

from graph_sync.clients import GraphAccess, GraphSettings
from graph_sync.fake import FakeGraph
from graph_sync.fake.cli import DEMO_MAILBOX

from graph_sync.notifications import accept
from graph_sync.subscriptions import keep_subscriptions, part_of
from storage.models import Mailbox, Notification, Subscription
from storage.types import utcnow

from tests.live_server import served

from .conftest import mailbox_row

URL = "/api/v1/graph/notifications"


def subscribe(session_factory, graph, mailbox_id):
    client = graph.client_for_mailbox(mailbox_row(session_factory, mailbox_id))
    return keep_subscriptions(session_factory, client, mailbox_id, "https://dealpane.example/api/v1/graph/notifications")


def subscriptions(session_factory):
    with session_factory() as session:
        return list(session.scalars(sa.select(Subscription)))


def notify(client, subscription_id, client_state, change="created"):
    body = {"value": [{"subscriptionId": subscription_id, "clientState": client_state, "changeType": change,
                       "resource": "me/messages/AAMk1", "tenantId": "t"}]}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_validation_handshake_echoes_the_token_as_plain_text(app_for_sync):
    response = app_for_sync.test_client().post(f"{URL}?validationToken=<b>hello</b>%20token")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "<b>hello</b> token"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_subscriptions_are_created_once_with_random_client_states(session_factory, graph, mailbox_id, fake):
    counts = subscribe(session_factory, graph, mailbox_id)
    assert counts == {"created": 3, "renewed": 0, "failed": 0}
    assert subscribe(session_factory, graph, mailbox_id) == {"created": 0, "renewed": 0, "failed": 0}
    stored = subscriptions(session_factory)
    assert len({s.client_state for s in stored}) == 3 and all(len(s.client_state) >= 32 for s in stored)
    assert {s["resource"] for s in fake.subscriptions()} == {s.resource for s in stored}
    assert all(s["expirationDateTime"] for s in fake.subscriptions())


def test_subscriptions_close_to_expiry_are_renewed(session_factory, graph, mailbox_id, fake):
    subscribe(session_factory, graph, mailbox_id)
    with session_factory() as session:
        for s in session.scalars(sa.select(Subscription)):
            s.expires_at = utcnow() + dt.timedelta(hours=2)
        session.commit()
    assert subscribe(session_factory, graph, mailbox_id)["renewed"] == 3
    assert all(s.expires_at > utcnow() + dt.timedelta(hours=60) for s in subscriptions(session_factory))


def test_a_genuine_notification_is_stored_and_wakes_the_mailbox(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    with session_factory() as session:
        session.get(Mailbox, mailbox_id).next_sync_at = utcnow() + dt.timedelta(hours=1)
        session.commit()
    later = mailbox_row(session_factory, mailbox_id).next_sync_at
    sub = subscriptions(session_factory)[0]
    response = notify(app_for_sync.test_client(), sub.id, sub.client_state)
    assert response.status_code == 202
    woken = mailbox_row(session_factory, mailbox_id)  # due at once, for the subscription's resource only
    assert woken.woken_at <= utcnow() and woken.woken_parts == [part_of(sub.resource)]
    assert woken.next_sync_at == later  # the next safety pass is not moved
    replay = notify(app_for_sync.test_client(), sub.id, sub.client_state)
    assert replay.status_code == 202
    assert mailbox_row(session_factory, mailbox_id).woken_at == woken.woken_at
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def post(client, items):
    return client.post(URL, data=json.dumps({"value": items}), content_type="application/json")


def item(subscription_id, client_state, change="created", resource="me/messages/AAMk1"):
    return {"subscriptionId": subscription_id, "clientState": client_state, "changeType": change,
            "resource": resource, "tenantId": "t"}


def postpone(session_factory, mailbox_id):
    later = utcnow() + dt.timedelta(hours=1)
    with session_factory() as session:
        session.get(Mailbox, mailbox_id).next_sync_at = later
        session.commit()
    return later


def notification_count(session_factory):
    with session_factory() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Notification))


def test_forged_notifications_are_accepted_and_ignored(session_factory, graph, mailbox_id, app_for_sync, caplog):
    """Graph retries any non-2xx answer for hours, so forged or unknown items are answered 202 and
    ignored (the documented behaviour; these were 403 before). Only a body that is not a Graph
    payload at all is 400."""
    subscribe(session_factory, graph, mailbox_id)
    later = postpone(session_factory, mailbox_id)
    sub = subscriptions(session_factory)[0]
    client = app_for_sync.test_client()
    with caplog.at_level("WARNING", logger="graph_sync.notifications"):
        assert notify(client, sub.id, "wrong-state").status_code == 202
        assert notify(client, sub.id, "").status_code == 202
        assert notify(client, "no-such-subscription", sub.client_state).status_code == 202
        assert post(client, [{"subscriptionId": sub.id, "changeType": "created"}, "text", None]).status_code == 202
    assert client.post(URL, data="not json", content_type="application/json").status_code == 400
    assert client.post(URL, data=json.dumps({"value": []}), content_type="application/json").status_code == 400
    assert client.post(URL, data=json.dumps([1]), content_type="application/json").status_code == 400
    assert client.post(URL, data=json.dumps({"value": [{}] * 1001}), content_type="application/json").status_code == 400
    assert mailbox_row(session_factory, mailbox_id).next_sync_at == later
    assert mailbox_row(session_factory, mailbox_id).woken_at is None
    assert notification_count(session_factory) == 0
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "wrong clientState" in logged and "unknown subscription" in logged
    assert sub.client_state not in logged  # never the secret


def test_a_mixed_batch_acts_on_the_valid_item_only(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    postpone(session_factory, mailbox_id)
    first, second = subscriptions(session_factory)[:2]
    batch = [item("no-such-subscription", first.client_state), item(first.id, first.client_state),
             item(second.id, first.client_state)]
    response = post(app_for_sync.test_client(), batch)
    assert response.status_code == 202 and response.get_data() == b""
    assert mailbox_row(session_factory, mailbox_id).woken_parts == [part_of(first.resource)]
    with session_factory() as session:
        stored = list(session.scalars(sa.select(Notification)))
    assert [(n.subscription_id, n.kind) for n in stored] == [(first.id, "created")]


def test_a_replayed_batch_changes_nothing(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    first, second = subscriptions(session_factory)[:2]
    batch = [item(first.id, first.client_state), item(second.id, second.client_state, "updated"),
             {"subscriptionId": first.id, "clientState": first.client_state, "lifecycleEvent": "reauthorizationRequired"}]
    client = app_for_sync.test_client()
    assert post(client, batch).status_code == 202
    assert notification_count(session_factory) == 3
    renewed = subscribe(session_factory, graph, mailbox_id)
    assert renewed["renewed"] == 1
    expiry = {s.id: s.expires_at for s in subscriptions(session_factory)}
    later = postpone(session_factory, mailbox_id)
    woken_at = mailbox_row(session_factory, mailbox_id).woken_at
    assert post(client, batch).status_code == 202               # Graph delivered it again
    assert post(client, batch + batch).status_code == 202       # twice in one POST too
    assert notification_count(session_factory) == 3
    assert mailbox_row(session_factory, mailbox_id).next_sync_at == later
    assert mailbox_row(session_factory, mailbox_id).woken_at == woken_at
    assert {s.id: s.expires_at for s in subscriptions(session_factory)} == expiry


def test_accept_reports_what_it_did(session_factory, graph, mailbox_id):
    subscribe(session_factory, graph, mailbox_id)
    sub = subscriptions(session_factory)[0]
    batch = [item(sub.id, sub.client_state), item(sub.id, "forged"), item("gone", "x"), 7]
    result = accept(session_factory, batch)
    assert (result.accepted, result.replayed, result.ignored) == (1, 0, 3)
    assert result.woken == {mailbox_id}
    assert result.reasons == {"wrong clientState": 1, "unknown subscription": 1, "not an object": 1}
    again = accept(session_factory, batch)
    assert (again.accepted, again.replayed, again.ignored, again.woken) == (0, 1, 3, frozenset())


def test_lifecycle_events_are_handled(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    postpone(session_factory, mailbox_id)
    first, second, third = subscriptions(session_factory)
    third_expiry = third.expires_at
    client = app_for_sync.test_client()
    body = {"value": [{"subscriptionId": first.id, "clientState": first.client_state,
                       "lifecycleEvent": "reauthorizationRequired"},
                      {"subscriptionId": second.id, "clientState": second.client_state,
                       "lifecycleEvent": "subscriptionRemoved"},
                      {"subscriptionId": third.id, "clientState": third.client_state, "lifecycleEvent": "missed"}]}
    assert client.post(URL, data=json.dumps(body), content_type="application/json").status_code == 202
    remaining = {s.id: s for s in subscriptions(session_factory)}
    assert second.id not in remaining
    assert remaining[first.id].expires_at <= utcnow()
    assert remaining[third.id].expires_at == third_expiry  # missed: the subscription is fine,
    assert mailbox_row(session_factory, mailbox_id).woken_parts == ["full"]  # a full delta pass catches up
    counts = subscribe(session_factory, graph, mailbox_id)
    assert counts["created"] == 1 and counts["renewed"] == 1


def test_the_fake_delivers_a_batch_to_the_app_and_the_mailbox_becomes_due(session_factory, mailbox_id, config,
                                                                           engine):
    from addin.app import create_app

    with FakeGraph.from_file(DEMO_MAILBOX, notify=True, notify_delay=0.2) as fake:
        access = GraphAccess(GraphSettings(base_url=fake.url, auth="dev", page_size=5), session_factory)
        app = create_app(config.with_(graph_auth="dev"), engine=engine, graph=access)
        try:
            with served(app) as base:
                client = access.client_for_mailbox(mailbox_row(session_factory, mailbox_id))
                # the create runs Graph's validation handshake against the app (notificationUrl and
                # lifecycleNotificationUrl) before answering
                counts = keep_subscriptions(session_factory, client, mailbox_id, base + URL)
                assert counts == {"created": 3, "renewed": 0, "failed": 0}
                postpone(session_factory, mailbox_id)
                fake.mailbox.add_message({"subject": "Pricing for Q1", "parentFolderId": "inbox",
                                          "from": {"emailAddress": {"address": "megan.bowen@fabrikam.com"}}})
                fake.mailbox.add_event({"subject": "Pricing call",
                                        "start": {"dateTime": "2026-12-02T09:00:00", "timeZone": "UTC"},
                                        "end": {"dateTime": "2026-12-02T09:30:00", "timeZone": "UTC"}})
                assert fake.notifier.wait_idle(10)
                (delivery,) = fake.notifier.deliveries()  # two subscriptions, one POST
                assert delivery.status == 202 and len(delivery.body["value"]) == 2
                assert mailbox_row(session_factory, mailbox_id).woken_parts == ["calendar", "mail:inbox"]
                with session_factory() as session:
                    kinds = sorted(session.scalars(sa.select(Notification.kind)))
                assert kinds == ["created", "created"]
        finally:
            access.close()
