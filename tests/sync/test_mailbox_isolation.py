"""One mailbox never stops the others: whatever breaks one mailbox is recorded on it (status, message,
time) and the pass goes on; `dealpane sync --once` reports each mailbox and fails only for its own errors."""
import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from graph_sync.clients import GraphAccess, GraphSettings
from graph_sync.msgraph_adapter import MsGraphClient
from graph_sync.state import ERROR_FIRST_WAIT, ERROR_MAX_WAIT
from graph_sync.worker import SyncWorker
from storage.db import UnitOfWork
from storage.demo import DEMO_OWNER
from storage.models import HistoryItem, Mailbox, ReminderTask, SyncCursor
from storage.services.mailboxes import connect_mailbox
from storage.types import utcnow
from tests.conftest import demo_fake

BROKEN = "broken@contoso.com"


class Exploding(MsGraphClient):
    """A client whose mail delta raises what no one expected (a bug of ours, say)."""

    error: BaseException = RuntimeError("boom: an unexpected bug")

    def delta_messages(self, *args, **kwargs):
        raise type(self).error


@pytest.fixture
def broken_fake():
    """A second fake Graph, for the broken mailbox only: faults there touch no one else."""
    with demo_fake() as graph:
        yield graph


@pytest.fixture
def clock():
    return {"now": utcnow().replace(microsecond=0)}


@pytest.fixture
def two_mailboxes(session_factory, workspace_id, mailbox_id, clock):
    """The demo mailbox and BROKEN, both due; BROKEN is claimed first."""
    with UnitOfWork(session_factory) as uow:
        broken, _ = connect_mailbox(uow.session, workspace_id, BROKEN, "dev")
        broken.next_sync_at = clock["now"] - dt.timedelta(minutes=2)
        uow.session.get(Mailbox, mailbox_id).next_sync_at = clock["now"] - dt.timedelta(minutes=1)
        uow.commit()
        return broken.id, mailbox_id


def make_access(session_factory, fake, broken_factory):
    """Every mailbox on `fake` except BROKEN, whose client comes from `broken_factory`."""

    def factory(base_url, token_provider, **kwargs):
        if kwargs.get("limit_key") == BROKEN:
            return broken_factory(base_url, token_provider, **kwargs)
        return MsGraphClient(base_url, token_provider, **kwargs)

    return GraphAccess(GraphSettings(base_url=fake.url, auth="dev", page_size=5), session_factory,
                       client_factory=factory)


def on(fake_graph, status):
    """BROKEN's client talks to `fake_graph`, which answers `status` to every delta."""
    fake_graph.add_fault(match="/delta", status=status, times=1000)
    return lambda base_url, token_provider, **kw: MsGraphClient(fake_graph.url, token_provider, **kw)


def row(session_factory, mailbox_id) -> Mailbox:
    with session_factory() as session:
        return session.get(Mailbox, mailbox_id)


def assert_synced_completely(session_factory, fake, mailbox_id, report):
    """Every resource's delta round finished, every message counted, the customers' mail stored,
    the To Do tasks made."""
    assert report.status == "ok" and report.error is None
    data = fake.mailbox.to_dict()
    folders = {f["wellKnownName"]: f["id"] for f in data["mailFolders"] if f.get("wellKnownName")}
    for name in ("inbox", "sentitems"):
        assert report.resources[f"mail:{name}"] == sum(m["parentFolderId"] == folders[name] for m in data["messages"])
    assert report.resources["calendar"] > 0
    with session_factory() as session:
        cursors = {c.resource: c for c in session.scalars(
            sa.select(SyncCursor).where(SyncCursor.mailbox_id == mailbox_id))}
        assert {"mail:inbox", "mail:sentitems", "calendar"} <= set(cursors)
        assert all(not c.in_round and "deltatoken" in (c.cursor or "") for c in cursors.values()), cursors
        assert any(r.startswith("todo:") for r in cursors)
        stored = set(session.scalars(sa.select(HistoryItem.internet_message_id).where(HistoryItem.kind == "email")))
        fabrikam = {m["internetMessageId"] for m in data["messages"]
                    if (m.get("from") or {}).get("emailAddress", {}).get("address", "").endswith("@fabrikam.com")}
        assert fabrikam and fabrikam <= stored
        tasks = session.scalar(sa.select(sa.func.count()).select_from(ReminderTask).where(
            ReminderTask.mailbox_id == mailbox_id, ReminderTask.task_id.is_not(None)))
        assert tasks > 0
        mailbox = session.get(Mailbox, mailbox_id)
        assert mailbox.status == "ok" and mailbox.errors == 0 and mailbox.last_sync_at is not None


@pytest.mark.parametrize("breakage,status,says", [
    ("exception", "error", "RuntimeError: boom: an unexpected bug"),
    (400, "error", "Graph answered 400"),
    (403, "missing_permission", "Mail.Read"),
    (401, "needs_sign_in", "Graph answered 401"),
])
def test_one_broken_mailbox_and_the_other_is_synced_completely(session_factory, fake, broken_fake, two_mailboxes,
                                                               clock, breakage, status, says):
    broken_id, healthy_id = two_mailboxes
    factory = Exploding if breakage == "exception" else on(broken_fake, breakage)
    access = make_access(session_factory, fake, factory)
    try:
        reports = SyncWorker(session_factory, access, now=lambda: clock["now"]).run_once()
    finally:
        access.close()
    assert [r.mailbox for r in reports] == [BROKEN, DEMO_OWNER]  # the broken one first, then the other
    assert reports[0].status == status and says in reports[0].error
    assert_synced_completely(session_factory, fake, healthy_id, reports[1])

    broken = row(session_factory, broken_id)
    assert broken.status == status
    assert broken.last_error.startswith(f"{status}: ") and says in broken.last_error
    assert broken.last_error_at == clock["now"] and broken.errors == 1
    assert broken.status_detail and broken.last_sync_at is None and broken.items_synced == 0
    assert broken.lease_owner is None  # released
    if status == "error":
        assert broken.status_detail == f"Sync failed: {reports[0].error}. Dealpane tries again in 5 min."
        assert broken.next_sync_at == clock["now"] + ERROR_FIRST_WAIT
    if status == "missing_permission":
        assert broken.next_sync_at == clock["now"] + dt.timedelta(hours=1)


def test_a_mailbox_in_error_is_retried_with_a_growing_wait_and_recovers(session_factory, fake, two_mailboxes, clock):
    broken_id, _ = two_mailboxes
    failing = {"on": True}

    def factory(base_url, token_provider, **kw):
        return (Exploding if failing["on"] else MsGraphClient)(base_url, token_provider, **kw)

    access = make_access(session_factory, fake, factory)
    worker = SyncWorker(session_factory, access, now=lambda: clock["now"])
    try:
        waits = []
        for _ in range(9):
            reports = worker.run_once(BROKEN)
            assert [r.status for r in reports] == ["error"]
            broken = row(session_factory, broken_id)
            waits.append(broken.next_sync_at - clock["now"])
            clock["now"] = broken.next_sync_at  # due again exactly then
        minutes = [int(w.total_seconds() // 60) for w in waits]
        assert minutes == [5, 10, 20, 40, 80, 160, 320, 360, 360]
        assert waits[-1] == ERROR_MAX_WAIT and broken.errors == 9
        assert "tries again in 6 h" in broken.status_detail

        access.close()  # the bug is fixed (a deploy): the next run works and the mailbox is ok again
        failing["on"] = False
        reports = worker.run_once(BROKEN)
        assert [r.status for r in reports] == ["ok"]
        fixed = row(session_factory, broken_id)
        assert fixed.status == "ok" and fixed.status_detail == "" and fixed.last_sync_at == clock["now"]
        assert fixed.next_sync_at == clock["now"] + worker.interval
    finally:
        access.close()


def test_our_own_database_failing_ends_the_pass(session_factory, fake, two_mailboxes, clock):
    broken_id, healthy_id = two_mailboxes

    class DatabaseGone(Exploding):
        error = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    access = make_access(session_factory, fake, DatabaseGone)
    try:
        with pytest.raises(sa.exc.OperationalError):
            SyncWorker(session_factory, access, now=lambda: clock["now"]).run_once()
    finally:
        access.close()
    assert row(session_factory, healthy_id).last_sync_at is None  # not this mailbox's fault, but the pass stopped
    broken = row(session_factory, broken_id)
    assert broken.status == "ok" and broken.errors == 0 and broken.lease_owner is None  # not blamed, released


def test_a_to_do_list_that_stays_gone_fails_the_mailbox_once_and_does_not_loop(session_factory, fake, worker,
                                                                               mailbox_id):
    assert [r.status for r in worker.run_once()] == ["ok"]
    fake.clear_requests()
    fake.add_fault(match="/tasks/delta", status=404, times=1000)  # the list answers 404 whatever we do
    with UnitOfWork(session_factory) as uow:
        uow.session.get(Mailbox, mailbox_id).next_sync_at = None
        uow.commit()
    reports = worker.run_once()
    assert [r.status for r in reports] == ["error"] and "Graph answered 404" in reports[0].error
    deltas = [r for r in fake.requests() if "/tasks/delta" in r["path"]]
    assert len(deltas) == 2  # the known list, then the list found again by name: then it stops
    stopped = row(session_factory, mailbox_id)
    assert stopped.status == "error" and stopped.last_sync_at is not None  # the mail part did sync
    assert "Graph answered 404" in stopped.status_detail


# ---- dealpane sync --once ------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, config, fake):
    import os

    for name in list(os.environ):
        if name.startswith("DEALPANE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEALPANE_DATABASE_URL", config.database_url)
    monkeypatch.setenv("DEALPANE_GRAPH_AUTH", "dev")
    monkeypatch.setenv("DEALPANE_AUTH_MODE", "dev")
    monkeypatch.setenv("DEALPANE_GRAPH_BASE_URL", fake.url)
    return monkeypatch


def run_cli(*args):
    from addin.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_sync_once_reports_each_mailbox_and_exits_0_when_one_failed(cli_env, session_factory, workspace_id,
                                                                     mailbox_id):
    with UnitOfWork(session_factory) as uow:  # a folder Graph does not have: that mailbox's delta fails
        broken, _ = connect_mailbox(uow.session, workspace_id, BROKEN, "dev")
        broken.folders = ["no-such-folder"]
        uow.commit()
    code, out, err = run_cli("sync", "--once")
    assert code == 0, err
    lines = {line.split(":")[0]: line for line in out.splitlines() if line.split(":")[0] in (BROKEN, DEMO_OWNER)}
    assert lines[DEMO_OWNER].startswith(f"{DEMO_OWNER}: ok, ")
    assert " 0 items seen" not in lines[DEMO_OWNER] and "(" not in lines[DEMO_OWNER]
    assert lines[BROKEN].startswith(f"{BROKEN}: error, 0 pages, 0 items seen, 0 stored, 0 links (")
    assert "no-such-folder" in lines[BROKEN]
    assert row(session_factory, broken.id).status == "error"
    assert row(session_factory, mailbox_id).status == "ok"


def test_sync_once_exits_1_for_missing_settings_after_syncing_the_others(cli_env, session_factory, workspace_id,
                                                                         mailbox_id):
    with UnitOfWork(session_factory) as uow:  # application mode, but no app settings in this deployment
        connect_mailbox(uow.session, workspace_id, "shared@contoso.com", "application")
        uow.commit()
    code, out, err = run_cli("sync", "--once")
    assert code == 1
    assert f"{DEMO_OWNER}: ok, " in out and "shared@contoso.com: error, " in out
    assert "configuration: application Graph access needs DEALPANE_CLIENT_ID" in err


def test_sync_once_exits_1_when_the_database_is_unreachable(cli_env, tmp_path):
    cli_env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    code, out, err = run_cli("sync", "--once")
    assert code == 1 and "database unreachable" in err and out == ""
