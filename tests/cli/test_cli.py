"""The `dealpane` command as an admin runs it."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from addin.cli import main

ENTRA = {
    "DEALPANE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
    "DEALPANE_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "DEALPANE_JWKS_URL": "http://127.0.0.1:9/keys",
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("DEALPANE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_serve_without_entra_settings_refuses_and_names_them(clean_env, tmp_path):
    clean_env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    for name in ("DEALPANE_CLIENT_ID", "DEALPANE_TENANT_ID"):
        assert name in result.output


def test_serve_refuses_an_out_of_date_schema(clean_env, tmp_path):
    for name, value in ENTRA.items():
        clean_env.setenv(name, value)
    clean_env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{tmp_path / 'old.sqlite3'}")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "dealpane db upgrade" in result.output


def test_db_upgrade_brings_an_empty_database_to_head_and_is_repeatable(clean_env, tmp_path):
    db = tmp_path / "prod.sqlite3"
    clean_env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{db}")
    first = CliRunner().invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "empty -> " in first.output
    second = CliRunner().invoke(main, ["db", "upgrade"])
    assert second.exit_code == 0 and "already at" in second.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, user: str = "demo@contoso.com"):
    request = urllib.request.Request(url, headers={"X-Dev-User": user})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


class DemoRun:
    """A `dealpane demo` process on a free port: `me` is its GET /api/v1/me, `output` what it printed
    (once stopped)."""

    def __init__(self, db, *args: str):
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEALPANE_")}
        self.process = subprocess.Popen([sys.executable, "-m", "addin.cli", "demo", "--port", str(self.port),
                                         "--db", str(db), *args],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = ""

    def __enter__(self) -> "DemoRun":
        deadline = time.monotonic() + 30
        while True:
            try:
                self.me = _get(f"http://127.0.0.1:{self.port}/api/v1/me")
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise AssertionError(self.output or "timeout")
                time.sleep(0.2)

    def get(self, path: str):
        return _get(f"http://127.0.0.1:{self.port}{path}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.output = self.process.stdout.read().decode()
        self.process.stdout.close()


def _run_demo_and_count(db) -> tuple[str, int]:
    with DemoRun(db) as demo:
        ws = demo.me["workspaces"][0]["id"]
        return ws, len(demo.get(f"/api/v1/workspaces/{ws}/opportunities?limit=500")["items"])


def test_demo_serves_the_seeded_workspace_and_a_second_run_keeps_it(tmp_path):
    db = tmp_path / "demo.sqlite3"
    ws1, count1 = _run_demo_and_count(db)
    ws2, count2 = _run_demo_and_count(db)
    assert count1 >= 12
    assert (ws2, count2) == (ws1, count1)


def demo_database(env, db) -> str:
    """A migrated SQLite file with the demo workspace, set as DEALPANE_DATABASE_URL; its workspace id."""
    env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{db}")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    from storage.db import make_engine, make_session_factory
    from storage.demo import seed_demo

    engine = make_engine(f"sqlite:///{db}")
    with make_session_factory(engine)() as session:
        workspace, _ = seed_demo(session)
        session.commit()
        ws = workspace.id
    engine.dispose()
    return ws


def test_mailboxes_add_set_and_list(clean_env, tmp_path):
    db = tmp_path / "m.sqlite3"
    runner, ws = CliRunner(), demo_database(clean_env, db)
    refused = runner.invoke(main, ["mailboxes", "add", "sales@contoso.com", "--workspace", ws])
    assert refused.exit_code == 2 and "DEALPANE_CLIENT_ID" in refused.output  # application mode, no app settings
    assert "sales@contoso.com" not in runner.invoke(main, ["mailboxes", "list"]).output
    added = runner.invoke(main, ["mailboxes", "add", "sales@contoso.com", "--workspace", ws, "--mode", "dev"])
    assert added.exit_code == 0 and "connected sales@contoso.com (dev)" in added.output
    assert runner.invoke(main, ["mailboxes", "add", "not-an-address", "--workspace", ws]).exit_code != 0
    changed = runner.invoke(main, ["mailboxes", "set", "sales@contoso.com", "--workspace", ws,
                                   "--never-log", "hr.contoso.com, ceo@contoso.com", "--keep-bodies"])
    assert changed.exit_code == 0, changed.output
    listed = runner.invoke(main, ["mailboxes", "list"]).output
    assert "sales@contoso.com" in listed and "never_log=hr.contoso.com,ceo@contoso.com" in listed
    assert "keep_bodies=yes" in listed
    assert "set aside" not in listed

    # an item the sync could not apply is listed under its mailbox, with its error
    import datetime as dt

    import sqlalchemy as sa

    from storage.db import make_engine, make_session_factory
    from storage.models import Mailbox, SetAsideItem

    engine = make_engine(f"sqlite:///{db}")
    with make_session_factory(engine)() as session:
        mailbox_id = session.scalar(sa.select(Mailbox.id).where(Mailbox.address == "sales@contoso.com"))
        when = dt.datetime(2026, 12, 6, 17, 0, tzinfo=dt.timezone.utc)
        session.add(SetAsideItem(mailbox_id=mailbox_id, graph_id="AAMkAGbad=", resource="mail:inbox", kind="message",
                                 error="AttributeError: 'str' object has no attribute 'get'", attempts=2,
                                 first_failed_at=when, next_try_at=when + dt.timedelta(minutes=10)))
        session.commit()
    engine.dispose()
    listed = runner.invoke(main, ["mailboxes", "list"]).output
    assert "set aside: mail:inbox AAMkAGbad=  attempts=2  next_try=2026-12-06 17:10  AttributeError" in listed


def test_backup_and_restore_give_back_the_same_data(clean_env, tmp_path):
    import sqlalchemy as sa

    from storage.db import make_engine, make_session_factory
    from storage.demo import seed_demo
    from storage.models import Opportunity

    db = tmp_path / "live.sqlite3"
    clean_env.setenv("DEALPANE_DATABASE_URL", f"sqlite:///{db}")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    factory = make_session_factory(engine)
    with factory() as session:
        seed_demo(session)
        session.commit()

    def snapshot():
        with engine.connect() as conn:
            return conn.execute(sa.select(Opportunity.id, Opportunity.title, Opportunity.total,
                                          Opportunity.version).order_by(Opportunity.id)).all()

    before = snapshot()
    result = runner.invoke(main, ["db", "backup", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:
        conn.execute(sa.delete(Opportunity))
    assert snapshot() == []
    engine.dispose()
    assert runner.invoke(main, ["db", "restore", str(tmp_path / "b.sqlite3"), "--yes"]).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    assert snapshot() == before
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    assert runner.invoke(main, ["db", "restore", str(tmp_path / "junk.sqlite3"), "--yes"]).exit_code != 0
    engine.dispose()


def test_mailboxes_add_connects_a_whole_list_at_once_or_nothing(clean_env, tmp_path):
    """A company connects its salespeople in one go: EMAILS and/or --from-file, every address checked
    before anything is connected, one transaction."""
    runner, ws = CliRunner(), demo_database(clean_env, tmp_path / "bulk.sqlite3")
    listing = tmp_path / "sellers.txt"
    listing.write_text("# the sales team\nseller0001@contoso.com\n\nSeller0002@Contoso.com  # Anne\nnot-an-address\n")
    refused = runner.invoke(main, ["mailboxes", "add", "--from-file", str(listing), "--workspace", ws, "--mode", "dev"])
    assert refused.exit_code == 2
    assert "not-an-address" in refused.output and "nothing was connected" in refused.output
    assert "seller0001" not in runner.invoke(main, ["mailboxes", "list"]).output
    listing.write_text("seller0001@contoso.com\nSeller0002@Contoso.com  # Anne\nseller0001@contoso.com\n")
    added = runner.invoke(main, ["mailboxes", "add", "seller0003@contoso.com", "--from-file", str(listing),
                                 "--workspace", ws, "--mode", "dev"])
    assert added.exit_code == 0, added.output
    assert "connected 3 and reconnected 0 mailboxes (dev)" in added.output
    listed = runner.invoke(main, ["mailboxes", "list"]).output
    assert all(f"seller000{n}@contoso.com" in listed for n in (1, 2, 3))
    again = runner.invoke(main, ["mailboxes", "add", "--from-file", "-", "--workspace", ws, "--mode", "dev"],
                          input="seller0002@contoso.com\nseller0004@contoso.com\n")
    assert again.exit_code == 0 and "connected 1 and reconnected 1 mailboxes" in again.output
    assert runner.invoke(main, ["mailboxes", "add", "--workspace", ws]).exit_code == 2  # no address at all
