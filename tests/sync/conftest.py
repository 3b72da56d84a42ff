"""Sync tests: the real msgraph-sdk adapter against the fake Graph over loopback, real databases."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from graph_sync.clients import GraphAccess, GraphSettings
from graph_sync.worker import SyncWorker
from storage.db import UnitOfWork
from storage.demo import DEMO_OWNER, seed_demo
from storage.models import HistoryItem, HistoryLink, Mailbox
from storage.services.mailboxes import connect_mailbox


@pytest.fixture
def workspace_id(session_factory):
    with session_factory() as session:
        workspace, _ = seed_demo(session, today=dt.date(2026, 11, 27))
        session.commit()
        return workspace.id


@pytest.fixture
def mailbox_id(session_factory, workspace_id):
    with UnitOfWork(session_factory) as uow:
        mailbox, _ = connect_mailbox(uow.session, workspace_id, DEMO_OWNER, "dev")
        uow.commit()
        return mailbox.id


@pytest.fixture
def graph(fake, session_factory):
    access = GraphAccess(GraphSettings(base_url=fake.url, auth="dev", page_size=5), session_factory)
    yield access
    access.close()


@pytest.fixture
def worker(session_factory, graph, mailbox_id):
    return SyncWorker(session_factory, graph, interval=dt.timedelta(minutes=5))


def history_snapshot(session_factory) -> set[tuple]:
    """What a user would see: each stored item with the records it is linked to."""
    with session_factory() as session:
        rows = session.execute(
            sa.select(HistoryItem.kind, HistoryItem.internet_message_id, HistoryItem.ical_uid,
                      HistoryItem.removed_in_mailbox, HistoryLink.opportunity_id, HistoryLink.account_id,
                      HistoryLink.contact_id, HistoryLink.suppressed, HistoryItem.subject, HistoryItem.from_address,
                      HistoryItem.occurred_at)
            .join(HistoryLink, HistoryLink.item_id == HistoryItem.id, isouter=True)
            .where(HistoryItem.kind.in_(("email", "appointment"))))
        return set(rows)


def mailbox_row(session_factory, mailbox_id) -> Mailbox:
    with session_factory() as session:
        return session.get(Mailbox, mailbox_id)


@pytest.fixture
def app_for_sync(config, engine, graph):
    from addin.app import create_app

    app = create_app(config.with_(graph_auth="dev"), engine=engine, graph=graph)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    return app
