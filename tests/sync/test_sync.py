"""Background sync: mail and meetings with customers land in their history, once, whatever happens."""
import sqlalchemy as sa

from storage.models import ContactEmail, HistoryItem, HistoryLink, Mailbox, SyncCursor

from .conftest import history_snapshot, mailbox_row


def items_by_subject(session_factory) -> dict[str, HistoryItem]:
    with session_factory() as session:
        return {i.subject: i for i in session.scalars(sa.select(HistoryItem).where(HistoryItem.kind == "email"))}


def contact_id(session_factory, address) -> str:
    with session_factory() as session:
        return session.scalar(sa.select(ContactEmail.contact_id).where(ContactEmail.address == address))


def new_message(fake, subject, sender, to="demo@contoso.com", conversation=None, folder="inbox", **extra):
    body = {"subject": subject, "from": {"emailAddress": {"name": sender, "address": sender}},
            "toRecipients": [{"emailAddress": {"name": to, "address": to}}],
            "receivedDateTime": "2026-11-26T10:00:00Z", "sentDateTime": "2026-11-26T09:59:00Z",
            "bodyPreview": f"About {subject}", "parentFolderId": folder, **extra}
    if conversation:
        body["conversationId"] = conversation
    return fake.mailbox.add_message(body)


def test_first_sync_files_customer_mail_and_meetings_and_drops_the_rest(worker, session_factory, fake):
    reports = worker.run_once()
    assert [r.status for r in reports] == ["ok"]
    megan = contact_id(session_factory, "megan.bowen@fabrikam.com")
    with session_factory() as session:
        items = list(session.scalars(sa.select(HistoryItem).where(HistoryItem.kind.in_(("email", "appointment")))))
        assert items, "nothing was filed"
        people = {a for i in items for a in [i.from_address, *i.to_addresses, *i.cc_addresses] if a}
        customer_domains = {"fabrikam.com", "adventure-works.com", "northwindtraders.com", "tailspintoys.com",
                            "litware.com"}
        # every stored item involves a known contact or an account's domain
        assert all(any(p.split("@")[1] in customer_domains or p == "grady.archie@outlook.com"
                       for p in [i.from_address, *i.to_addresses, *i.cc_addresses] if p) for i in items)
        linked_to_megan = session.scalar(sa.select(sa.func.count()).select_from(HistoryLink)
                                         .where(HistoryLink.contact_id == megan))
        assert linked_to_megan >= 1
        assert any(i.kind == "appointment" for i in items)
        assert people  # sanity
    raw = fake.mailbox.to_dict()["messages"]
    unrelated = [m for m in raw if (m.get("from") or {}).get("emailAddress", {}).get("address", "").endswith(
        ("newsletter.example", "contoso-news.example")) or "newsletter" in (m.get("subject") or "").lower()]
    stored_ids = {i.internet_message_id for i in items}
    assert not any(m.get("internetMessageId") in stored_ids for m in unrelated)


def test_every_request_asks_for_immutable_ids(worker, fake):
    worker.run_once()
    graph_calls = [r for r in fake.requests() if r["path"].startswith("/v1.0/")]
    assert graph_calls
    assert all('IdType="ImmutableId"' in r["headers"].get("Prefer", "") for r in graph_calls)


def test_incremental_sync_adds_only_what_changed_and_nothing_twice(worker, session_factory, fake, mailbox_id):
    worker.run_once()
    before = history_snapshot(session_factory)
    worker.run_once("demo@contoso.com")
    assert history_snapshot(session_factory) == before  # a second round with no changes changes nothing
    new_message(fake, "Fabrikam order volume", "megan.bowen@fabrikam.com")
    worker.run_once("demo@contoso.com")
    added = history_snapshot(session_factory) - before
    assert {row[0] for row in added} == {"email"} and len({row[1] for row in added}) == 1


def test_a_reply_in_a_linked_conversation_follows_the_opportunity(worker, session_factory, fake):
    worker.run_once()
    with session_factory() as session:
        item = session.scalars(sa.select(HistoryItem).where(HistoryItem.kind == "email",
                                                            HistoryItem.conversation_id.is_not(None))).first()
        from storage.models import Opportunity
        opportunity = session.scalars(sa.select(Opportunity)).first()
        item.links.append(HistoryLink(opportunity_id=opportunity.id, origin="manual", reason="test"))
        conversation, opportunity_id = item.conversation_id, opportunity.id
        session.commit()
    reply = new_message(fake, "RE: follow-up", "someone.new@unknown-company.example", conversation=conversation)
    worker.run_once("demo@contoso.com")
    with session_factory() as session:
        stored = session.scalar(sa.select(HistoryItem).where(
            HistoryItem.internet_message_id == reply["internetMessageId"]))
        assert stored is not None
        assert [l.opportunity_id for l in stored.links if l.opportunity_id] == [opportunity_id]
        assert stored.links[0].origin == "auto"


def test_the_never_log_list_keeps_a_contact_out_of_history(worker, session_factory, fake, mailbox_id):
    with session_factory() as session:
        session.get(Mailbox, mailbox_id).never_log = ["fabrikam.com"]
        session.commit()
    worker.run_once()
    with session_factory() as session:
        stored = session.scalars(sa.select(HistoryItem.from_address)).all()
    assert not any((a or "").endswith("@fabrikam.com") for a in stored)


def test_a_removed_message_is_flagged_not_deleted_and_a_move_is_not_a_removal(worker, session_factory, fake):
    keep = new_message(fake, "Moved later", "lee.gu@northwindtraders.com")
    gone = new_message(fake, "Deleted later", "lee.gu@northwindtraders.com")
    worker.run_once()
    fake.mailbox.update_message(keep["id"], {"parentFolderId": "archive"})
    fake.mailbox.delete_message(gone["id"])
    worker.run_once("demo@contoso.com")
    items = items_by_subject(session_factory)
    assert items["Deleted later"].removed_in_mailbox is True
    assert items["Moved later"].removed_in_mailbox is False


def test_an_expired_cursor_means_a_full_resync_without_duplicates(worker, session_factory, fake, mailbox_id):
    worker.run_once()
    before = history_snapshot(session_factory)
    fake.expire_tokens()
    new_message(fake, "After expiry", "pradeep.gupta@tailspintoys.com")
    reports = worker.run_once("demo@contoso.com")
    assert reports[0].status == "ok" and reports[0].resyncs >= 1
    after = history_snapshot(session_factory)
    assert before < after and len({row[1] for row in after - before}) == 1  # one new message, its links
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.max(SyncCursor.full_syncs))) >= 1


def test_throttling_is_waited_out_and_the_sync_continues(worker, session_factory, fake):
    fake.add_fault(match="/messages/delta", status=429, times=2, retry_after=0.2)
    fake.add_fault(match="/calendarView/delta", status=503, times=1, retry_after=0.1)
    reports = worker.run_once()
    assert reports[0].status == "ok"
    statuses = [r for r in fake.requests() if "/delta" in r["path"]]
    assert len(statuses) >= 3


def test_a_dropped_connection_is_retried(worker, session_factory, fake):
    fake.add_fault(match="/messages/delta", drop=True, times=1)
    assert worker.run_once()[0].status == "ok"
    assert items_by_subject(session_factory)


def test_an_expired_token_marks_the_mailbox_needs_sign_in(worker, session_factory, fake, mailbox_id):
    fake.add_fault(match="/delta", status=401, times=10)
    report = worker.run_once()[0]
    assert report.status == "needs_sign_in"
    mailbox = mailbox_row(session_factory, mailbox_id)
    assert mailbox.status == "needs_sign_in" and "pane" in mailbox.status_detail
    assert worker.run_once() == []  # not claimed again until someone signs in


def test_replaying_a_page_changes_nothing(worker, session_factory, fake, mailbox_id, graph):
    from graph_sync.sync import MailboxSync

    worker.run_once()
    before = history_snapshot(session_factory)
    client = graph.client_for_mailbox(mailbox_row(session_factory, mailbox_id))
    sync = MailboxSync(session_factory, client, mailbox_id)
    page = client.delta_messages("inbox")
    sync._apply("mail:inbox", "message", page)  # the same page again, as after a crash
    assert history_snapshot(session_factory) == before


def test_the_same_message_in_two_mailboxes_is_one_history_item(worker, session_factory, fake, workspace_id):
    from storage.db import UnitOfWork
    from storage.services.mailboxes import connect_mailbox

    with UnitOfWork(session_factory) as uow:
        connect_mailbox(uow.session, workspace_id, "alex.wilber@contoso.com", "dev")  # same fake mailbox behind it
        uow.commit()
    worker.run_once()
    with session_factory() as session:
        ids = session.scalars(sa.select(HistoryItem.internet_message_id).where(HistoryItem.kind == "email")).all()
    assert len(ids) == len(set(ids))


def test_sync_status_shows_each_mailbox(worker, app_for_sync):
    worker.run_once()
    client = app_for_sync.test_client()
    status = client.get("/api/v1/sync/status", headers={"X-Dev-User": "demo@contoso.com"}).get_json()
    (row,) = status["items"]
    assert row["mailbox"] == "demo@contoso.com" and row["status"] == "ok"
    assert row["items_synced"] > 0 and row["last_sync_at"]
    assert {c["resource"] for c in row["cursors"]} >= {"mail:inbox", "mail:sentitems", "calendar"}


def test_contacts_match_case_insensitively(worker, session_factory, fake):
    new_message(fake, "Shouting sender", "MEGAN.BOWEN@FABRIKAM.COM")
    worker.run_once()
    items = items_by_subject(session_factory)
    megan = contact_id(session_factory, "megan.bowen@fabrikam.com")
    assert megan in {l.contact_id for l in items["Shouting sender"].links}


def test_a_manual_unlink_survives_a_resync(worker, session_factory, fake):
    from storage.services.history import unlink
    from storage.models import Opportunity

    worker.run_once()
    with session_factory() as session:
        item = session.scalars(sa.select(HistoryItem).where(HistoryItem.kind == "email")).first()
        opportunity = session.scalars(sa.select(Opportunity)).first()
        item.links.append(HistoryLink(opportunity_id=opportunity.id, origin="manual", reason="test"))
        session.commit()
        unlink(session, opportunity, item.id)
        session.commit()
        item_id, opportunity_id = item.id, opportunity.id
    fake.expire_tokens()
    worker.run_once("demo@contoso.com")
    with session_factory() as session:
        link = session.scalar(sa.select(HistoryLink).where(HistoryLink.item_id == item_id,
                                                           HistoryLink.opportunity_id == opportunity_id))
        assert link is not None and link.suppressed

