"""Nothing lost, nothing doubled: SIGKILL of the worker mid-run, and two workers at once."""
import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from addin.config import sqlite_url
from graph_sync.clients import GraphAccess, GraphSettings
from graph_sync.worker import SyncWorker
from storage import migrate
from storage.db import UnitOfWork, make_engine, make_session_factory
from storage.demo import DEMO_OWNER, seed_demo
from storage.models import Mailbox
from storage.services.mailboxes import connect_mailbox

from .conftest import history_snapshot


@pytest.fixture
def seeded_file(tmp_path):
    """A seeded SQLite database with the demo mailbox connected; copies of it share every id."""
    path = tmp_path / "seed.sqlite3"
    engine = make_engine(sqlite_url(path))
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        workspace, _ = seed_demo(uow.session)
        connect_mailbox(uow.session, workspace.id, DEMO_OWNER, "dev")
        uow.commit()
    engine.dispose()
    return path


def copy_of(seeded_file, name):
    target = seeded_file.with_name(name)
    shutil.copy(seeded_file, target)
    return target


def run_sync(db, fake, kill_after_pages=None):
    """`dealpane sync --once` in a child process; SIGKILL it after N page lines if asked."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DEALPANE_")},
           "DEALPANE_DATABASE_URL": sqlite_url(db), "DEALPANE_GRAPH_AUTH": "dev",
           "DEALPANE_GRAPH_BASE_URL": fake.url, "DEALPANE_GRAPH_PAGE_SIZE": "2", "DEALPANE_AUTH_MODE": "dev"}
    process = subprocess.Popen([sys.executable, "-m", "addin.cli", "sync", "--once"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pages = 0
    for line in process.stdout:
        if "page of" in line:
            pages += 1
            if kill_after_pages is not None and pages >= kill_after_pages:
                process.send_signal(signal.SIGKILL)
                break
    process.stdout.close()
    process.wait(timeout=60)
    return pages


def snapshot_of(db):
    engine = make_engine(sqlite_url(db))
    try:
        return history_snapshot(make_session_factory(engine))
    finally:
        engine.dispose()


def due_again(db):
    engine = make_engine(sqlite_url(db))
    with engine.begin() as conn:
        conn.execute(sa.update(Mailbox).values(next_sync_at=None, lease_owner=None, lease_expires_at=None))
    engine.dispose()


def test_sigkill_at_any_page_then_rerun_gives_exactly_the_clean_result(seeded_file, fake):
    clean = copy_of(seeded_file, "clean.sqlite3")
    total_pages = run_sync(clean, fake)
    expected = snapshot_of(clean)
    assert expected and total_pages > 5
    for kill_after in (1, 2, total_pages // 2, total_pages - 1):
        crashed = copy_of(seeded_file, f"crashed-{kill_after}.sqlite3")
        run_sync(crashed, fake, kill_after_pages=kill_after)
        due_again(crashed)  # the killed worker's lease would expire; don't wait 10 minutes for it
        run_sync(crashed, fake)
        assert snapshot_of(crashed) == expected, f"killed after {kill_after} pages"


def test_two_workers_never_sync_one_mailbox_at_once(session_factory, fake, workspace_id, mailbox_id):
    with UnitOfWork(session_factory) as uow:
        for n in range(5):
            connect_mailbox(uow.session, workspace_id, f"extra{n}@contoso.com", "dev")
        uow.commit()
    access = GraphAccess(GraphSettings(base_url=fake.url, auth="dev", page_size=5), session_factory)
    workers = [SyncWorker(session_factory, access, name=f"worker-{n}") for n in range(2)]
    results: dict[str, list] = {w.name: [] for w in workers}
    threads = [threading.Thread(target=lambda w=w: results[w.name].extend(w.run_once())) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    synced = [r.mailbox for reports in results.values() for r in reports]
    assert sorted(synced) == sorted([DEMO_OWNER] + [f"extra{n}@contoso.com" for n in range(5)])  # each once
    access.close()
