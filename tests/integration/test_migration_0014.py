"""Migration 0014 (close reasons, attachments' metadata, the audit log), up and down on both databases,
keeping the rows: the close_reason list allowed, then its values removed with it on the way down."""
from __future__ import annotations

import sqlalchemy as sa
import pytest

from storage import migrate

from .test_migration_0010 import _count
from .test_migration_0013 import AT, ROWS, _columns


def test_0014_adds_close_reasons_attachments_and_the_audit_log_and_takes_them_away(engine):
    try:
        migrate.downgrade(engine, "0013")
        assert "close_reason" not in _columns(engine, "opportunity")
        assert "attachments" not in _columns(engine, "history_item")
        assert "audit_event" not in sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            for statement in ROWS:
                conn.exec_driver_sql(statement)
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.exec_driver_sql("INSERT INTO list_value (id, workspace_id, list_name, value, position, active) "
                                     "VALUES ('l0', 'w1', 'close_reason', 'Price', 0, true)")
        migrate.upgrade(engine, "0014")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO list_value (id, workspace_id, list_name, value, position, active) "
                                 "VALUES ('l1', 'w1', 'close_reason', 'Price', 0, true)")
            conn.exec_driver_sql("INSERT INTO list_value (id, workspace_id, list_name, value, position, active) "
                                 "VALUES ('l2', 'w1', 'source', 'Web', 0, true)")
            conn.exec_driver_sql(f"INSERT INTO audit_event (id, workspace_id, at, actor_id, action, detail) "
                                 f"VALUES ('a1', 'w1', {AT}, 'u1', 'erase_contact', '{{\"history_items\": 3}}')")
        assert {"close_reason"} <= _columns(engine, "opportunity") and {"attachments"} <= _columns(engine, "history_item")
        migrate.downgrade(engine, "0013")
        assert "audit_event" not in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT list_name FROM list_value").scalars().all() == ["source"]
        assert _count(engine, "workspace") == 1 and _count(engine, "member") == 1
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
