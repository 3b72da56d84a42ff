"""Migration 0015 (a mailbox's woken mark, notifications pruned by age), up and down on both databases,
keeping the rows: mailboxes made before it are not woken; the columns and indexes go on the way down."""
from __future__ import annotations

import sqlalchemy as sa

from storage import migrate

from .test_migration_0010 import ROWS, _count
from .test_migration_0013 import _columns

AT = "'2026-01-01 00:00:00'"


def _indexes(engine, table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(engine).get_indexes(table)}


def test_0015_adds_the_woken_mark_and_the_notification_age_index_and_takes_them_away(engine):
    try:
        migrate.downgrade(engine, "0014")
        assert not {"woken_at", "woken_parts", "next_tasks_at"} & _columns(engine, "mailbox")
        assert "ix_notification_received_at" not in _indexes(engine, "notification")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql("INSERT INTO notification (id, subscription_id, mailbox_id, kind, fingerprint, "
                                 f"received_at) VALUES ('n1', 's1', 'm1', 'created', 'f1', {AT})")
        migrate.upgrade(engine, "0015")
        assert {"woken_at", "woken_parts", "next_tasks_at"} <= _columns(engine, "mailbox")
        assert "ix_mailbox_woken" in _indexes(engine, "mailbox")
        assert "ix_notification_received_at" in _indexes(engine, "notification")
        with engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT woken_at, woken_parts FROM mailbox WHERE id = 'm1'").one() == (None, None)
            conn.exec_driver_sql(f"UPDATE mailbox SET woken_at = {AT}, woken_parts = '[\"mail:inbox\"]' WHERE id = 'm1'")
        migrate.downgrade(engine, "0014")
        assert not {"woken_at", "woken_parts", "next_tasks_at"} & _columns(engine, "mailbox")
        assert "ix_mailbox_woken" not in _indexes(engine, "mailbox")
        assert _count(engine, "mailbox") == 1 and _count(engine, "sync_cursor") == 1
        assert _count(engine, "notification") == 1
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
