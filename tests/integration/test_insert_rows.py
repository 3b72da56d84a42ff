"""storage.db.insert_rows (the sync's bulk insert) stores exactly what SQLAlchemy's own insert stores."""
import datetime as dt

import pytest
import sqlalchemy as sa

from storage.db import insert_rows
from storage.models import HistoryItem, new_id
from storage.services import access, workspaces


def _item(ws: str, n: int) -> dict:
    at = dt.datetime(2026, 11, 2, 9, 30, n, 123456, tzinfo=dt.timezone.utc)
    return {"id": new_id(), "workspace_id": ws, "kind": "email", "subject": f"Proposal «{n}» 'quoted' %s %(x)s",
            "summary": "Hello", "body": None if n % 2 else "Body text", "occurred_at": at,
            "direction": "incoming", "graph_id": f"AAMk{n}", "internet_message_id": f"<m{n}@x.example>",
            "ical_uid": None, "conversation_id": "AAQk1", "web_link": None, "change_key": None,
            "from_address": "anna@fabrikam.example", "starts_at": None, "ends_at": None, "location": None,
            "duration_minutes": None, "to_addresses": ["demo@contoso.com", f"b{n}@x.example"], "cc_addresses": [],
            "series_id": None, "cancelled": False, "sent_at": None,
            "done": False, "removed_in_mailbox": n == 3, "version": 1, "created_at": at, "updated_at": at}


def test_rows_read_back_equal_to_those_of_sqlalchemys_insert(engine, session):
    owner = access.get_or_create_dev_user(session, "demo@contoso.com")
    ws = workspaces.create_workspace(session, owner, "Bulk").id
    session.commit()
    ours, theirs = [_item(ws, n) for n in range(5)], [_item(ws, n + 10) for n in range(5)]
    with engine.begin() as conn:
        insert_rows(conn, HistoryItem.__table__, ours)
        conn.execute(HistoryItem.__table__.insert(), theirs)
        insert_rows(conn, HistoryItem.__table__, [])  # nothing to do
    with engine.connect() as conn:
        stored = {r.id: r._asdict() for r in conn.execute(sa.select(HistoryItem.__table__))}
    assert len(stored) == 10
    for mine, reference in zip(ours, theirs):
        got, expected = dict(stored[mine["id"]]), dict(stored[reference["id"]])
        for row in (got, expected):
            for key in ("id", "subject", "graph_id", "internet_message_id", "to_addresses", "occurred_at",
                        "created_at", "updated_at", "body", "removed_in_mailbox"):
                row.pop(key)
        assert got == expected
        assert stored[mine["id"]]["subject"] == mine["subject"]
        assert stored[mine["id"]]["to_addresses"] == mine["to_addresses"]
        assert stored[mine["id"]]["occurred_at"].replace(tzinfo=dt.timezone.utc) == mine["occurred_at"]
        assert stored[mine["id"]]["removed_in_mailbox"] is mine["removed_in_mailbox"]
        assert stored[mine["id"]]["body"] == mine["body"]


def test_rows_that_leave_out_a_column_with_a_default_are_refused(engine):
    row = _item("0" * 32, 1)
    del row["removed_in_mailbox"]
    with engine.connect() as conn, pytest.raises(ValueError, match="removed_in_mailbox"):
        insert_rows(conn, HistoryItem.__table__, [row])
