"""CSV import cost: N rows of accounts, business contacts and opportunities, through the service and HTTP.

Each file has distinct categories on every row (plus one shared), distinct e-mail domains and
addresses, names that link the kinds (contacts name an account; opportunities link accounts and
contacts, are assigned to a member, name a sales stage, a list value, a catalogue product and an
initiator, and have two line rows each). For each N the files are imported in the documented order
(accounts, contacts, opportunities), each first as a dry run and then for real, into a new workspace:
once through storage.services.transfer.import_csv (a session of its own, committed as the API does)
and once through POST /api/v1/workspaces/{ws}/import/{kind} with the Flask test client.

Printed per step: wall seconds, rows/s, CPU seconds of this process, SQL statements sent to the
database (cursor executions), and the ratio to the baseline measured in the same run: reading the
same text with the csv module (list(csv.reader(...))), which any import has to do.

Usage: .venv/bin/python bench/import_rows.py [--rows 1000 2000 20000] [--kinds accounts contacts opportunities]
                                             [--paths service http] [--json FILE]
Database: a new SQLite file in a temporary directory, or DEALPANE_DATABASE_URL (migrated here; each
N gets new workspaces, nothing is deleted). PostgreSQL:
  bash tools/with-postgres.sh sh -c 'DEALPANE_DATABASE_URL=$DEALPANE_TEST_PG_URL .venv/bin/python bench/import_rows.py'
The HTTP path raises the request body limit (DEALPANE_MAX_BODY_BYTES, 1 MB by default) to 256 MB:
a 20,000-row opportunities file is larger than 1 MB, see the printed sizes.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin.app import create_app  # noqa: E402
from addin.config import Config, sqlite_url  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Member  # noqa: E402
from storage.services import transfer  # noqa: E402

OWNER = "owner@contoso.com"
MEMBER = "member@contoso.com"
KINDS = ("accounts", "contacts", "opportunities")
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won"]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def generate(kind: str, n: int) -> str:
    """n data rows of `kind`; the names link: contact i works for account i, opportunity j links
    account j (even j) or contact j (odd j)."""
    if kind == "accounts":
        return csv_text(transfer.ACCOUNT_COLUMNS, [
            [f"Account {i:05d}", f"acct{i}.example", "555 0100", f"https://acct{i}.example", f"{i} Main Street",
             f"Key; Region {i}"] for i in range(n)])
    if kind == "contacts":
        return csv_text(transfer.CONTACT_COLUMNS, [
            [f"Contact {i:05d}", f"person{i}@acct{i}.example", "Buyer", "555 0101", f"Account {i:05d}",
             f"VIP; Team {i}"] for i in range(n)])
    header = ["Opportunity ID", "Opportunity Title", "Link To Type", "Link To", "Assigned To", "Type", "Sales Stage",
              "Probability", "Close Date", "Payment Terms", "Source", "Initiated By Type", "Initiated By",
              "Categories", "Comments", "Product or Service", "Quantity", "Unit Price", "Discount (%)"]
    rows = []
    for r in range(n):
        j, second = divmod(r, 2)  # two line rows per opportunity
        if second:
            rows.append([f"o{j}", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "Travel", "1", "250.00", ""])
            continue
        stage = STAGES[j % len(STAGES)]
        link = ("Account", f"Account {j:05d}") if j % 2 == 0 else ("Business Contact", f"Contact {j:05d}")
        rows.append([f"o{j}", f"Deal {j:05d}", *link, MEMBER, "New business", stage,
                     "" if stage == "Closed Won" else str(10 + j % 80), "2030-06-30", "Net 30", "Referral",
                     "Business Contact", f"Contact {(j + 1) % n:05d}", f"Key; Quarter {j}", f"Deal number {j}",
                     "Seats", "3", "", "5"])
    return csv_text(header, rows)


class Statements:
    """SQL statements sent to the database (one per cursor execution, executemany included)."""

    def __init__(self, engine: sa.Engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1


def measure(step) -> tuple[float, float, object]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = step()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def new_workspace(client, name: str) -> str:
    headers = {"X-Dev-User": OWNER}
    response = client.post("/api/v1/workspaces", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.get_json()
    ws = response.get_json()["id"]
    for path, body in ((f"/api/v1/workspaces/{ws}/members", {"email": MEMBER, "role": "member"}),
                       (f"/api/v1/workspaces/{ws}/products", {"name": "Seats", "unit_price": "240.00"})):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
    return ws


def through_service(app, ws: str, kind: str, text: str, dry_run: bool) -> int:
    services = app.extensions["dealpane"]
    with services.session_factory() as session:
        owner_id = session.scalar(sa.text("SELECT id FROM \"user\" WHERE email = :e"), {"e": OWNER})
        member = session.get(Member, (ws, owner_id))
        report = transfer.import_csv(session, member, kind, text, dry_run=dry_run)
        if report.imported:
            session.commit()
        assert report.ok, [(e.row, e.column, e.message) for e in report.errors()[:5]]
        return len(report.records)


def through_http(client, ws: str, kind: str, text: str, dry_run: bool) -> int:
    response = client.post(f"/api/v1/workspaces/{ws}/import/{kind}?dry_run={'true' if dry_run else 'false'}",
                           json={"csv": text}, headers={"X-Dev-User": OWNER})
    body = response.get_json()
    assert response.status_code in (200, 202), (response.status_code, str(body)[:500])
    if response.status_code == 202:  # run as a job: follow it to the end
        location = response.headers["Location"]
        while body.get("state") not in ("done", "failed"):
            time.sleep(0.05)
            body = client.get(location, headers={"X-Dev-User": OWNER}).get_json()
        body = body["report"]
    assert body["ok"], str(body)[:500]
    return len(body["records"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 2000, 20000])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--paths", nargs="+", choices=("service", "http"), default=["service", "http"])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    url = os.environ.get("DEALPANE_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="import-bench-")
        url = sqlite_url(Path(tmp.name) / "bench.sqlite3")
    engine = make_engine(url)
    migrate.upgrade(engine)
    app = create_app(Config(database_url=url, auth_mode="dev", max_body_bytes=256 << 20), engine=engine)
    client = app.test_client()
    statements = Statements(engine)
    print(f"database: {engine.url.get_backend_name()}; rows: {args.rows}; kinds: {args.kinds}; paths: {args.paths}")
    print(f"{'rows':>6} {'kind':<13} {'path':<7} {'mode':<4} {'seconds':>8} {'rows/s':>9} {'cpu s':>7} "
          f"{'stmts':>6} {'x csv':>8}  (csv parse s, file MB)")
    figures = []
    for n in args.rows:
        texts = {kind: generate(kind, n) for kind in args.kinds}
        for path in args.paths:
            ws = new_workspace(client, f"Import bench {n} {path}")
            for kind in args.kinds:
                text = texts[kind]
                baseline, _, _ = measure(lambda: list(csv.reader(io.StringIO(text, newline=""))))
                for dry_run in (True, False):
                    before = statements.count
                    if path == "service":
                        seconds, cpu, records = measure(lambda: through_service(app, ws, kind, text, dry_run))
                    else:
                        seconds, cpu, records = measure(lambda: through_http(client, ws, kind, text, dry_run))
                    sent = statements.count - before
                    mode = "dry" if dry_run else "real"
                    figures.append({"rows": n, "kind": kind, "path": path, "mode": mode, "seconds": round(seconds, 3),
                                    "cpu_seconds": round(cpu, 3), "statements": sent, "records": records,
                                    "csv_parse_seconds": round(baseline, 4), "ratio": round(seconds / baseline, 1),
                                    "file_bytes": len(text.encode())})
                    print(f"{n:>6} {kind:<13} {path:<7} {mode:<4} {seconds:>8.2f} {n / seconds:>9,.0f} {cpu:>7.2f} "
                          f"{sent:>6} {seconds / baseline:>7.0f}x  ({baseline:.3f} s, "
                          f"{len(text.encode()) / 1e6:.1f} MB)", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"database": engine.url.get_backend_name(), "figures": figures}, indent=1))
    engine.dispose()
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
