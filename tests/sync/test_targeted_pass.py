"""Targeted passes (issue 20): a change notification wakes its mailbox for the resource its
subscription watches; the pass syncs that resource only, counted in requests on the fake Graph; a
notification accepted during a pass is never lost; a lifecycle event asks for a full pass; the next
full pass comes after the safety interval when subscriptions are alive, else after the polling
interval; the request counts of an idle full pass, a targeted pass and a renewal; notifications
pruned after Graph's retry window; woken marks survive a killed worker."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from graph_sync.notifications import KEEP, accept, prune
from graph_sync.subscriptions import keep_subscriptions, part_of
from graph_sync.worker import IDLE_FULL_PASS_REQUESTS, SyncWorker
from storage.db import UnitOfWork
from storage.models import HistoryItem, Mailbox, Notification, Subscription
from storage.types import utcnow

from .conftest import mailbox_row

HOOK = "https://dealpane.example/api/v1/graph/notifications"


def subscribed_worker(session_factory, graph, **options) -> SyncWorker:
    """A worker with a webhook URL whose first pass (done here) synced everything and subscribed."""
    worker = SyncWorker(session_factory, graph, webhook_url=HOOK, **options)
    (report,) = worker.run_once()
    assert report.status == "ok"
    return worker


def subscription_for(session_factory, part: str) -> Subscription:
    with session_factory() as session:
        return next(s for s in session.scalars(sa.select(Subscription)) if part_of(s.resource) == part)


def change(subscription: Subscription, kind: str = "created") -> dict:
    return {"subscriptionId": subscription.id, "clientState": subscription.client_state, "changeType": kind,
            "resource": "Users/6e1c4a52/Messages/AAMkNEW", "tenantId": "t"}


def lifecycle(subscription: Subscription, event: str) -> dict:
    return {"subscriptionId": subscription.id, "clientState": subscription.client_state, "lifecycleEvent": event}


def delta_paths(fake) -> list[str]:
    return [r["path"].split("/v1.0/me/", 1)[-1] for r in fake.requests()]


def test_a_notification_of_the_inbox_syncs_the_inbox_only(session_factory, graph, mailbox_id, fake):
    worker = subscribed_worker(session_factory, graph)
    before = mailbox_row(session_factory, mailbox_id)
    assert before.next_sync_at > utcnow() + dt.timedelta(hours=3)  # subscribed: the safety interval
    fake.mailbox.add_message({"subject": "Quote for 40 seats", "parentFolderId": "inbox",
                              "from": {"emailAddress": {"address": "megan.bowen@fabrikam.com"}}})
    result = accept(session_factory, [change(subscription_for(session_factory, "mail:inbox"))])
    assert result.woken == {mailbox_id}
    woken = mailbox_row(session_factory, mailbox_id)
    assert woken.woken_parts == ["mail:inbox"] and woken.next_sync_at == before.next_sync_at
    fake.clear_requests()
    (report,) = worker.run_once()
    assert report.status == "ok" and set(report.resources) == {"mail:inbox"} and report.stored == 1
    assert delta_paths(fake) == ["mailFolders/inbox/messages/delta()"]  # no sent items, calendar, To Do
    after = mailbox_row(session_factory, mailbox_id)
    assert after.woken_at is None and after.woken_parts is None
    assert after.next_sync_at == before.next_sync_at  # the safety pass stays where it was
    assert after.last_sync_at > before.last_sync_at
    with session_factory() as session:
        assert session.scalar(sa.select(HistoryItem.id).where(HistoryItem.subject == "Quote for 40 seats"))
    fake.clear_requests()
    assert worker.run_once() == []  # nothing due any more
    assert fake.requests() == []


def test_notifications_of_two_resources_sync_both_and_nothing_else(session_factory, graph, mailbox_id, fake):
    worker = subscribed_worker(session_factory, graph)
    accept(session_factory, [change(subscription_for(session_factory, "calendar"))])
    accept(session_factory, [change(subscription_for(session_factory, "mail:sentitems"), "updated")])
    assert mailbox_row(session_factory, mailbox_id).woken_parts == ["calendar", "mail:sentitems"]
    fake.clear_requests()
    (report,) = worker.run_once()
    assert set(report.resources) == {"mail:sentitems", "calendar"}
    assert sorted(delta_paths(fake)) == ["calendarView/delta()", "mailFolders/sentitems/messages/delta()"]


def test_a_lifecycle_event_asks_for_a_full_pass(session_factory, graph, mailbox_id, fake):
    worker = subscribed_worker(session_factory, graph)
    accept(session_factory, [change(subscription_for(session_factory, "mail:inbox")),
                             lifecycle(subscription_for(session_factory, "calendar"), "missed")])
    assert mailbox_row(session_factory, mailbox_id).woken_parts == ["full"]
    fake.clear_requests()
    (report,) = worker.run_once()
    assert set(report.resources) == {"mail:inbox", "mail:sentitems", "calendar"}
    assert any("/tasks/delta" in path for path in delta_paths(fake))  # To Do too: a full pass
    after = mailbox_row(session_factory, mailbox_id)
    assert after.woken_at is None and after.next_sync_at > utcnow() + dt.timedelta(hours=3)


def test_a_notification_accepted_during_a_pass_is_not_lost(session_factory, graph, mailbox_id, fake):
    subscribed_worker(session_factory, graph)
    inbox = subscription_for(session_factory, "mail:inbox")
    injected = []

    def mid_pass(resource, result) -> None:  # the customer's next e-mail lands while the pass runs
        if not injected:
            fake.mailbox.add_message({"subject": "Signed order form", "parentFolderId": "inbox",
                                      "from": {"emailAddress": {"address": "megan.bowen@fabrikam.com"}}})
            injected.append(accept(session_factory, [change(inbox, "updated")]))

    worker = SyncWorker(session_factory, graph, webhook_url=HOOK, on_page=mid_pass)
    accept(session_factory, [change(inbox)])
    claimed_mark = mailbox_row(session_factory, mailbox_id).woken_at
    (first,) = worker.run_once()
    assert injected and injected[0].woken == {mailbox_id} and first.status == "ok"
    still = mailbox_row(session_factory, mailbox_id)
    assert still.woken_at is not None and still.woken_at > claimed_mark  # kept: it came after the claim
    assert still.woken_parts == ["mail:inbox"]
    (second,) = worker.run_once()  # the mailbox is due again
    assert second.status == "ok"
    done = mailbox_row(session_factory, mailbox_id)
    assert done.woken_at is None
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(HistoryItem)
                              .where(HistoryItem.subject == "Signed order form")) == 1


def test_a_failed_pass_clears_the_mark_and_waits_for_what_graph_asked(session_factory, graph, mailbox_id, fake):
    worker = subscribed_worker(session_factory, graph)
    accept(session_factory, [change(subscription_for(session_factory, "mail:inbox"))])
    before = mailbox_row(session_factory, mailbox_id).next_sync_at
    fake.add_fault(match="/inbox/messages/delta", status=429, times=10, retry_after=0.1)
    (report,) = worker.run_once()
    assert report.status == "retry" and report.retry_after == 0.1
    row = mailbox_row(session_factory, mailbox_id)
    # the full pass after Graph's wait (at least a second) runs delta from the cursors: every change
    # since, notified or not; the safety pass 4 hours away is brought forward to it
    assert row.woken_at is None and row.next_sync_at < before - dt.timedelta(hours=3)
    assert row.next_sync_at > row.last_error_at


def test_safety_interval_with_live_subscriptions_polling_interval_without(session_factory, graph, mailbox_id, fake):
    safety, interval = dt.timedelta(hours=4), dt.timedelta(minutes=5)
    subscribed_worker(session_factory, graph, safety_interval=safety, interval=interval)
    start = utcnow()
    due_now(session_factory, mailbox_id)
    SyncWorker(session_factory, graph, webhook_url=HOOK, safety_interval=safety, interval=interval).run_once()
    assert mailbox_row(session_factory, mailbox_id).next_sync_at >= start + safety
    due_now(session_factory, mailbox_id)  # without a webhook URL the worker polls
    SyncWorker(session_factory, graph, safety_interval=safety, interval=interval).run_once()
    assert mailbox_row(session_factory, mailbox_id).next_sync_at <= utcnow() + interval
    with session_factory() as session:  # one subscription gone: not covered, polled
        session.delete(session.scalars(sa.select(Subscription)).first())
        session.commit()
    fake.add_fault(match="/subscriptions", status=503, times=20)  # and it cannot be made again now
    due_now(session_factory, mailbox_id)
    SyncWorker(session_factory, graph, webhook_url=HOOK, safety_interval=safety, interval=interval).run_once()
    assert mailbox_row(session_factory, mailbox_id).next_sync_at <= utcnow() + interval


def due_now(session_factory, mailbox_id) -> None:
    with session_factory() as session:
        session.get(Mailbox, mailbox_id).next_sync_at = utcnow() - dt.timedelta(seconds=1)
        session.commit()


def test_idle_request_counts(session_factory, graph, mailbox_id, fake):
    """What worker.py's arithmetic uses: an idle full pass, a targeted pass, a renewal pass."""
    worker = subscribed_worker(session_factory, graph)
    due_now(session_factory, mailbox_id)
    worker.run_once()  # To Do's delta brings back the tasks the first pass made: once
    due_now(session_factory, mailbox_id)
    fake.clear_requests()
    worker.run_once()
    idle = delta_paths(fake)
    assert len(idle) == IDLE_FULL_PASS_REQUESTS == 4
    assert sorted(p.split("/")[0] for p in idle) == ["calendarView", "mailFolders", "mailFolders", "todo"]
    accept(session_factory, [change(subscription_for(session_factory, "calendar"))])
    fake.clear_requests()
    worker.run_once()
    assert len(fake.requests()) == 1  # a targeted pass: one request per notified resource
    with session_factory() as session:  # a day and a bit later, the subscriptions are near their end
        for s in session.scalars(sa.select(Subscription)):
            s.expires_at = utcnow() + dt.timedelta(hours=20)
        session.commit()
    due_now(session_factory, mailbox_id)
    fake.clear_requests()
    worker.run_once()
    methods = [r["method"] for r in fake.requests()]
    assert len(methods) == IDLE_FULL_PASS_REQUESTS + 3 and methods.count("PATCH") == 3  # the renewal pass


def test_old_notifications_are_pruned_in_batches(session_factory, graph, mailbox_id):
    now = utcnow()
    with UnitOfWork(session_factory) as uow:
        for n in range(7):
            uow.session.add(Notification(subscription_id="s", mailbox_id=mailbox_id, kind="created",
                                         fingerprint=f"old{n}", received_at=now - KEEP - dt.timedelta(minutes=n + 1)))
        for n in range(2):
            uow.session.add(Notification(subscription_id="s", mailbox_id=mailbox_id, kind="created",
                                         fingerprint=f"new{n}", received_at=now - dt.timedelta(hours=1)))
        uow.commit()
    assert prune(session_factory, now, batch=3) == 7
    with session_factory() as session:
        assert sorted(session.scalars(sa.select(Notification.fingerprint))) == ["new0", "new1"]
    assert prune(session_factory, now) == 0


def test_the_worker_prunes_now_and_then(session_factory, graph, mailbox_id):
    with UnitOfWork(session_factory) as uow:
        uow.session.add(Notification(subscription_id="s", mailbox_id=mailbox_id, kind="created",
                                     fingerprint="old", received_at=utcnow() - KEEP - dt.timedelta(hours=1)))
        uow.commit()
    SyncWorker(session_factory, graph).run_once()
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_killed_workers_woken_mailbox_is_taken_over_after_its_lease(session_factory, graph, mailbox_id, fake):
    subscribed_worker(session_factory, graph)
    lease = dt.timedelta(minutes=10)
    dead = SyncWorker(session_factory, graph, webhook_url=HOOK, name="dead", lease=lease)
    accept(session_factory, [change(subscription_for(session_factory, "mail:inbox"))])
    (claimed,) = dead.claim_many(5)  # ... and killed: never released
    assert claimed.id == mailbox_id
    accept(session_factory, [change(subscription_for(session_factory, "calendar"))])  # while it is dead
    alive = SyncWorker(session_factory, graph, webhook_url=HOOK, name="alive", lease=lease)
    assert alive.claim_many(5) == []  # the lease holds
    later = SyncWorker(session_factory, graph, webhook_url=HOOK, name="alive",
                       now=lambda: utcnow() + lease + dt.timedelta(seconds=1))
    fake.clear_requests()
    (report,) = later.run_once()
    assert set(report.resources) == {"mail:inbox", "calendar"}  # both marks: the targeted pass of the dead one's
    row = mailbox_row(session_factory, mailbox_id)
    assert row.woken_at is None and row.lease_owner is None
    dead.release(mailbox_id, report)  # too late: it no longer holds the lease; nothing changes
    assert mailbox_row(session_factory, mailbox_id).next_sync_at == row.next_sync_at


def test_idle_full_pass_in_application_mode(entra_world, engine, session_factory):
    """The same count on /users/{mailbox} paths with the app's token (the 1,000-mailbox deployment)."""
    from graph_sync.clients import GraphAccess
    from storage.demo import seed_demo
    from storage.services.mailboxes import connect_mailbox
    from tests.entra_fixtures import ALL_APP_ROLES, DEMO_OWNER_UPN, TENANT

    fake = entra_world.graph()
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    with UnitOfWork(session_factory) as uow:
        workspace, _ = seed_demo(uow.session, today=dt.date(2026, 11, 27))
        mailbox, _ = connect_mailbox(uow.session, workspace.id, DEMO_OWNER_UPN, "application")
        uow.commit()
    access = GraphAccess(entra_world.config(engine, fake.url, graph_auth="application").graph_settings(),
                         session_factory)
    try:
        worker = subscribed_worker(session_factory, access)
        for _ in range(2):  # the second idle one: To Do's delta no longer brings back the first pass's tasks
            due_now(session_factory, mailbox.id)
            fake.clear_requests()
            worker.run_once()
        paths = [r["path"] for r in fake.requests()]
        assert len(paths) == IDLE_FULL_PASS_REQUESTS
        assert all(p.startswith(f"/v1.0/users/{DEMO_OWNER_UPN}/") and p.endswith("/delta()") for p in paths)
        assert mailbox_row(session_factory, mailbox.id).next_sync_at > utcnow() + dt.timedelta(hours=3)
    finally:
        access.close()


def test_between_full_passes_dealpanes_todo_changes_are_pushed_every_interval(session_factory, graph, mailbox_id,
                                                                              fake):
    """Full passes 4 h apart must not make a reminder reach To Do 4 h late: a tasks pass every
    `interval` pushes Dealpane's side (TaskKeeper.push), asking Graph nothing when nothing changed."""
    from storage.models import Opportunity, ReminderTask

    interval = dt.timedelta(minutes=5)
    worker = subscribed_worker(session_factory, graph, interval=interval)
    first = mailbox_row(session_factory, mailbox_id)
    assert first.next_tasks_at <= utcnow() + interval < first.next_sync_at

    def tasks_due() -> None:
        with session_factory() as session:
            session.get(Mailbox, mailbox_id).next_tasks_at = utcnow() - dt.timedelta(seconds=1)
            session.commit()

    tasks_due()
    fake.clear_requests()
    (idle,) = worker.run_once()
    assert idle.status == "ok" and fake.requests() == []  # nothing changed in Dealpane: no request at all
    after = mailbox_row(session_factory, mailbox_id)
    assert after.next_sync_at == first.next_sync_at and after.next_tasks_at > utcnow()
    with session_factory() as session:  # a reminder set in Dealpane on a deal of the mailbox's owner
        opportunity = session.scalars(sa.select(Opportunity).where(Opportunity.assigned_to == first.user_id,
                                                                   Opportunity.reminder_at.is_(None))).first()
        opportunity.reminder_at = utcnow() + dt.timedelta(hours=2)
        session.commit()
        key = f"o:{opportunity.id}:reminder"
    tasks_due()
    fake.clear_requests()
    worker.run_once()
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in fake.requests()] == [("POST", "tasks")]
    with session_factory() as session:
        assert session.scalar(sa.select(ReminderTask.task_id).where(ReminderTask.key == key))
    assert mailbox_row(session_factory, mailbox_id).next_sync_at == first.next_sync_at
    fake.clear_requests()
    assert worker.run_once() == [] and fake.requests() == []  # not due again before `interval`
