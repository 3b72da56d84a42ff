"""`dealpane mailboxes add --mode application` checks settings, credentials and each feature's permission
at once, against the stand-in Entra over HTTPS and the fake Graph checking the app-only token's roles.

Each feature's permissions: graph_sync/permissions.py (Microsoft's API pages); how each probe leaves
nothing behind: graph_sync/probes.py.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from addin.cli import main
from storage.demo import seed_demo
from storage.models import Mailbox
from tests.entra_fixtures import ALL_APP_ROLES, CLIENT_ID, CLIENT_SECRET, DEMO_OWNER_UPN, TENANT


@pytest.fixture
def fake(entra_world):
    return entra_world.graph()


@pytest.fixture
def workspace_id(session_factory):
    with session_factory() as session:
        workspace, _ = seed_demo(session, today=dt.date(2026, 11, 27))
        session.commit()
        return workspace.id


@pytest.fixture
def env(monkeypatch, entra_world, fake, engine):
    for name in list(os.environ):
        if name.startswith("DEALPANE_"):
            monkeypatch.delenv(name)
    values = {"DATABASE_URL": engine.url.render_as_string(hide_password=False), "GRAPH_AUTH": "application",
              "GRAPH_BASE_URL": fake.url, "AUTHORITY_HOST": entra_world.authority_host, "CLIENT_ID": CLIENT_ID,
              "CLIENT_SECRET": CLIENT_SECRET, "TENANT_ID": TENANT}
    for name, value in values.items():
        monkeypatch.setenv(f"DEALPANE_{name}", value)
    return monkeypatch


def add(workspace_id, address=DEMO_OWNER_UPN):
    return CliRunner().invoke(main, ["mailboxes", "add", address, "--workspace", workspace_id, "--mode", "application"])


def stored(session_factory, address=DEMO_OWNER_UPN) -> Mailbox | None:
    with session_factory() as session:
        return session.scalar(sa.select(Mailbox).where(Mailbox.address == address))


def test_all_permissions_granted_connects_and_the_probes_leave_nothing_behind(env, entra_world, fake, workspace_id,
                                                                              session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    before = fake.mailbox.to_dict()
    result = add(workspace_id)
    assert result.exit_code == 0, result.output
    assert result.output.count("  ok ") == 6 and "MISSING" not in result.output
    assert stored(session_factory).status == "ok"
    assert fake.mailbox.to_dict() == before  # no draft, no event, no To Do list left, nothing sent
    sent = [r for r in fake.requests() if r["path"].endswith("/sendMail")]
    assert sent and all(not (r["body"]["message"].get("toRecipients")) for r in sent)
    assert all(f"/users/{DEMO_OWNER_UPN}" in r["path"] for r in fake.requests() if "$batch" not in r["path"])


def test_each_missing_permission_is_named_and_the_mailbox_waits_for_it(env, entra_world, workspace_id,
                                                                       session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ["Mail.ReadWrite", "Calendars.Read", "User.Read.All"])
    result = add(workspace_id)
    assert result.exit_code == 1, result.output
    missing = [line for line in result.output.splitlines() if "MISSING" in line]
    assert len(missing) == 3
    assert "Sending e-mail" in missing[0] and "Mail.Send" in missing[0] and "Mail.ReadWrite" not in missing[0]
    assert "Creating meetings" in missing[1] and "Calendars.ReadWrite" in missing[1]
    assert "To Do" in missing[2] and "Tasks.ReadWrite.All" in missing[2]
    assert all("https://learn.microsoft.com/graph/api/" in line for line in missing)
    mailbox = stored(session_factory)  # connected all the same: it syncs mail and calendar meanwhile
    assert mailbox.status == "missing_permission" and mailbox.next_sync_at is None
    assert "Calendars.ReadWrite, Mail.Send, Tasks.ReadWrite.All" in mailbox.status_detail
    listed = CliRunner().invoke(main, ["mailboxes", "list"]).output
    assert "status=missing_permission" in listed and "Mail.Send" in listed


def test_without_reading_mail_the_mailbox_is_checked_again_later(env, entra_world, workspace_id, session_factory):
    # Mail.ReadBasic.All reads mail without bodies or previews: Dealpane needs Mail.Read.
    entra_world.entra.grant_roles(entra_world.app, TENANT, ["Mail.ReadBasic.All", "Calendars.ReadWrite"])
    result = add(workspace_id)
    assert result.exit_code == 1
    assert any("Reading mail" in line and "Mail.Read " in line + " " for line in result.output.splitlines()
               if "MISSING" in line)
    mailbox = stored(session_factory)
    assert mailbox.status == "missing_permission" and mailbox.next_sync_at > dt.datetime.now(dt.timezone.utc)


@pytest.mark.parametrize("variable,value,expected", [
    ("DEALPANE_CLIENT_SECRET", "the-secret-id-not-its-value", "DEALPANE_CLIENT_SECRET (invalid_client)"),
    ("DEALPANE_CLIENT_SECRET", None, "DEALPANE_CLIENT_SECRET"),
    ("DEALPANE_CLIENT_ID", None, "DEALPANE_CLIENT_ID"),
    ("DEALPANE_TENANT_ID", "organizations", "not 'organizations'"),
    ("DEALPANE_CLIENT_ID", "99999999-8888-7777-6666-555555555555", "AADSTS700016"),
])
def test_wrong_or_missing_settings_connect_nothing_and_say_what_to_fix(env, entra_world, workspace_id,
                                                                       session_factory, variable, value, expected):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    if value is None:
        env.delenv(variable)
    else:
        env.setenv(variable, value)
    result = add(workspace_id)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Nothing was connected" in result.output
    assert stored(session_factory) is None


def test_a_mailbox_graph_does_not_know_connects_nothing(env, entra_world, workspace_id, session_factory):
    entra_world.entra.grant_roles(entra_world.app, TENANT, ALL_APP_ROLES)
    result = add(workspace_id, "nobody@contoso.com")
    assert result.exit_code == 2 and "does not know the mailbox nobody@contoso.com" in result.output
    assert stored(session_factory, "nobody@contoso.com") is None


def test_a_bad_address_or_workspace_is_refused_before_any_call(env, entra_world, fake, workspace_id):
    assert add(workspace_id, "not-an-address").exit_code == 1
    assert add("no-such-workspace").exit_code == 1
    assert entra_world.token_requests() == [] and fake.requests() == []


def test_a_list_of_mailboxes_is_probed_once_and_each_gets_the_missing_permission(env, entra_world, fake, workspace_id,
                                                                                 session_factory, tmp_path):
    """Application permissions are the app's in the whole tenant: the first address is probed, every
    address connected, each one showing what is missing (https://learn.microsoft.com/graph/auth-limit-mailbox-access
    says an access policy can still keep the app out of some: the worker finds those on its first pass)."""
    entra_world.entra.grant_roles(entra_world.app, TENANT, [r for r in ALL_APP_ROLES if r != "Mail.Send"])
    listing = tmp_path / "team.txt"
    listing.write_text(f"{DEMO_OWNER_UPN}\nseller0001@contoso.com\nseller0002@contoso.com\n")
    result = CliRunner().invoke(main, ["mailboxes", "add", "--from-file", str(listing), "--workspace", workspace_id,
                                       "--mode", "application"])
    assert result.exit_code == 1, result.output
    assert result.output.count("MISSING") == 1 and "connected 3 and reconnected 0 mailboxes" in result.output
    probed = {r["path"].split("/")[3] for r in fake.requests() if r["path"].startswith("/v1.0/users/")}
    assert probed == {DEMO_OWNER_UPN}
    for address in (DEMO_OWNER_UPN, "seller0001@contoso.com", "seller0002@contoso.com"):
        assert "Mail.Send" in stored(session_factory, address).status_detail
