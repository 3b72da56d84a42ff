"""Migration 0011 (items set aside, meeting series, the calendar window), up and down on both databases,
keeping the data: cursors made before it have no window and no query, so the sync starts their next
round afresh; items keep everything; set-aside rows go with the downgrade."""
from __future__ import annotations

import sqlalchemy as sa

from storage import migrate

from .test_migration_0010 import ROWS, _count

ITEM = ("INSERT INTO history_item (id, workspace_id, kind, subject, summary, occurred_at, done, to_addresses, "
        "cc_addresses, removed_in_mailbox, version, created_at, updated_at, ical_uid) VALUES ('h1', 'w1', "
        "'appointment', 'Weekly', '', '2026-11-02 09:00:00', false, '[]', '[]', false, 1, '2026-11-02 09:00:00', "
        "'2026-11-02 09:00:00', 'uid-1')")


def test_0011_adds_its_columns_and_table_and_takes_them_away_keeping_the_rows(engine):
    try:
        migrate.downgrade(engine, "0010")
        with engine.begin() as conn:
            for statement in [*ROWS, ITEM]:
                conn.exec_driver_sql(statement)
        migrate.upgrade(engine, "0011")
        with engine.connect() as conn:
            cursor = conn.exec_driver_sql("SELECT window_start, window_end, query FROM sync_cursor").one()
            item = conn.exec_driver_sql("SELECT subject, series_id, cancelled FROM history_item").one()
        assert tuple(cursor) == (None, None, None)  # the sync re-anchors / restarts such a cursor once
        assert (item[0], item[1], bool(item[2])) == ("Weekly", None, False)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO sync_set_aside (mailbox_id, graph_id, resource, kind, error, attempts, first_failed_at, "
                "next_try_at) VALUES ('m1', 'AAMk1', 'mail:inbox', 'message', 'boom', 1, '2026-12-06 17:00:00', "
                "'2026-12-06 17:05:00')")
            conn.exec_driver_sql("UPDATE history_item SET series_id = 'AAMkSeries', cancelled = true")
        migrate.downgrade(engine, "0010")
        assert _count(engine, "history_item") == 1 and _count(engine, "sync_cursor") == 1
        assert "sync_set_aside" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT subject FROM history_item").scalar() == "Weekly"
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
