"""The pane's context call and the "Link to" search use indexes: an index that disappears fails here.

Every SQL statement the two calls run is captured and EXPLAINed. SQLite must not SCAN the large
tables without an index; PostgreSQL (with sequential scans disabled, since test tables are tiny)
must find an index for each of them.
"""
import re

import pytest
from sqlalchemy import event

from storage.demo import seed_demo
from storage.db import single_statement
from storage.demo import DEMO_OWNER
from storage.services.pane_context import cursor as pane_context_cursor
from storage.services.pane_context import pane_context, parameters_for, sql_for
from storage.services.queries import search

LARGE_TABLES = ("contact_email", "account_domain", "history_item", "history_link", "opportunity", "contact",
                "account")


def captured_statements(engine, action):
    statements = []

    def remember(conn, cursor, statement, parameters, context_, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return statements


def plan(engine, statement, parameters, *, native=False) -> str:
    """EXPLAIN of one statement; `native`: SQL with the database's own placeholders (pane_context.sql_for)."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cursor = pane_context_cursor(conn.connection.driver_connection) if native else raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        text = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        return text


def unindexed_scans(engine, text: str) -> list[str]:
    if engine.dialect.name == "sqlite":
        return [line for line in text.splitlines()
                if re.search(r"\bSCAN (\w+)", line) and "USING" not in line
                and re.search(r"\bSCAN (\w+)", line).group(1) in LARGE_TABLES]
    return [line for line in text.splitlines() if "Seq Scan on" in line
            and line.split("Seq Scan on")[1].split()[0] in LARGE_TABLES]


@pytest.fixture
def demo(session):
    workspace, _ = seed_demo(session)
    session.commit()
    return workspace


def test_the_pane_context_call_is_answered_from_indexes(engine, session, demo):
    ask = dict(internet_message_id="<x@fabrikam.com>", item_id="AAMkAGI2", caller_email=DEMO_OWNER,
               addresses=["megan.bowen@fabrikam.com", "someone@northwindtraders.com"])
    with single_statement(engine).connect() as conn:
        found = pane_context(conn, demo.id, **ask)
    assert found.caller is not None and found.matched_contacts  # the statement runs and finds something
    # ... and it is this one statement (one round trip), on indexes only:
    size, parameters = parameters_for(demo.id, **ask)
    text = plan(engine, *sql_for(engine.dialect, False, size, parameters), native=True)
    assert unindexed_scans(engine, text) == [], text
    # and no walk over the workspace's rows: cost must not grow with the workspace. SQLite plans
    # without statistics, so its choice is the code's; PostgreSQL costs a few-row test table's
    # indexes alike, so there only the walks that cost most in real data are checked.
    walks = re.findall(r"\bix_\w+_workspace_id\b", text) if engine.dialect.name == "sqlite" else [
        index for index in ("ix_opportunity_workspace_id", "ix_account_workspace_id") if index in text]
    assert walks == [], text


def test_the_link_dialog_search_is_answered_from_indexes(engine, session, demo):
    statements = captured_statements(engine, lambda: search(
        session, demo.id, "fab", ["account", "contact", "opportunity", "marketing_activity"], 20))
    assert len(statements) >= 4
    searched = 0
    for statement, parameters in statements:
        text = plan(engine, statement, parameters)
        assert unindexed_scans(engine, text) == [], statement
        if "name_word" in statement:  # a record type's search: one range of the name words' key
            searched += 1
            assert re.search(r"name_word USING PRIMARY KEY|pk_name_word", text), text
            if engine.dialect.name == "sqlite":  # and no walk of the workspace's records
                assert re.findall(r"\bix_\w+_workspace_id\b|ix_\w+_ws_updated\b", text) == [], text
    assert searched == 4


def test_the_check_itself_sees_a_full_scan(engine, session, demo):
    """Without a usable index (a condition on an unindexed column) the check must complain."""
    statement = "SELECT id FROM contact_email WHERE position = 0" if engine.dialect.name == "sqlite" \
        else "SELECT id FROM contact_email WHERE position = 0"
    assert unindexed_scans(engine, plan(engine, statement, ())) != []
