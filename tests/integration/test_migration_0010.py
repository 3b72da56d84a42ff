"""Migration 0010 (mailbox status missing_permission), up and down, on both databases, keeping the data.

SQLite rebuilds the mailbox table to change its CHECK constraint; the rows that refer to a mailbox
(sync cursors here) must survive the rebuild (storage.migrate runs it with foreign keys off).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage import migrate

ROWS = [
    "INSERT INTO workspace (id, name, currency, created_at) VALUES ('w1', 'W', 'USD', '2026-01-01 00:00:00')",
    "INSERT INTO mailbox (id, address, mode, status, status_detail, keep_bodies, never_log, folders, items_synced, "
    "errors, created_at, workspace_id) VALUES ('m1', 'a@contoso.com', 'application', 'ok', '', false, '[]', '[]', "
    "0, 0, '2026-01-01 00:00:00', 'w1')",
    "INSERT INTO sync_cursor (mailbox_id, resource, cursor, in_round, full_syncs, pages, updated_at) "
    "VALUES ('m1', 'calendar', 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=x', false, 0, 1, "
    "'2026-01-01 00:00:00')",
]


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def _set_status(engine, status: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE mailbox SET status = '{status}' WHERE id = 'm1'")


def test_missing_permission_comes_and_goes_with_the_migration_and_nothing_else_does(engine):
    try:
        migrate.downgrade(engine, "0009")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.exec_driver_sql(statement)
        # 0009 does not know it: its CHECK refuses it (SQLite), or already its column width (PostgreSQL)
        with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)):
            _set_status(engine, "missing_permission")

        migrate.upgrade(engine, "0010")
        assert migrate.current_revision(engine) == "0010"
        assert _count(engine, "sync_cursor") == 1  # the rebuild kept the rows referring to the mailbox
        _set_status(engine, "missing_permission")
        with pytest.raises(sa.exc.IntegrityError):
            _set_status(engine, "forbidden")

        migrate.downgrade(engine, "0009")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT status FROM mailbox WHERE id = 'm1'").scalar() == "error"
        assert _count(engine, "sync_cursor") == 1
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
