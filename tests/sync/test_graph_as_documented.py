"""The sync against what Microsoft Graph is documented to do, each test named after the behaviour.

The real msgraph-sdk adapter talks to the fake Graph over loopback; the fake models each behaviour
with the link to Microsoft's page beside its code (graph_sync/fake/).
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from graph_sync.sync import SET_ASIDE_FIRST_WAIT, MailboxSync
from storage.db import UnitOfWork
from storage.models import HistoryItem, HistoryLink, Mailbox, SetAsideItem, SyncCursor

from .test_sync import contact_id, new_message

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def sync(session_factory, graph, mailbox_id, clock=None):
    with session_factory() as session:
        mailbox = session.get(Mailbox, mailbox_id)
        client = graph.client_for_mailbox(mailbox)
    return MailboxSync(session_factory, client, mailbox_id, now=clock or Clock()).run()


def stored(session_factory, **where) -> HistoryItem | None:
    with session_factory() as session:
        return session.scalars(sa.select(HistoryItem).filter_by(**where)).first()


# ---- 1. partial delta items (microsoft-graph-docs#7776) ----------------------------------------------

def test_partial_delta_item_after_a_read_change_leaves_what_is_stored(session_factory, graph, fake, mailbox_id,
                                                                       workspace_id):
    """https://github.com/microsoftgraph/microsoft-graph-docs/issues/7776: after isRead changes, message
    delta may return only id, isRead, parentFolderId and changeKey, even with $select."""
    message = new_message(fake, "Quote for 40 bikes", "megan.bowen@fabrikam.com", conversation="conv-partial")
    assert sync(session_factory, graph, mailbox_id).status == "ok"
    before = stored(session_factory, graph_id=message["id"])
    assert before is not None and before.subject == "Quote for 40 bikes"
    links_before = _links(session_factory, before.id)

    fake.mailbox.update_message(message["id"], {"isRead": True})
    # what Graph answers now, with the sync's own cursor: the item comes partial
    with session_factory() as session:
        cursor = session.get(SyncCursor, (mailbox_id, "mail:inbox")).cursor
        client = graph.client_for_mailbox(session.get(Mailbox, mailbox_id))
    page = client.delta_messages("inbox", cursor)
    partial = next(i for i in page.items if i["id"] == message["id"])
    assert "subject" not in partial and "from" not in partial and "toRecipients" not in partial

    report = sync(session_factory, graph, mailbox_id)
    assert report.status == "ok" and report.set_aside == 0
    after = stored(session_factory, graph_id=message["id"])
    assert (after.subject, after.summary, after.from_address, after.to_addresses, after.occurred_at,
            after.conversation_id, after.direction) == \
        (before.subject, before.summary, before.from_address, before.to_addresses, before.occurred_at,
         before.conversation_id, before.direction)
    assert _links(session_factory, after.id) == links_before


def _links(session_factory, item_id) -> set[tuple]:
    with session_factory() as session:
        return set(session.execute(sa.select(HistoryLink.opportunity_id, HistoryLink.account_id,
                                             HistoryLink.contact_id, HistoryLink.suppressed)
                                   .where(HistoryLink.item_id == item_id)))


# ---- 2. no poison page ---------------------------------------------------------------------------------

def test_an_item_that_cannot_be_applied_is_set_aside_and_its_page_and_cursor_go_on(session_factory, graph, fake,
                                                                                   mailbox_id):
    good_before = new_message(fake, "Before the bad one", "megan.bowen@fabrikam.com")
    # An item Graph should never send, but one item must never stop the mailbox whatever it holds.
    bad = new_message(fake, "Broken recipients", "megan.bowen@fabrikam.com", toRecipients="not a list")
    good_after = new_message(fake, "After the bad one", "megan.bowen@fabrikam.com")
    clock = Clock()
    report = sync(session_factory, graph, mailbox_id, clock)
    assert report.status == "ok"
    assert report.set_aside == 1
    assert stored(session_factory, graph_id=good_before["id"]) is not None
    assert stored(session_factory, graph_id=good_after["id"]) is not None
    assert stored(session_factory, graph_id=bad["id"]) is None
    with session_factory() as session:
        aside = session.get(SetAsideItem, (mailbox_id, bad["id"]))
        assert aside is not None and aside.resource == "mail:inbox" and aside.attempts == 1
        assert "AttributeError" in aside.error
        cursor = session.get(SyncCursor, (mailbox_id, "mail:inbox"))
        assert cursor.in_round is False and "deltatoken" in cursor.cursor  # the round finished

    # the next run does not read the same pages again: it starts from the delta link
    fake.clear_requests()
    again = sync(session_factory, graph, mailbox_id, clock)
    assert again.status == "ok" and again.set_aside == 0 and again.retried == 0
    inbox = [r for r in fake.requests() if "/mailFolders/inbox/" in r["path"]]
    assert inbox and all("$deltatoken" in r["query"] and "$skiptoken" not in r["query"] for r in inbox)

    # repaired in the mailbox, and the wait over: fetched again by its id and filed
    fake.mailbox.update_message(bad["id"], {"toRecipients": [{"emailAddress": {"address": "demo@contoso.com"}}]})
    clock.now += SET_ASIDE_FIRST_WAIT
    later = sync(session_factory, graph, mailbox_id, clock)
    assert later.retried == 1
    assert stored(session_factory, graph_id=bad["id"]).subject == "Broken recipients"
    with session_factory() as session:
        assert session.get(SetAsideItem, (mailbox_id, bad["id"])) is None


def test_an_item_still_failing_waits_longer_each_time(session_factory, graph, fake, mailbox_id):
    bad = new_message(fake, "Broken", "megan.bowen@fabrikam.com", toRecipients="not a list")
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    waits = []
    for _ in range(3):
        with session_factory() as session:
            clock.now = session.get(SetAsideItem, (mailbox_id, bad["id"])).next_try_at
        sync(session_factory, graph, mailbox_id, clock)
        with session_factory() as session:
            row = session.get(SetAsideItem, (mailbox_id, bad["id"]))
            waits.append(row.next_try_at - clock.now)
    assert waits == [SET_ASIDE_FIRST_WAIT * 2, SET_ASIDE_FIRST_WAIT * 4, SET_ASIDE_FIRST_WAIT * 8]


def test_an_item_set_aside_and_then_deleted_in_the_mailbox_is_forgotten(session_factory, graph, fake, mailbox_id):
    bad = new_message(fake, "Broken", "megan.bowen@fabrikam.com", toRecipients="not a list")
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    fake.mailbox.delete_message(bad["id"])
    clock.now += SET_ASIDE_FIRST_WAIT
    assert sync(session_factory, graph, mailbox_id, clock).retried == 1
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SetAsideItem)) == 0


def test_a_value_the_database_refuses_sets_only_that_item_aside(session_factory, graph, fake, mailbox_id, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores a NUL; PostgreSQL's text refuses it")
    bad = new_message(fake, "Nul \x00 inside", "megan.bowen@fabrikam.com")
    good = new_message(fake, "Fine", "megan.bowen@fabrikam.com")
    report = sync(session_factory, graph, mailbox_id)
    assert report.status == "ok" and report.set_aside == 1
    assert stored(session_factory, graph_id=good["id"]) is not None
    with session_factory() as session:
        assert session.get(SetAsideItem, (mailbox_id, bad["id"])) is not None


# ---- 7. --keep-bodies keeps e-mail bodies ----------------------------------------------------------------

@pytest.mark.parametrize("keep", [True, False])
def test_keep_bodies_keeps_email_bodies_and_preview_only_does_not(session_factory, graph, fake, mailbox_id, keep):
    with UnitOfWork(session_factory) as uow:
        uow.session.get(Mailbox, mailbox_id).keep_bodies = keep
        uow.commit()
    message = new_message(fake, "Body please", "megan.bowen@fabrikam.com",
                          body={"contentType": "html", "content": "<p>Dear Diego,</p><p>the <b>full</b> text.</p>"})
    assert sync(session_factory, graph, mailbox_id).status == "ok"
    item = stored(session_factory, graph_id=message["id"])
    if keep:
        assert item.body == "Dear Diego, the full text."
    else:
        assert item.body is None
    delta_calls = [r for r in fake.requests() if "/mailFolders/inbox/messages/delta" in r["path"]]
    assert delta_calls


# ---- 5. the calendar window moves ------------------------------------------------------------------------

def meeting(fake, subject, start: dt.datetime, attendee="megan.bowen@fabrikam.com", **extra):
    end = start + dt.timedelta(hours=1)
    return fake.mailbox.add_event({
        "subject": subject, "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "attendees": [{"emailAddress": {"name": attendee, "address": attendee}, "type": "required"}], **extra})


def calendar_windows(fake) -> list[tuple[str, str]]:
    return [(r["query"]["startDateTime"], r["query"]["endDateTime"]) for r in fake.requests()
            if "/calendarView/delta" in r["path"] and "startDateTime" in r["query"]]


def test_a_meeting_that_left_the_calendar_window_is_not_flagged_removed_but_a_deleted_one_is(
        session_factory, graph, fake, mailbox_id):
    """https://learn.microsoft.com/graph/delta-query-events: an event that moves out of the window comes as
    @removed (reason deleted) though it still exists; only one Graph no longer has was removed."""
    moved = meeting(fake, "Moved far away", NOW + dt.timedelta(days=3))
    deleted = meeting(fake, "Deleted", NOW + dt.timedelta(days=4))
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    assert stored(session_factory, graph_id=moved["id"]) is not None
    fake.mailbox.update_event(moved["id"], {"start": {"dateTime": "2029-01-10T09:00:00", "timeZone": "UTC"},
                                            "end": {"dateTime": "2029-01-10T10:00:00", "timeZone": "UTC"}})
    fake.mailbox.delete_event(deleted["id"])
    report = sync(session_factory, graph, mailbox_id, clock)
    assert report.resources["calendar"] == 2  # both came as @removed
    assert report.status == "ok" and report.removed == 1  # one is gone
    assert stored(session_factory, graph_id=moved["id"]).removed_in_mailbox is False
    assert stored(session_factory, graph_id=deleted["id"]).removed_in_mailbox is True


def test_a_manually_linked_meeting_is_never_flagged_because_the_window_moved(session_factory, graph, fake,
                                                                           mailbox_id, workspace_id):
    from graph_sync.linking import link_from_mailbox
    from storage.models import Opportunity

    # a meeting with nobody Dealpane knows: only a person's link puts it in a history
    private = meeting(fake, "Lunch with a prospect", NOW - dt.timedelta(days=80), attendee="someone@unknown.example")
    with UnitOfWork(session_factory) as uow:
        opportunity = uow.session.scalars(sa.select(Opportunity).where(Opportunity.workspace_id == workspace_id)).first()
        client = graph.client_for_mailbox(uow.session.get(Mailbox, mailbox_id))
        link_from_mailbox(uow.session, opportunity, client, item_id=private["id"], item_id_format="immutable",
                          item_type="event", mailbox_address="demo@contoso.com")
        uow.commit()
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    # its date corrected to long ago, out of the window: the delta says @removed, Graph still has it
    fake.mailbox.update_event(private["id"], {"start": {"dateTime": "2026-01-05T12:00:00", "timeZone": "UTC"},
                                              "end": {"dateTime": "2026-01-05T13:00:00", "timeZone": "UTC"}})
    assert sync(session_factory, graph, mailbox_id, clock).resources["calendar"] == 1
    clock.now += dt.timedelta(days=30)  # and the window moves on
    sync(session_factory, graph, mailbox_id, clock)
    item = stored(session_factory, graph_id=private["id"])
    assert item.removed_in_mailbox is False
    assert _links(session_factory, item.id)  # still in the opportunity's history


def test_the_calendar_window_is_re_anchored_as_time_passes_without_duplicates(session_factory, graph, fake,
                                                                              mailbox_id):
    far = NOW + dt.timedelta(days=364, hours=12)  # inside the first window only near its end
    later = meeting(fake, "Next year's review", NOW + dt.timedelta(days=380))  # outside the first window
    meeting(fake, "Review in a year", far)
    clock = Clock()
    fake.clear_requests()
    sync(session_factory, graph, mailbox_id, clock)
    first = calendar_windows(fake)
    assert first and len(set(first)) == 1
    assert stored(session_factory, graph_id=later["id"]) is None
    with session_factory() as session:
        count_before = session.scalar(sa.select(sa.func.count()).select_from(HistoryItem)
                                      .where(HistoryItem.kind == "appointment"))

    # the same day: the round goes on from its delta link, same window
    fake.clear_requests()
    clock.now += dt.timedelta(hours=6)
    sync(session_factory, graph, mailbox_id, clock)
    assert calendar_windows(fake) == []

    # 20 days on: a new round on a window around the new today
    fake.clear_requests()
    clock.now = NOW + dt.timedelta(days=20)
    sync(session_factory, graph, mailbox_id, clock)
    windows = calendar_windows(fake)
    assert len(set(windows)) == 1 and windows[0] != first[0]
    assert windows[0][0].startswith((clock.now - dt.timedelta(days=90)).strftime("%Y-%m-%d"))
    assert stored(session_factory, graph_id=later["id"]) is not None  # now inside the window
    with session_factory() as session:
        count_after = session.scalar(sa.select(sa.func.count()).select_from(HistoryItem)
                                     .where(HistoryItem.kind == "appointment"))
        uids = list(session.scalars(sa.select(HistoryItem.ical_uid).where(HistoryItem.kind == "appointment")))
        window_row = session.get(SyncCursor, (mailbox_id, "calendar"))
    assert count_after == count_before + 1  # the newcomer, and no copy of the others
    assert len(uids) == len(set(uids))
    assert window_row.window_start == clock.now - dt.timedelta(days=90)


def test_an_item_set_aside_is_shown_in_the_sync_status(session_factory, graph, fake, mailbox_id, app_for_sync):
    bad = new_message(fake, "Broken recipients", "megan.bowen@fabrikam.com", toRecipients="not a list")
    sync(session_factory, graph, mailbox_id)
    client = app_for_sync.test_client()
    answer = client.get("/api/v1/sync/status", headers={"X-Dev-User": "demo@contoso.com"})
    assert answer.status_code == 200
    (mine,) = [m for m in answer.get_json()["items"] if m["mailbox"] == "demo@contoso.com"]
    (aside,) = mine["set_aside"]
    assert aside["item_id"] == bad["id"] and aside["resource"] == "mail:inbox" and aside["attempts"] == 1
    assert aside["error"].startswith("AttributeError")


# ---- 4. recurring meetings ---------------------------------------------------------------------------------

def weekly_with_customer(fake, first: dt.date, *, organizer="megan.bowen@fabrikam.com", count=30):
    """A weekly 09:00 meeting the customer organizes, Diego attending."""
    return fake.mailbox.add_event({
        "subject": "Fabrikam weekly", "isOrganizer": organizer == "demo@contoso.com",
        "organizer": {"emailAddress": {"name": organizer, "address": organizer}},
        "attendees": [{"emailAddress": {"name": "Diego", "address": "demo@contoso.com"}, "type": "required"},
                      {"emailAddress": {"name": "Megan", "address": "megan.bowen@fabrikam.com"}, "type": "required"}],
        "start": {"dateTime": f"{first.isoformat()}T09:00:00", "timeZone": "UTC"},
        "end": {"dateTime": f"{first.isoformat()}T10:00:00", "timeZone": "UTC"},
        "recurrence": {"pattern": {"type": "daily", "interval": 7},
                       "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": count}}})


def series_items(session_factory, series_id) -> list[HistoryItem]:
    with session_factory() as session:
        return list(session.scalars(sa.select(HistoryItem).where(HistoryItem.series_id == series_id)
                                    .order_by(HistoryItem.starts_at)))


def test_a_weekly_meeting_shows_its_held_occurrences_and_only_the_next_one(session_factory, graph, fake, mailbox_id):
    """https://learn.microsoft.com/graph/delta-query-events: calendarView delta returns each occurrence as
    an item with seriesMasterId; iCalUId differs per occurrence (https://learn.microsoft.com/graph/api/resources/event)."""
    first = (NOW - dt.timedelta(days=27)).date()
    series = weekly_with_customer(fake, first)
    clock = Clock()
    assert sync(session_factory, graph, mailbox_id, clock).status == "ok"
    items = series_items(session_factory, series["id"])
    starts = [i.starts_at.date() for i in items]
    assert starts == [first + dt.timedelta(days=7 * n) for n in range(5)]  # 4 held, then the next one
    assert sum(1 for i in items if i.starts_at > clock.now) == 1
    assert len({i.ical_uid for i in items}) == 5
    assert all(i.subject == "Fabrikam weekly" and i.from_address == "megan.bowen@fabrikam.com" for i in items)
    with session_factory() as session:  # in Megan's history, each once
        megan = contact_id(session_factory, "megan.bowen@fabrikam.com")
        linked = session.scalar(sa.select(sa.func.count()).select_from(HistoryLink).where(
            HistoryLink.contact_id == megan, HistoryLink.item_id.in_([i.id for i in items])))
        assert linked == 5

    # a week later the held one stays, and the following one becomes the next
    clock.now += dt.timedelta(days=7)
    sync(session_factory, graph, mailbox_id, clock)
    items = series_items(session_factory, series["id"])
    assert [i.starts_at.date() for i in items] == [first + dt.timedelta(days=7 * n) for n in range(6)]
    assert sum(1 for i in items if i.starts_at > clock.now) == 1


def test_an_exception_keeps_its_own_changes_and_a_cancelled_occurrence_shows_as_cancelled(
        session_factory, graph, fake, mailbox_id):
    first = (NOW - dt.timedelta(days=27)).date()
    series = weekly_with_customer(fake, first)
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    held = fake.mailbox.occurrence_id(series["id"], first + dt.timedelta(days=7))
    fake.mailbox.update_event(held, {"subject": "Fabrikam weekly – pricing special",
                                     "location": {"displayName": "Fabrikam HQ"}})
    upcoming = fake.mailbox.occurrence_id(series["id"], first + dt.timedelta(days=28))
    fake.mailbox.cancelled_by_organizer(upcoming)
    sync(session_factory, graph, mailbox_id, clock)
    by_day = {i.starts_at.date(): i for i in series_items(session_factory, series["id"])}
    assert by_day[first + dt.timedelta(days=7)].subject == "Fabrikam weekly – pricing special"
    assert by_day[first + dt.timedelta(days=7)].location == "Fabrikam HQ"
    assert by_day[first].subject == "Fabrikam weekly" and by_day[first].location is None
    cancelled = by_day[first + dt.timedelta(days=28)]
    assert cancelled.cancelled is True and cancelled.subject.startswith("Canceled: ")
    assert not any(i.cancelled for day, i in by_day.items() if day != first + dt.timedelta(days=28))


def test_an_occurrence_the_organizer_deleted_is_flagged_removed(session_factory, graph, fake, mailbox_id):
    first = (NOW - dt.timedelta(days=27)).date()
    series = weekly_with_customer(fake, first, organizer="demo@contoso.com")
    clock = Clock()
    sync(session_factory, graph, mailbox_id, clock)
    gone_day = first + dt.timedelta(days=14)
    fake.mailbox.delete_event(fake.mailbox.occurrence_id(series["id"], gone_day))
    sync(session_factory, graph, mailbox_id, clock)
    flagged = {i.starts_at.date(): i.removed_in_mailbox for i in series_items(session_factory, series["id"])}
    assert flagged[gone_day] is True
    assert [day for day, removed in flagged.items() if removed] == [gone_day]


def test_switching_keep_bodies_on_starts_a_new_mail_round_that_brings_the_bodies(session_factory, graph, fake,
                                                                                 mailbox_id):
    """A delta link replays the query its round began with (https://learn.microsoft.com/graph/delta-query-messages):
    without a new round, mail already synced would never get its body."""
    message = new_message(fake, "Body later", "megan.bowen@fabrikam.com",
                          body={"contentType": "text", "content": "The whole text."})
    sync(session_factory, graph, mailbox_id)
    assert stored(session_factory, graph_id=message["id"]).body is None
    with UnitOfWork(session_factory) as uow:
        uow.session.get(Mailbox, mailbox_id).keep_bodies = True
        uow.commit()
    report = sync(session_factory, graph, mailbox_id)
    assert report.status == "ok" and report.resyncs == 0
    assert stored(session_factory, graph_id=message["id"]).body == "The whole text."
    with session_factory() as session:
        rows = {c.resource: c for c in session.scalars(sa.select(SyncCursor).where(SyncCursor.mailbox_id == mailbox_id))}
    assert rows["mail:inbox"].full_syncs == 1 and rows["mail:inbox"].query
    with session_factory() as session:  # nothing doubled by the new round
        ids = list(session.scalars(sa.select(HistoryItem.internet_message_id).where(HistoryItem.kind == "email")))
    assert len(ids) == len(set(ids))
    # and the round after goes on from its delta link
    again = sync(session_factory, graph, mailbox_id)
    with session_factory() as session:
        assert session.get(SyncCursor, (mailbox_id, "mail:inbox")).full_syncs == 1
    assert again.status == "ok"


def test_an_outsider_cannot_file_mail_into_an_opportunity_with_our_old_header(session_factory, graph, fake,
                                                                             mailbox_id, workspace_id):
    from storage.models import Opportunity

    with session_factory() as session:
        opportunity_id = session.scalars(sa.select(Opportunity.id).where(Opportunity.workspace_id == workspace_id)).first()
    forged = new_message(fake, "Totally legit", "attacker@evil.example", internetMessageHeaders=[
        {"name": "x-dealpane-opportunity", "value": opportunity_id}])
    sync(session_factory, graph, mailbox_id)
    assert stored(session_factory, graph_id=forged["id"]) is None


# ---- security: history is not rewritten by a reused Message-ID -----------------------------------------------

def test_a_message_reusing_a_stored_message_id_from_another_sender_rewrites_nothing(session_factory, graph, fake,
                                                                                   mailbox_id):
    original = new_message(fake, "Signed order, 40 bikes", "megan.bowen@fabrikam.com",
                           internetMessageId="<order-40@fabrikam.com>")
    sync(session_factory, graph, mailbox_id)
    before = stored(session_factory, internet_message_id="<order-40@fabrikam.com>")
    links_before = _links(session_factory, before.id)
    # anyone can send mail with any Message-ID: from someone else, to a contact of another account
    new_message(fake, "Order cancelled, wire the refund here", "attacker@evil.example",
                to="lee.gu@northwindtraders.com", internetMessageId="<order-40@fabrikam.com>")
    # and one with the right sender (From can be forged) but another Date header
    new_message(fake, "Order cancelled", "megan.bowen@fabrikam.com", internetMessageId="<order-40@fabrikam.com>",
                sentDateTime="2026-11-26T15:00:00Z")
    assert sync(session_factory, graph, mailbox_id).status == "ok"
    after = stored(session_factory, internet_message_id="<order-40@fabrikam.com>")
    assert after.id == before.id and after.graph_id == original["id"]
    assert (after.subject, after.from_address, after.summary) == \
        ("Signed order, 40 bikes", "megan.bowen@fabrikam.com", "About Signed order, 40 bikes")
    assert _links(session_factory, after.id) == links_before  # not put in Northwind's history either


def test_the_same_mail_seen_from_two_mailboxes_is_one_history_item(session_factory, graph, fake, mailbox_id,
                                                                    workspace_id):
    """The sender's Sent Items copy and the recipient's copy share internetMessageId and sentDateTime
    (https://learn.microsoft.com/graph/api/resources/message: internetMessageId per RFC 2822)."""
    from graph_sync.fake import FakeGraph
    from graph_sync.fake.cli import DEMO_MAILBOX
    from storage.demo import DEMO_COLLEAGUE
    from storage.services.mailboxes import connect_mailbox

    new_message(fake, "Proposal v2", "demo@contoso.com", to="megan.bowen@fabrikam.com", folder="sentitems",
                internetMessageId="<proposal-v2@contoso.com>", sentDateTime="2026-11-26T09:59:00Z",
                receivedDateTime="2026-11-26T09:59:00Z")
    sync(session_factory, graph, mailbox_id)
    colleague = FakeGraph.from_file(DEMO_MAILBOX)
    colleague.start(port=0)
    try:
        colleague.mailbox.add_message({
            "subject": "Proposal v2", "from": {"emailAddress": {"address": "demo@contoso.com"}},
            "toRecipients": [{"emailAddress": {"address": "megan.bowen@fabrikam.com"}}],
            "ccRecipients": [{"emailAddress": {"address": "lee.gu@northwindtraders.com"}}],
            "internetMessageId": "<proposal-v2@contoso.com>", "sentDateTime": "2026-11-26T09:59:00Z",
            "receivedDateTime": "2026-11-26T10:03:41Z", "parentFolderId": "inbox"})
        from graph_sync.clients import GraphAccess, GraphSettings

        access = GraphAccess(GraphSettings(base_url=colleague.url, auth="dev", page_size=5), session_factory)
        with UnitOfWork(session_factory) as uow:
            other, _ = connect_mailbox(uow.session, workspace_id, DEMO_COLLEAGUE, "dev")
            uow.commit()
        try:
            assert sync(session_factory, access, other.id).status == "ok"
        finally:
            access.close()
    finally:
        colleague.stop()
    with session_factory() as session:
        items = list(session.scalars(sa.select(HistoryItem).where(
            HistoryItem.internet_message_id == "<proposal-v2@contoso.com>")))
        assert len(items) == 1
        northwind = session.scalar(sa.select(sa.func.count()).select_from(HistoryLink).where(
            HistoryLink.item_id == items[0].id, HistoryLink.account_id.is_not(None)))
    assert northwind >= 1  # the colleague's copy, cc'ing Northwind, added its link to the one item


def test_linking_from_the_pane_a_copy_that_reuses_a_message_id_is_refused(session_factory, graph, fake, mailbox_id,
                                                                          workspace_id):
    from graph_sync.linking import link_from_mailbox
    from storage.models import Opportunity
    from storage.services.mail import NotTheSameMessage

    new_message(fake, "Signed order", "megan.bowen@fabrikam.com", internetMessageId="<order-41@fabrikam.com>")
    sync(session_factory, graph, mailbox_id)
    forged = new_message(fake, "Wire the refund", "attacker@evil.example", internetMessageId="<order-41@fabrikam.com>")
    with UnitOfWork(session_factory) as uow:
        opportunity = uow.session.scalars(sa.select(Opportunity).where(Opportunity.workspace_id == workspace_id)).first()
        client = graph.client_for_mailbox(uow.session.get(Mailbox, mailbox_id))
        with pytest.raises(NotTheSameMessage):
            link_from_mailbox(uow.session, opportunity, client, item_id=forged["id"], item_id_format="immutable",
                              item_type="message", mailbox_address="demo@contoso.com")
    assert stored(session_factory, internet_message_id="<order-41@fabrikam.com>").subject == "Signed order"
