"""Migration 0012 (identity by tenant and object id), up and down on both databases, keeping every
membership: workspaces get their owners' tenant, invitations not yet accepted get the tenant of the
workspaces they were made for (split when those are of two tenants), dev-mode rows stay as they are;
the downgrade makes addresses unique again by renaming, never by dropping a row."""
from __future__ import annotations

from storage import migrate

from .test_migration_0010 import _count

T1 = "72f988bf-86f1-41af-91ab-2d7cd011db47"
T2 = "5a1e2f3c-0d4b-4e6f-8a9b-0c1d2e3f4a5b"
O1, O2, O3 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", \
    "00000000-0000-4000-8000-000000000003"
AT = "'2026-01-01 00:00:00'"


def _user(id_, email, tid=None, oid=None) -> str:
    t = f"'{tid}'" if tid else "NULL"
    o = f"'{oid}'" if oid else "NULL"
    return (f'INSERT INTO "user" (id, tenant_id, object_id, email, display_name, time_zone, created_at) '
            f"VALUES ('{id_}', {t}, {o}, '{email}', '{email}', 'UTC', {AT})")


def _member(ws, user, role, minute) -> str:
    return (f"INSERT INTO member (workspace_id, user_id, role, added_at) "
            f"VALUES ('{ws}', '{user}', '{role}', '2026-01-01 00:{minute:02d}:00')")


ROWS = [
    *(f"INSERT INTO workspace (id, name, currency, created_at) VALUES ('{w}', '{w}', 'USD', {AT})"
      for w in ("w1", "w2", "w3")),
    _user("o1", "olivia@contoso.com", T1, O1),          # signed in, Contoso
    _user("o2", "owen@fabrikam.com", T2, O2),           # signed in, Fabrikam
    _user("p1", "bob@contoso.com"),                      # invited to w1 only
    _user("p2", "carol@contoso.com"),                    # invited to w1 and to w2 (two tenants)
    _user("d1", "dev@example.com"),                      # dev mode: owns w3
    _user("p3", "pat@example.com"),                      # invited to w3 (no tenant)
    _member("w1", "o1", "owner", 0), _member("w1", "o2", "owner", 5),  # created by Olivia, Owen added later
    _member("w2", "o2", "owner", 0),
    _member("w3", "d1", "owner", 0),
    _member("w1", "p1", "member", 1), _member("w1", "p2", "member", 2), _member("w2", "p2", "owner", 3),
    _member("w3", "p3", "member", 4),
    "INSERT INTO mailbox (id, address, mode, status, status_detail, keep_bodies, never_log, folders, items_synced, "
    "errors, created_at, workspace_id, user_id) VALUES ('m2', 'carol@contoso.com', 'application', 'ok', '', false, "
    f"'[]', '[]', 0, 0, {AT}, 'w2', 'p2')",
]


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_0012_binds_invitations_to_tenants_keeping_every_membership_and_comes_back_down(engine):
    try:
        migrate.downgrade(engine, "0011")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.exec_driver_sql(statement)
        migrate.upgrade(engine, "0012")
        assert _count(engine, "member") == 8
        assert dict(_rows(engine, "SELECT id, tenant_id FROM workspace")) == {"w1": T1, "w2": T2, "w3": None}
        users = {r[0]: r[1:] for r in _rows(engine, 'SELECT id, tenant_id, object_id, email FROM "user"')}
        assert users["p1"] == (T1, None, "bob@contoso.com")
        assert users["p2"] == (T1, None, "carol@contoso.com")
        assert users["p3"] == (None, None, "pat@example.com") and users["d1"] == (None, None, "dev@example.com")
        assert users["o1"] == (T1, O1, "olivia@contoso.com")
        (split,) = [i for i, u in users.items() if u == (T2, None, "carol@contoso.com")]
        memberships = set(_rows(engine, "SELECT workspace_id, user_id, role FROM member"))
        assert {("w1", "p2", "member"), ("w2", split, "owner"), ("w3", "p3", "member"), ("w1", "p1", "member")} \
            <= memberships
        assert ("w2", "p2", "owner") not in memberships
        assert _rows(engine, "SELECT user_id FROM mailbox") == [(split,)]

        # afterwards one address may have several rows: a Fabrikam user signs in showing bob@contoso.com
        with engine.begin() as conn:
            conn.exec_driver_sql(_user("e1", "bob@contoso.com", T2, O3))
        migrate.downgrade(engine, "0011")
        assert _count(engine, "member") == 8 and _count(engine, '"user"') == 8
        emails = dict(_rows(engine, 'SELECT id, email FROM "user"'))
        assert emails["e1"] == "bob@contoso.com"  # the signed-in row keeps the address
        assert emails["p1"] == f"invited-p1@{T1}.invalid"
        carol = sorted([emails["p2"], emails[split]])  # one of Carol's two invitations keeps the address
        assert carol in (["carol@contoso.com", f"invited-{split}@{T2}.invalid"],
                         ["carol@contoso.com", "invited-p2@" + T1 + ".invalid"])
        assert len(set(emails.values())) == len(emails)
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
