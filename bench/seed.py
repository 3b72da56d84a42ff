"""Build a large realistic dataset fast (bulk inserts) in a workspace owned by demo@contoso.com.

Usage: DEALPANE_DATABASE_URL=... .venv/bin/python bench/seed.py --opportunities 100000 --contacts 20000 --history 1000000
The database must be migrated (`dealpane db upgrade`); without DEALPANE_DATABASE_URL the demo's
SQLite file (instance/demo.sqlite3) is used. Prints what it made and how long it took.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.models import (  # noqa: E402
    Account, AccountDomain, Contact, ContactEmail, HistoryItem, HistoryLink, Member, NameWord, Opportunity,
    OpportunityLine, SalesStage, new_id,
)
from storage.models.search import name_word_rows  # noqa: E402
from storage.services import access, workspaces  # noqa: E402
from storage.types import ScaledDecimal  # noqa: E402

CHUNK = 5000
WORDS = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware", "Adatum", "Wingtip", "Proseware", "Woodgrove",
         "Alpine", "Coho", "Margie", "Trey", "Lucerne", "Humongous", "Relecloud", "Fourth", "Blue", "Yonder", "Bellows"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Mia",
         "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara"]
LAST = ["Smith", "Meyer", "Rossi", "Novak", "Garcia", "Kowalski", "Dubois", "Jensen", "Silva", "Berg"]


def cents(value: Decimal) -> int:
    return ScaledDecimal(2).process_bind_param(value, None)


def insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--linked", type=float, default=0.4, help="share of e-mails also linked to an opportunity")
    parser.add_argument("--accounts", type=int, default=None, help="default: contacts / 5")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workspace-name", default="Benchmark")
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'demo.sqlite3'}"
    rnd = random.Random(args.seed)
    engine = make_engine(url)
    started = time.perf_counter()

    with make_session_factory(engine)() as session:
        owner = access.get_or_create_dev_user(session, "demo@contoso.com")
        workspace = workspaces.create_workspace(session, owner, args.workspace_name)
        session.commit()
        ws = workspace.id
        stages = [s for s in session.scalars(sa.select(SalesStage).where(SalesStage.workspace_id == ws))]
        members = [m.user_id for m in session.scalars(sa.select(Member).where(Member.workspace_id == ws))]
    now = dt.datetime.now(dt.timezone.utc)
    today = dt.date.today()
    n_accounts = args.accounts or max(1, args.contacts // 5)

    with engine.begin() as conn:
        accounts, domains = [], []
        for n in range(n_accounts):
            name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {n}"
            aid = new_id()
            accounts.append({"id": aid, "workspace_id": ws, "name": name, "version": 1, "created_at": now,
                             "updated_at": now})
            domains.append({"id": new_id(), "workspace_id": ws, "account_id": aid, "domain": f"acct{n}.example",
                            "position": 0})
        insert(conn, Account.__table__, accounts)
        insert(conn, AccountDomain.__table__, domains)

        contacts, emails = [], []
        for n in range(args.contacts):
            account = n % n_accounts
            cid = new_id()
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            contacts.append({"id": cid, "workspace_id": ws, "display_name": f"{first} {last} {n}",
                             "account_id": accounts[account]["id"], "version": 1, "created_at": now,
                             "updated_at": now})
            emails.append({"id": new_id(), "workspace_id": ws, "contact_id": cid, "position": 0,
                           "address": f"{first.lower()}.{last.lower()}{n}@acct{account}.example"})
        insert(conn, Contact.__table__, contacts)
        insert(conn, ContactEmail.__table__, emails)

        opportunities, lines = [], []
        for n in range(args.opportunities):
            stage = rnd.choice(stages)
            probability = {"won": 100, "lost": 0}.get(stage.outcome, rnd.choice([10, 20, 40, 60, 80]))
            quantity, price = Decimal(rnd.randint(1, 50)), Decimal(rnd.randint(100, 5000))
            total = quantity * price
            oid = new_id()
            link_contact = rnd.random() < 0.5
            opportunities.append({
                "id": oid, "workspace_id": ws, "title": f"{rnd.choice(WORDS)} deal {n}",
                "assigned_to": rnd.choice(members), "probability": probability, "total": cents(total),
                "expected_revenue": cents(total * probability / 100),
                "close_date": today + dt.timedelta(days=rnd.randint(-120, 240)),
                "link_account_id": None if link_contact else accounts[n % n_accounts]["id"],
                "link_contact_id": contacts[n % args.contacts]["id"] if link_contact else None,
                "stage_id": stage.id, "stage_entered_on": today - dt.timedelta(days=rnd.randint(0, 60)),
                "comments": "", "follow_conversations": True, "version": 1, "created_at": now, "updated_at": now})
            lines.append({"id": new_id(), "opportunity_id": oid, "position": 0, "name": "Licence",
                          "quantity": int(quantity * 1000), "unit_price": cents(price), "discount_percent": 0,
                          "amount": cents(total)})
        insert(conn, Opportunity.__table__, opportunities)
        insert(conn, OpportunityLine.__table__, lines)
        # what the ORM's events write for records it saves: the link dialog's search index
        words = [row for kind, records, column in (("account", accounts, "name"), ("contact", contacts, "display_name"),
                                                   ("opportunity", opportunities, "title"))
                 for record in records for row in name_word_rows(kind, ws, record["id"], record[column])]
        words += [row for d in domains for row in name_word_rows("account_domain", ws, d["account_id"], d["domain"])]
        words += [row for e in emails for row in name_word_rows("contact_address", ws, e["contact_id"], e["address"])]
        insert(conn, NameWord.__table__, words)

        # the opportunities a contact's e-mails can be filed under: the contact's own and its account's
        deals_of: dict[int, list[str]] = {}
        for n, opportunity in enumerate(opportunities):
            if opportunity["link_contact_id"]:
                deals_of.setdefault(n % args.contacts, []).append(opportunity["id"])
        by_account: dict[int, list[str]] = {}
        for n, opportunity in enumerate(opportunities):
            if opportunity["link_account_id"]:
                by_account.setdefault(n % n_accounts, []).append(opportunity["id"])

        for start in range(0, args.history, CHUNK):
            items, links = [], []
            for n in range(start, min(start + CHUNK, args.history)):
                contact = n % args.contacts
                iid = new_id()
                items.append({
                    "id": iid, "workspace_id": ws, "kind": "email", "subject": f"Re: proposal {n}",
                    "summary": "Thanks for the call", "occurred_at": now - dt.timedelta(minutes=n),
                    "internet_message_id": f"<bench-{ws[:8]}-{n}@acct{contact % n_accounts}.example>",
                    "graph_id": f"AAMkbench{ws[:8]}{n}", "conversation_id": f"AAQk{n // 4}",
                    "from_address": emails[contact]["address"], "to_addresses": json.dumps(["demo@contoso.com"]),
                    "cc_addresses": "[]", "direction": "incoming", "done": False, "removed_in_mailbox": False,
                    "version": 1, "created_at": now, "updated_at": now})
                links.append({"id": new_id(), "item_id": iid, "opportunity_id": None, "account_id": None,
                              "contact_id": contacts[contact]["id"], "origin": "auto", "reason": "bench",
                              "suppressed": False, "created_at": now})
                # as in a real mailbox: many e-mails are in a deal's history too (the linker's
                # "one open opportunity" rule, or the salesperson's one-click link)
                deals = deals_of.get(contact, []) + by_account.get(contact % n_accounts, [])
                if deals and rnd.random() < args.linked:
                    links.append({"id": new_id(), "item_id": iid, "opportunity_id": rnd.choice(deals),
                                  "account_id": None, "contact_id": None, "origin": rnd.choice(("auto", "manual")),
                                  "reason": "bench", "suppressed": False, "created_at": now})
            conn.execute(HistoryItem.__table__.insert(), _json_rows(items, engine))
            conn.execute(HistoryLink.__table__.insert(), links)
    if engine.dialect.name == "postgresql":
        # as after any bulk load (pg_restore users run vacuumdb --analyze): the planner needs statistics
        # now, not when autovacuum comes round in the middle of a benchmark
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    print(json.dumps({"workspace_id": ws, "database": engine.dialect.name, "accounts": n_accounts,
                      "contacts": args.contacts, "opportunities": args.opportunities, "history": args.history,
                      "seconds": round(seconds, 1)}))
    return 0


def _json_rows(rows: list[dict], engine) -> list[dict]:
    """JSON columns take Python lists through the Core insert."""
    for row in rows:
        row["to_addresses"] = json.loads(row["to_addresses"])
        row["cc_addresses"] = json.loads(row["cc_addresses"])
    return rows


if __name__ == "__main__":
    sys.exit(main())
