"""Sync throughput: a generated mailbox synced from the fake Graph, beside a plain paging baseline.

Baseline (same run, same fake): httpx + json.loads following nextLink to the deltaLink, no
models, no database. Dealpane: the real adapter and sync engine into a database (SQLite by
default, or DEALPANE_DATABASE_URL, already migrated). Both run in child processes so their
peak RSS is their own.

Each of --rounds rounds (default 5) runs both, in alternating order, Dealpane into a new empty
SQLite database (or a new workspace of DEALPANE_DATABASE_URL); the median round's ratio is the figure.

Usage: .venv/bin/python bench/sync_throughput.py [--messages 100000] [--page-size 1000] [--matched 0.3] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import process_cpu  # noqa: E402


def generate_mailbox(path: Path, count: int, matched: float, seed: int = 7) -> None:
    rnd = random.Random(seed)
    customers = [f"buyer{n}@customer{n % 400}.example" for n in range(2000)]
    strangers = [f"news{n}@bulk{n % 50}.example" for n in range(500)]
    messages = []
    for n in range(count):
        sender = rnd.choice(customers) if rnd.random() < matched else rnd.choice(strangers)
        messages.append({
            "id": f"AAMkAGbench{n:09d}=", "subject": f"Message {n}", "bodyPreview": "Hello " * 20,
            "from": {"emailAddress": {"name": sender.split("@")[0], "address": sender}},
            "toRecipients": [{"emailAddress": {"name": "Demo", "address": "demo@contoso.com"}}],
            "receivedDateTime": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T10:00:00Z",
            "sentDateTime": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T09:59:00Z",
            "internetMessageId": f"<bench-{n}@example>", "conversationId": f"AAQkbench{n // 3}=",
            "parentFolderId": "inbox",
        })
    path.write_text(json.dumps({"user": {"id": "bench-user", "mail": "demo@contoso.com", "displayName": "Demo",
                                         "userPrincipalName": "demo@contoso.com"},
                                "messages": messages, "events": [], "todoLists": []}))


def start_fake(mailbox: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "graph_sync.fake.cli", "--mailbox", str(mailbox), "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the fake Graph did not start: {url!r}")
    return process, url


def child_baseline(url: str, page_size: int) -> dict:
    import httpx

    headers = {"Authorization": "Bearer bench", "Prefer": f'IdType="ImmutableId", odata.maxpagesize={page_size}'}
    start, cpu, items, requests = time.perf_counter(), time.process_time(), 0, 0
    with httpx.Client(timeout=120) as client:
        link = f"{url}/me/mailFolders/inbox/messages/delta"
        while link:
            body = json.loads(client.get(link, headers=headers).content)
            requests += 1
            items += len(body["value"])
            link = body.get("@odata.nextLink")
    return {"seconds": time.perf_counter() - start, "items": items, "requests": requests,
            "sync_cpu_seconds": round(time.process_time() - cpu, 2)}


def child_sync(url: str, page_size: int, database_url: str, contacts: int) -> dict:
    import sqlalchemy as sa

    from graph_sync.clients import GraphAccess, GraphSettings
    from graph_sync.sync import MailboxSync
    from storage.db import UnitOfWork, make_engine, make_session_factory
    from storage.models import HistoryItem
    from storage.services import access, crm, workspaces
    from storage.services.mailboxes import connect_mailbox

    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        owner = access.get_or_create_dev_user(uow.session, "demo@contoso.com")
        workspace = workspaces.create_workspace(uow.session, owner, f"Bench {time.time_ns()}")
        for n in range(contacts):
            crm.save_contact(uow.session, workspace.id, None, {"display_name": f"Buyer {n}",
                                                               "email_addresses": [f"buyer{n}@customer{n % 400}.example"]})
        mailbox, _ = connect_mailbox(uow.session, workspace.id, "demo@contoso.com", "dev")
        mailbox.folders = ["inbox"]
        uow.commit()
        workspace_id, mailbox_id = workspace.id, mailbox.id
    access_ = GraphAccess(GraphSettings(base_url=url, auth="dev", page_size=page_size), factory)
    client = access_.client_for_mailbox(mailbox)
    sync = MailboxSync(factory, client, mailbox_id)
    start, cpu = time.perf_counter(), time.process_time()
    report = sync.run_messages_only("inbox")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with factory() as session:
        stored = session.scalar(sa.select(sa.func.count()).select_from(HistoryItem)
                                .where(HistoryItem.workspace_id == workspace_id))
    return {"seconds": seconds, "items": report.seen, "requests": report.pages, "stored": stored,
            "sync_cpu_seconds": round(cpu, 2)}


def run_child(kind: str, args, url: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--url", url, "--page-size", str(args.page_size),
               "--database-url", args.database_url, "--contacts", str(args.contacts)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--matched", type=float, default=0.3, help="share of messages from known contacts")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("DEALPANE_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5, help="baseline and Dealpane runs, alternating")
    parser.add_argument("--child", choices=["baseline", "sync", "generate"])
    parser.add_argument("--out")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child == "generate":  # in its own process: the parent stays small, so children's peak RSS is theirs
        generate_mailbox(Path(args.out), args.messages, args.matched)
        return 0
    if args.child:
        result = child_baseline(args.url, args.page_size) if args.child == "baseline" else \
            child_sync(args.url, args.page_size, args.database_url, args.contacts)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
        result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
        print(json.dumps(result))
        return 0

    given_database = args.database_url
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        mailbox = Path(tmp) / "mailbox.json"
        subprocess.run([sys.executable, __file__, "--child", "generate", "--out", str(mailbox), "--messages",
                        str(args.messages), "--matched", str(args.matched)], check=True)
        fake, url = start_fake(mailbox)
        try:
            for r in range(args.rounds):
                if not given_database:  # a new, empty database per round
                    from storage import migrate
                    from storage.db import make_engine

                    args.database_url = f"sqlite:///{Path(tmp) / f'bench{r}.sqlite3'}"
                    engine = make_engine(args.database_url)
                    migrate.upgrade(engine)
                    engine.dispose()
                # alternating order: drift on a shared machine hits both alike
                order = ("baseline", "sync") if r % 2 == 0 else ("sync", "baseline")
                row = {}
                for kind in order:
                    fake_cpu = process_cpu(fake.pid)[2]
                    row[kind] = run_child(kind, args, url)
                    row[kind]["fake_graph_cpu_seconds"] = round(process_cpu(fake.pid)[2] - fake_cpu, 2)
                rounds.append(row)
        finally:
            fake.terminate()
            fake.wait(timeout=30)
    database = args.database_url.split(":", 1)[0]
    ratios = [row["sync"]["seconds"] / row["baseline"]["seconds"] for row in rounds]
    middle = sorted(range(len(rounds)), key=lambda i: ratios[i])[len(rounds) // 2]  # the median round
    baseline, dealpane, ratio = rounds[middle]["baseline"], rounds[middle]["sync"], ratios[middle]
    print(f"{args.messages:,} messages, page size {args.page_size}, {args.matched:.0%} from known contacts, "
          f"database {database}, {args.rounds} alternating rounds (the median round shown)")
    print(f"{'run':<10}{'seconds':>9}{'items/s':>10}{'requests':>10}{'peak RSS MB':>13}{'CPU s':>8}{'fake Graph CPU s':>18}")
    for name, row in (("baseline", baseline), ("dealpane", dealpane)):
        print(f"{name:<10}{row['seconds']:>9.2f}{row['items'] / row['seconds']:>10,.0f}{row['requests']:>10}"
              f"{row['peak_rss_mb']:>13}{row['sync_cpu_seconds']:>8}{row['fake_graph_cpu_seconds']:>18}")
    print(f"dealpane / baseline time: {ratio:.2f}x (median; rounds {', '.join(f'{x:.2f}' for x in ratios)}); "
          f"stored {dealpane['stored']:,} history items; requests {dealpane['requests']} for {baseline['requests']} pages; "
          f"peak RSS {max(row['sync']['peak_rss_mb'] for row in rounds)} MB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sync_throughput_{database}_{args.messages}.json"
    out.write_text(json.dumps({"messages": args.messages, "page_size": args.page_size, "database": database,
                               "baseline": baseline, "dealpane": dealpane, "ratio": round(ratio, 2),
                               "round_ratios": [round(x, 2) for x in ratios], "rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
