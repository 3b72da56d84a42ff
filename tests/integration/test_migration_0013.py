"""Migration 0013 (languages), up and down on both databases, keeping the rows: workspaces made before it
were made in English and get "en"; users made before it follow their browser (no language)."""
from __future__ import annotations

import sqlalchemy as sa

from storage import migrate

from .test_migration_0010 import _count

AT = "'2026-01-01 00:00:00'"
ROWS = [
    f"INSERT INTO workspace (id, name, currency, created_at) VALUES ('w1', 'Contoso', 'USD', {AT})",
    'INSERT INTO "user" (id, tenant_id, object_id, email, display_name, time_zone, created_at) '
    f"VALUES ('u1', NULL, NULL, 'dev@example.com', 'Dev', 'UTC', {AT})",
    f"INSERT INTO member (workspace_id, user_id, role, added_at) VALUES ('w1', 'u1', 'owner', {AT})",
]


def _columns(engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_0013_gives_workspaces_english_and_users_no_language_and_takes_them_away_keeping_the_rows(engine):
    try:
        migrate.downgrade(engine, "0012")
        assert "language" not in _columns(engine, "workspace") and "language" not in _columns(engine, "user")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.exec_driver_sql(statement)
        migrate.upgrade(engine, "0013")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT language FROM workspace WHERE id = 'w1'").scalar() == "en"
            assert conn.exec_driver_sql("SELECT language FROM \"user\" WHERE id = 'u1'").scalar() is None
        with engine.begin() as conn:  # the server default also serves rows inserted without it
            conn.exec_driver_sql(f"INSERT INTO workspace (id, name, currency, created_at) VALUES ('w2', 'B', 'EUR', {AT})")
            conn.exec_driver_sql("UPDATE workspace SET language = 'fr' WHERE id = 'w1'")
            conn.exec_driver_sql("UPDATE \"user\" SET language = 'fr' WHERE id = 'u1'")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT language FROM workspace WHERE id = 'w2'").scalar() == "en"
        migrate.downgrade(engine, "0012")
        assert "language" not in _columns(engine, "workspace") and "language" not in _columns(engine, "user")
        assert _count(engine, "workspace") == 2 and _count(engine, '"user"') == 1 and _count(engine, "member") == 1
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT name FROM workspace WHERE id = 'w1'").scalar() == "Contoso"
    finally:
        migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
