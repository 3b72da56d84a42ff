"""Change notifications: handshake, subscriptions kept alive, forged or replayed notifications refused."""
import datetime as dt
import json

import sqlalchemy as sa

from graph_sync.subscriptions import keep_subscriptions
from storage.models import Mailbox, Notification, Subscription
from storage.types import utcnow

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
    sub = subscriptions(session_factory)[0]
    response = notify(app_for_sync.test_client(), sub.id, sub.client_state)
    assert response.status_code == 202
    assert mailbox_row(session_factory, mailbox_id).next_sync_at <= utcnow()
    replay = notify(app_for_sync.test_client(), sub.id, sub.client_state)
    assert replay.status_code == 202
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_forged_notifications_are_refused_and_schedule_nothing(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    later = utcnow() + dt.timedelta(hours=1)
    with session_factory() as session:
        session.get(Mailbox, mailbox_id).next_sync_at = later
        session.commit()
    sub = subscriptions(session_factory)[0]
    client = app_for_sync.test_client()
    assert notify(client, sub.id, "wrong-state").status_code == 403
    assert notify(client, sub.id, "").status_code == 403
    assert notify(client, "no-such-subscription", sub.client_state).status_code == 403
    assert client.post(URL, data="not json", content_type="application/json").status_code == 400
    assert client.post(URL, data=json.dumps({"value": []}), content_type="application/json").status_code == 400
    assert mailbox_row(session_factory, mailbox_id).next_sync_at == later
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_lifecycle_events_are_handled(session_factory, graph, mailbox_id, app_for_sync):
    subscribe(session_factory, graph, mailbox_id)
    first, second = subscriptions(session_factory)[:2]
    client = app_for_sync.test_client()
    body = {"value": [{"subscriptionId": first.id, "clientState": first.client_state,
                       "lifecycleEvent": "reauthorizationRequired"},
                      {"subscriptionId": second.id, "clientState": second.client_state,
                       "lifecycleEvent": "subscriptionRemoved"}]}
    assert client.post(URL, data=json.dumps(body), content_type="application/json").status_code == 202
    remaining = {s.id: s for s in subscriptions(session_factory)}
    assert second.id not in remaining
    assert remaining[first.id].expires_at <= utcnow()
    counts = subscribe(session_factory, graph, mailbox_id)
    assert counts["created"] == 1 and counts["renewed"] == 1
