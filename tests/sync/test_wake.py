"""Waking an idle worker (issue 20): pg_notify in accept()'s transaction reaches a LISTEN connection,
which is opened again when it drops; an idle dispatcher polling once an hour is woken by it (and, in
one process, by the local kick on any database); without LISTEN the poll still finds the mailbox."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from graph_sync import wake
from graph_sync.notifications import accept
from graph_sync.subscriptions import keep_subscriptions
from graph_sync.worker import SyncWorker
from storage.models import Subscription

from .conftest import mailbox_row

WAIT = 60  # seconds: only a guard against a hang, never a measure
HOOK = "https://dealpane.example/api/v1/graph/notifications"


@pytest.fixture
def pg(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's (SQLite: the dispatcher polls)")
    return engine


def subscribe(session_factory, graph, mailbox_id) -> Subscription:
    client = graph.client_for_mailbox(mailbox_row(session_factory, mailbox_id))
    keep_subscriptions(session_factory, client, mailbox_id, HOOK)
    with session_factory() as session:
        return session.scalars(sa.select(Subscription).where(Subscription.resource.endswith("/events"))).one()


def notification(subscription: Subscription) -> dict:
    return {"subscriptionId": subscription.id, "clientState": subscription.client_state, "changeType": "created",
            "resource": "Users/x/Events/AAMk1", "tenantId": "t"}


def test_an_accepted_notification_reaches_a_listener_at_commit(pg, session_factory, graph, mailbox_id):
    subscription = subscribe(session_factory, graph, mailbox_id)
    woken = threading.Event()
    listener = wake.Listener(pg, woken.set).start()
    try:
        assert listener.connected.wait(WAIT)
        woken.wait(WAIT)  # the listener looks once right after connecting
        woken.clear()
        assert listener.received == 0
        accept(session_factory, [notification(subscription)])
        assert woken.wait(WAIT) and listener.received == 1
        woken.clear()
        accept(session_factory, [notification(subscription)])  # a replay wakes nobody
        with pg.connect() as conn:  # a NOTIFY of a rolled-back transaction is never delivered
            conn.execute(sa.select(sa.func.pg_notify(wake.CHANNEL, "x")))
            conn.rollback()
        with pg.begin() as conn:  # a marker after them: when it arrives, they would have too
            conn.execute(sa.select(sa.func.pg_notify(wake.CHANNEL, "marker")))
        assert woken.wait(WAIT) and listener.received == 2
    finally:
        listener.stop()


def test_a_dropped_listen_connection_is_opened_again(pg, session_factory, graph, mailbox_id):
    subscription = subscribe(session_factory, graph, mailbox_id)
    woken = threading.Event()
    listener = wake.Listener(pg, woken.set).start()
    try:
        assert listener.connected.wait(WAIT)
        first = listener.backend_pid
        with pg.begin() as conn:  # the server ends the connection (a restart, a failover, an admin)
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        for _ in range(WAIT * 20):
            if listener.connected.is_set() and listener.backend_pid not in (None, first):
                break
            threading.Event().wait(0.05)
        assert listener.backend_pid not in (None, first)
        woken.clear()
        received = listener.received
        accept(session_factory, [notification(subscription)])
        assert woken.wait(WAIT) and listener.received == received + 1
    finally:
        listener.stop()


class Counting(SyncWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passes: list[frozenset | None] = []
        self.passed = threading.Semaphore(0)

    def sync_one(self, mailbox, parts=None):
        try:
            return super().sync_one(mailbox, parts)
        finally:
            self.passes.append(parts)
            self.passed.release()


def idle_worker(session_factory, graph, mailbox_id, **options):
    """A dispatcher that synced its one mailbox and waits: nothing due for an hour."""
    worker = Counting(session_factory, graph, webhook_url=HOOK, interval=dt.timedelta(hours=1), **options)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    assert worker.passed.acquire(timeout=WAIT)  # the first (full) pass
    for _ in range(WAIT * 20):  # released
        if mailbox_row(session_factory, mailbox_id).lease_owner is None:
            break
        threading.Event().wait(0.05)
    return worker, thread


def wake_and_wait(session_factory, worker, subscription) -> None:
    accept(session_factory, [notification(subscription)])
    assert worker.passed.acquire(timeout=WAIT), "the woken mailbox was not synced"
    assert worker.passes[-1] == frozenset({"calendar"})


def stop(worker, thread) -> None:
    worker.stop()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_pg_notify_wakes_an_idle_dispatcher_that_polls_once_an_hour(pg, session_factory, graph, mailbox_id,
                                                                     monkeypatch):
    subscription = subscribe(session_factory, graph, mailbox_id)
    monkeypatch.setattr(wake, "kick_local", lambda: None)  # only PostgreSQL's NOTIFY can wake it
    worker, thread = idle_worker(session_factory, graph, mailbox_id, poll=3600)
    try:
        assert worker.listener is not None and worker.listener.connected.wait(WAIT)
        wake_and_wait(session_factory, worker, subscription)
        assert worker.listener.received >= 1
    finally:
        stop(worker, thread)
    assert mailbox_row(session_factory, mailbox_id).woken_at is None


def test_a_notification_accepted_in_the_same_process_wakes_the_dispatcher(session_factory, graph, mailbox_id):
    subscription = subscribe(session_factory, graph, mailbox_id)
    worker, thread = idle_worker(session_factory, graph, mailbox_id, poll=3600, listen=False)
    try:
        wake_and_wait(session_factory, worker, subscription)  # `dealpane demo`: the app and the worker in one process
    finally:
        stop(worker, thread)


def test_without_listen_the_poll_finds_the_woken_mailbox(session_factory, graph, mailbox_id, monkeypatch):
    subscription = subscribe(session_factory, graph, mailbox_id)
    monkeypatch.setattr(wake, "kick_local", lambda: None)
    worker, thread = idle_worker(session_factory, graph, mailbox_id, poll=0.05, listen=False)
    try:
        assert worker.listener is None
        wake_and_wait(session_factory, worker, subscription)
    finally:
        stop(worker, thread)
