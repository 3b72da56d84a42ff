"""Three sync worker processes, one PostgreSQL, 30 mailboxes; one worker is killed mid-run."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from storage.db import UnitOfWork
from storage.models import Mailbox, SyncCursor
from storage.services.mailboxes import connect_mailbox

MAILBOXES = 30


@pytest.fixture
def pg_url(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("leases across processes are a PostgreSQL deployment (SQLite: one host)")
    return engine.url.render_as_string(hide_password=False)


def start_worker(url, fake, name):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DEALPANE_")},
           "DEALPANE_DATABASE_URL": url, "DEALPANE_GRAPH_AUTH": "dev", "DEALPANE_GRAPH_BASE_URL": fake.url,
           "DEALPANE_GRAPH_PAGE_SIZE": "3", "DEALPANE_SYNC_LEASE_SECONDS": "4",
           "DEALPANE_SYNC_INTERVAL_SECONDS": "3600", "DEALPANE_AUTH_MODE": "dev"}
    log = open(f"{name}.log", "w")  # noqa: SIM115 - closed by the caller
    process = subprocess.Popen([sys.executable, "-m", "addin.cli", "sync"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    return process, log


def test_three_workers_sync_every_mailbox_once_even_when_one_dies(pg_url, session_factory, workspace_id, fake,
                                                                 tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with UnitOfWork(session_factory) as uow:
        for n in range(MAILBOXES):
            connect_mailbox(uow.session, workspace_id, f"rep{n:02d}@contoso.com", "dev")
        uow.commit()
    workers = [start_worker(pg_url, fake, f"w{n}") for n in range(3)]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "claimed" not in (tmp_path / "w0.log").read_text():
            time.sleep(0.05)
        workers[0][0].send_signal(signal.SIGKILL)  # mid-run: it holds a lease it will never release
        workers[0][0].wait(timeout=10)
        killed_at = time.time()  # from here on it does nothing; its lease runs out on its own
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with session_factory() as session:
                pending = session.scalar(sa.select(sa.func.count()).select_from(Mailbox)
                                         .where(Mailbox.last_sync_at.is_(None)))
            if pending == 0:
                break
            time.sleep(0.5)
    finally:
        for process, log in workers:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)
            log.close()
    with session_factory() as session:
        mailboxes = list(session.scalars(sa.select(Mailbox)))
        assert all(m.last_sync_at is not None and m.status == "ok" for m in mailboxes), "a mailbox was never synced"
        for m in mailboxes:  # completely: every resource's round finished, at a deltaLink
            cursors = list(session.scalars(sa.select(SyncCursor).where(SyncCursor.mailbox_id == m.id,
                                                                       ~SyncCursor.resource.startswith("todo:"))))
            assert {c.resource for c in cursors} == {"mail:inbox", "mail:sentitems", "calendar"}
            assert not any(c.in_round for c in cursors), f"{m.address} stopped in the middle of a round"
    # none twice at once: per mailbox, the claim..release intervals of different workers never overlap
    spans: dict[str, list[tuple[float, float, str]]] = {}
    for n in range(3):
        text = (tmp_path / f"w{n}.log").read_text()
        open_claims = {}
        for kind, address, at, worker in re.findall(r"(claimed|released) (\S+) at ([\d.]+) by (\S+?)[\"\s]", text):
            if kind == "claimed":
                open_claims[address] = float(at)
            elif address in open_claims:
                spans.setdefault(address, []).append((open_claims.pop(address), float(at), worker))
        for address, start in open_claims.items():  # the killed worker's last claim: it worked until it died
            spans.setdefault(address, []).append((start, killed_at, f"w{n}-killed"))
    for address, intervals in spans.items():
        intervals.sort()
        for (s1, e1, w1), (s2, e2, w2) in zip(intervals, intervals[1:]):
            assert w1 == w2 or s2 >= e1 - 0.05, f"{address} synced by {w1} and {w2} at once"
    assert len(spans) >= MAILBOXES
