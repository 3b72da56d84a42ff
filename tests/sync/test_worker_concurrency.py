"""One worker process syncs several mailboxes at once (issue 20): the dispatcher claims up to its free
slots in one statement and runs them in a pool; two dispatching workers never sync one mailbox at
once; stop() releases the leases of passes still running; `dealpane sync --concurrency`."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from graph_sync.worker import SyncWorker
from storage.db import UnitOfWork
from storage.models import Mailbox
from storage.services.mailboxes import connect_mailbox

from .conftest import mailbox_row

WAIT = 60  # seconds: only a guard against a hang, never a measure


def add_mailboxes(session_factory, workspace_id, count: int) -> list[str]:
    with UnitOfWork(session_factory) as uow:
        ids = [connect_mailbox(uow.session, workspace_id, f"rep{n:02d}@contoso.com", "dev")[0].id
               for n in range(count)]
        uow.commit()
    return ids


class Watched(SyncWorker):
    """Records, per mailbox, the passes under way: two at once is a failure, found at the second's start."""

    def __init__(self, *args, board, **kwargs):
        super().__init__(*args, **kwargs)
        self.board = board

    def sync_one(self, mailbox, parts=None):
        self.board.start(mailbox.id, self.name)
        try:
            return super().sync_one(mailbox, parts)
        finally:
            self.board.end(mailbox.id)


class Board:
    def __init__(self, meet: int = 0):
        self.lock = threading.Lock()
        self.running: dict[str, str] = {}
        self.passes: list[tuple[str, str]] = []
        self.overlaps: list[str] = []
        self.peak = 0
        self.barrier = threading.Barrier(meet, timeout=WAIT) if meet else None
        self.all_done = threading.Event()
        self.expected = 0

    def start(self, mailbox_id: str, worker: str) -> None:
        with self.lock:
            if mailbox_id in self.running:
                self.overlaps.append(mailbox_id)
            self.running[mailbox_id] = worker
            self.passes.append((mailbox_id, worker))
            self.peak = max(self.peak, len(self.running))
            meet = self.barrier is not None and len(self.passes) <= self.barrier.parties
        if meet:  # the first passes wait for each other: they can all be under way only if run at once
            self.barrier.wait()

    def end(self, mailbox_id: str) -> None:
        with self.lock:
            self.running.pop(mailbox_id, None)
            if self.expected and len(self.passes) >= self.expected and not self.running:
                self.all_done.set()


def run_in_thread(worker: SyncWorker, **options) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, kwargs=options, daemon=True)
    thread.start()
    return thread


def run_until_all_done(worker: SyncWorker, board: "Board") -> threading.Thread:
    """Run the dispatcher until the board has seen every pass it expects, then stop it."""
    thread = run_in_thread(worker)
    try:
        assert board.all_done.wait(WAIT)
    finally:
        worker.stop()
        thread.join(WAIT)
    return thread


def test_one_worker_syncs_n_mailboxes_at_once(session_factory, graph, workspace_id, mailbox_id):
    ids = add_mailboxes(session_factory, workspace_id, 5) + [mailbox_id]
    board = Board(meet=3)
    board.expected = len(ids)
    worker = Watched(session_factory, graph, board=board, interval=dt.timedelta(hours=1), concurrency=3, poll=0.05)
    thread = run_until_all_done(worker, board)
    assert not thread.is_alive()
    assert board.peak == 3 and not board.overlaps  # three at once (the barrier met), never more
    assert sorted(m for m, _ in board.passes) == sorted(ids)  # each once
    with session_factory() as session:
        rows = list(session.scalars(sa.select(Mailbox)))
    assert all(m.status == "ok" and m.last_sync_at and m.lease_owner is None for m in rows)


def test_two_dispatching_workers_never_sync_one_mailbox_at_once(session_factory, graph, workspace_id, mailbox_id):
    ids = add_mailboxes(session_factory, workspace_id, 9) + [mailbox_id]
    board = Board()
    board.expected = len(ids)
    workers = [Watched(session_factory, graph, board=board, name=f"w{n}", interval=dt.timedelta(hours=1),
                       concurrency=3, poll=0.02) for n in range(2)]
    threads = [run_in_thread(w) for w in workers]
    try:
        assert board.all_done.wait(WAIT)
    finally:
        for w in workers:
            w.stop()
        for t in threads:
            t.join(WAIT)
    assert not board.overlaps
    assert sorted(m for m, _ in board.passes) == sorted(ids)  # each exactly once, by one of them


def test_claim_many_takes_up_to_k_due_mailboxes_in_one_go(session_factory, graph, workspace_id, mailbox_id):
    ids = set(add_mailboxes(session_factory, workspace_id, 4)) | {mailbox_id}
    first = SyncWorker(session_factory, graph, name="first")
    second = SyncWorker(session_factory, graph, name="second")
    taken = first.claim_many(3)
    assert len(taken) == 3 and all(m.lease_owner == "first" for m in taken)
    rest = second.claim_many(10)
    assert len(rest) == 2 and {m.id for m in taken} | {m.id for m in rest} == ids
    assert first.claim_many(10) == [] and second.claim_many(0) == []
    with session_factory() as session:
        owners = dict(session.execute(sa.select(Mailbox.id, Mailbox.lease_owner)).all())
    assert sorted(owners.values()) == ["first"] * 3 + ["second"] * 2


def test_stop_releases_the_leases_of_passes_still_running(session_factory, graph, mailbox_id):
    in_page, go_on = threading.Event(), threading.Event()
    reports = []

    def slow_page(resource, result) -> None:
        in_page.set()
        go_on.wait(WAIT)

    class Recording(SyncWorker):
        def sync_one(self, mailbox, parts=None):
            reports.append(super().sync_one(mailbox, parts))
            return reports[-1]

    worker = Recording(session_factory, graph, on_page=slow_page, concurrency=2, poll=0.05, shutdown_grace=0.1)
    thread = run_in_thread(worker)
    assert in_page.wait(WAIT)  # a pass is under way, holding the lease
    assert mailbox_row(session_factory, mailbox_id).lease_owner == worker.name
    worker.stop()
    thread.join(WAIT)
    assert not thread.is_alive()  # the dispatcher did not wait for the pass
    assert mailbox_row(session_factory, mailbox_id).lease_owner is None  # its lease is free for others
    go_on.set()
    for _ in range(WAIT * 20):  # the abandoned pass stops at its next page, writing nothing more
        if reports:
            break
        threading.Event().wait(0.05)
    assert reports and reports[0].status == "lease_lost"


@pytest.fixture
def cli_env(engine, monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("DEALPANE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DEALPANE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DEALPANE_GRAPH_AUTH", "dev")
    monkeypatch.setenv("DEALPANE_AUTH_MODE", "dev")
    started = []
    monkeypatch.setattr(SyncWorker, "run_forever", lambda self, *a, **k: started.append(self))
    return monkeypatch, started


def test_the_sync_command_takes_the_concurrency_from_its_flag_or_the_environment(cli_env):
    from addin.cli import main

    monkeypatch, started = cli_env
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    assert (started[-1].concurrency, started[-1].poll) == (4, 1.0)
    assert started[-1].safety_interval == dt.timedelta(hours=4) and started[-1].interval == dt.timedelta(minutes=5)
    assert "4 mailboxes at once" in result.output
    monkeypatch.setenv("DEALPANE_SYNC_CONCURRENCY", "12")
    monkeypatch.setenv("DEALPANE_SYNC_POLL_SECONDS", "0.25")
    monkeypatch.setenv("DEALPANE_SYNC_SAFETY_INTERVAL_SECONDS", "7200")
    assert CliRunner().invoke(main, ["sync"]).exit_code == 0
    assert (started[-1].concurrency, started[-1].poll) == (12, 0.25)
    assert started[-1].safety_interval == dt.timedelta(hours=2)
    assert CliRunner().invoke(main, ["sync", "--concurrency", "7"]).exit_code == 0
    assert started[-1].concurrency == 7  # the flag wins
    refused = CliRunner().invoke(main, ["sync", "--concurrency", "0"])
    assert refused.exit_code == 1 and "at least 1" in refused.output
    monkeypatch.setenv("DEALPANE_SYNC_CONCURRENCY", "many")
    refused = CliRunner().invoke(main, ["sync"])
    assert refused.exit_code == 1 and "configuration" in refused.output
    assert len(started) == 3


def test_application_mailboxes_share_one_token_and_one_http_pipeline(entra_world, engine, session_factory):
    """Many application-mode mailboxes synced at once: one client-credentials token for the tenant
    (MSAL's cache), one connection pool (msgraph_adapter.build_http), a small client each."""
    from graph_sync.clients import GraphAccess
    from storage.models import Workspace
    from tests.entra_fixtures import ALL_APP_ROLES, DEMO_OWNER_UPN, TENANT

    fake = entra_world.graph()
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    with UnitOfWork(session_factory) as uow:  # the same mailbox in six workspaces: six mailboxes to sync
        for n in range(6):
            workspace = Workspace(name=f"Team {n}", currency="USD")
            uow.session.add(workspace)
            uow.session.flush()
            connect_mailbox(uow.session, workspace.id, DEMO_OWNER_UPN, "application")
        uow.commit()
    access = GraphAccess(entra_world.config(engine, fake.url, graph_auth="application").graph_settings(),
                         session_factory)
    board = Board(meet=3)
    board.expected = 6
    worker = Watched(session_factory, access, board=board, interval=dt.timedelta(hours=1), concurrency=3, poll=0.05)
    thread = run_until_all_done(worker, board)
    try:
        with session_factory() as session:
            assert [m.status for m in session.scalars(sa.select(Mailbox))] == ["ok"] * 6
        assert len(entra_world.token_requests("client_credentials")) == 1
        clients = list(access._clients.values())
        assert len(clients) == 6 and len({id(c._http) for c in clients}) == 1
        assert not any(c._owns_http for c in clients)
    finally:
        access.close()


def test_the_dispatcher_keeps_the_lease_of_a_pass_waiting_on_graph(session_factory, graph, mailbox_id):
    """A pass stuck between pages (a Retry-After, a slow page) keeps its mailbox: the dispatcher
    renews its lease every third of a lease, so a short lease is safe."""
    from storage.types import utcnow

    clock = {"now": utcnow()}
    in_page, go_on = threading.Event(), threading.Event()

    def slow_page(resource, result) -> None:
        in_page.set()
        go_on.wait(WAIT)

    lease = dt.timedelta(seconds=30)
    worker = SyncWorker(session_factory, graph, now=lambda: clock["now"], lease=lease, on_page=slow_page, poll=0.05)
    thread = run_in_thread(worker)
    try:
        assert in_page.wait(WAIT)
        start = clock["now"]
        assert mailbox_row(session_factory, mailbox_id).lease_expires_at == start + lease  # the page's renewal
        clock["now"] = start + dt.timedelta(seconds=20)  # two thirds of the lease, the pass still waiting
        worker._kick.set()
        for _ in range(WAIT * 20):
            if mailbox_row(session_factory, mailbox_id).lease_expires_at == clock["now"] + lease:
                break
            threading.Event().wait(0.05)
        assert mailbox_row(session_factory, mailbox_id).lease_expires_at == clock["now"] + lease
        other = SyncWorker(session_factory, graph, name="other", now=lambda: start + dt.timedelta(seconds=35))
        assert other.claim_many(5) == []  # past the first lease, still held
    finally:
        go_on.set()
        worker.stop()
        thread.join(WAIT)
    assert not thread.is_alive()


def test_sigterm_stops_the_sync_command_and_leaves_no_lease(engine, session_factory, workspace_id, mailbox_id, fake,
                                                            tmp_path):
    import os
    import signal
    import subprocess
    import sys

    add_mailboxes(session_factory, workspace_id, 7)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DEALPANE_")},
           "DEALPANE_DATABASE_URL": engine.url.render_as_string(hide_password=False), "DEALPANE_GRAPH_AUTH": "dev",
           "DEALPANE_GRAPH_BASE_URL": fake.url, "DEALPANE_GRAPH_PAGE_SIZE": "2", "DEALPANE_AUTH_MODE": "dev",
           "DEALPANE_SYNC_INTERVAL_SECONDS": "3600"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "addin.cli", "sync", "--concurrency", "3"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(WAIT * 20):  # it is under way
                if "claimed" in log_path.read_text() or process.poll() is not None:
                    break
                threading.Event().wait(0.05)
            process.send_signal(signal.SIGTERM)
            code = process.wait(WAIT)
        finally:
            if process.poll() is None:
                process.kill()
    output = log_path.read_text()
    assert code == 0, output
    assert "3 mailboxes at once" in output and "stopped" in output
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Mailbox)
                              .where(Mailbox.lease_owner.is_not(None))) == 0
