"""Latency of the pane's context call under 8 concurrent clients, beside a trivial route of the same app.

A real server process (`dealpane serve`: gunicorn with its production settings, dev auth) on the
database named by DEALPANE_DATABASE_URL (seed it with bench/seed.py first). What the pane sends
when a salesperson opens an e-mail: the sender (a random contact of the largest workspace), the
mailbox owner as recipient, and the message's internetMessageId — half of them e-mails already in
the history (so the linked-opportunity path runs), half new ones.

Each client is its own process with one keep-alive connection (no client-side GIL in the timings).
After a warm-up (a server that has run for a while: page caches filled), rounds alternate the
trivial route (/healthz) and the context call, so drift on a shared machine hits both alike.
Prints p50/p95/p99 per route over all rounds, the p95 ratio (target <= 2) and the per-round
ratios, and writes bench/results/context_latency_<database>.json.

Usage: DEALPANE_DATABASE_URL=... .venv/bin/python bench/context_latency.py [--requests 6000] [--rounds 6]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import ROOT, Server, cpu_seconds_by_group, percentile  # noqa: E402

RESULTS = Path(__file__).with_name("results")
DEV_USER = "demo@contoso.com"


def pick_workload(url: str, count: int) -> tuple[str, list[str]]:
    """The largest workspace and `count` context paths into it."""
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from storage.db import make_engine
    from storage.models import ContactEmail, HistoryItem, Opportunity

    engine = make_engine(url)
    with engine.connect() as conn:
        ws = conn.execute(sa.select(Opportunity.workspace_id, sa.func.count()).group_by(Opportunity.workspace_id)
                          .order_by(sa.func.count().desc()).limit(1)).first()[0]
        addresses = conn.execute(sa.select(ContactEmail.address).where(ContactEmail.workspace_id == ws)
                                 .limit(50_000)).scalars().all()
        mails = conn.execute(sa.select(HistoryItem.internet_message_id, HistoryItem.from_address).where(
            HistoryItem.workspace_id == ws, HistoryItem.internet_message_id.is_not(None)).limit(50_000)).all()
    engine.dispose()
    rnd = random.Random(1)
    paths = []
    for n in range(count):
        if mails and n % 2:
            message_id, sender = rnd.choice(mails)
            sender = sender or rnd.choice(addresses)
        else:
            message_id, sender = f"<{rnd.getrandbits(64):x}@mail.example>", rnd.choice(addresses)
        paths.append(f"/api/v1/workspaces/{ws}/context?internet_message_id={quote(message_id)}"
                     f"&from={quote(sender)}&to={quote(DEV_USER)}")
    return ws, paths


def _client(port: int, paths: list[str], start, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    start.wait()
    for path in paths:
        began = time.perf_counter()
        conn.request("GET", path, headers={"X-Dev-User": DEV_USER})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - began)
        errors += response.status != 200
    conn.close()
    out.put((latencies, errors))


def hammer(port: int, paths: list[str], clients: int) -> tuple[list[float], int]:
    """`paths` spread over `clients` processes, all started together; every latency and the error count."""
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_client, args=(port, paths[i::clients], start, out)) for i in range(clients)]
    for w in workers:
        w.start()
    time.sleep(0.2)  # every client connected and waiting
    start.set()
    latencies, errors = [], 0
    for _ in workers:
        mine, bad = out.get()
        latencies += mine
        errors += bad
    for w in workers:
        w.join()
    return latencies, errors


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the client processes)."""
    times = os.times()
    return times.children_user + times.children_system


def summary(values: list[float], errors: int) -> dict:
    return {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
            "p99_ms": round(percentile(values, 99), 2), "mean_ms": round(statistics.mean(values) * 1000, 2),
            "requests": len(values), "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="per route, over all rounds")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's default)")
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL")
    if not url:
        raise SystemExit("set DEALPANE_DATABASE_URL to a seeded database (bench/seed.py)")
    database = url.split(":", 1)[0]
    _ws, paths = pick_workload(url, args.requests + args.warmup)
    per_round = args.requests // args.rounds
    server = Server(workers=args.workers)
    try:
        warm, warm_errors = hammer(server.port, paths[:args.warmup], args.clients)
        if warm_errors:
            raise SystemExit(f"{warm_errors} context calls failed during the warm-up")
        trivial, context, rounds = [], [], []
        cpu = {name: {"server": 0.0, "database": 0.0, "clients": 0.0} for name in ("trivial", "context")}
        errors = {"trivial": 0, "context": 0}
        for r in range(args.rounds):
            chunk = paths[args.warmup + r * per_round:args.warmup + (r + 1) * per_round]
            order = (("trivial", ["/healthz"] * per_round), ("context", chunk))
            measured = {}
            for name, route_paths in (order if r % 2 == 0 else order[::-1]):
                before, clients_before = cpu_seconds_by_group(server.process.pid), _children_cpu()
                measured[name], bad = hammer(server.port, route_paths, args.clients)
                after = cpu_seconds_by_group(server.process.pid)
                cpu[name]["clients"] += _children_cpu() - clients_before
                for group in ("server", "database"):
                    cpu[name][group] += after[group] - before[group]
                errors[name] += bad
            trivial += measured["trivial"]
            context += measured["context"]
            rounds.append(round(percentile(measured["context"], 95) / percentile(measured["trivial"], 95), 2))
    finally:
        server.stop()
    rows = {"trivial": summary(trivial, errors["trivial"]), "context": summary(context, errors["context"])}
    ratio = rows["context"]["p95_ms"] / rows["trivial"]["p95_ms"]
    print(f"{args.requests} requests per route in {args.rounds} alternating rounds, {args.clients} client processes, "
          f"server `dealpane serve`{f' --workers {args.workers}' if args.workers else ''}, database {database}")
    print(f"{'route':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'errors':>8}")
    for name, r in rows.items():
        print(f"{name:<10}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['mean_ms']:>9}{r['errors']:>8}")
    print(f"context p95 / trivial p95 = {ratio:.2f} (target <= 2); per round: {rounds}")
    # Where the CPU goes: on a machine where server, database and clients share the cores, p95 under
    # closed-loop load follows the CPU each call costs all of them together.
    per_call = {name: {group: round(seconds / len(trivial if name == "trivial" else context) * 1e6)
                       for group, seconds in groups.items()} for name, groups in cpu.items()}
    print(f"{'CPU per call':<14}{'server µs':>11}{'database µs':>13}{'clients µs':>12}{'total µs':>10}")
    for name, groups in per_call.items():
        print(f"{name:<14}{groups['server']:>11}{groups['database']:>13}{groups['clients']:>12}"
              f"{sum(groups.values()):>10}")
    print(f"CPU per call, context / trivial = {sum(per_call['context'].values()) / sum(per_call['trivial'].values()):.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"context_latency_{database}.json").write_text(json.dumps(
        {"requests": args.requests, "rounds": args.rounds, "clients": args.clients, **rows,
         "p95_ratio": round(ratio, 2), "round_ratios": rounds, "cpu_us_per_call": per_call}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
