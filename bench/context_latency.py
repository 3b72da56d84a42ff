"""Latency of the pane's context call under 8 concurrent clients, beside a trivial route of the same app.

A real server process (`dealpane serve`, gunicorn, dev auth) on the database named by
DEALPANE_DATABASE_URL (seed it with bench/seed.py first); clients pick random senders of the
largest workspace. Prints p50/p95/p99 and the ratio of the p95s, and writes JSON.

Usage: DEALPANE_DATABASE_URL=... .venv/bin/python bench/context_latency.py [--requests 2000] [--clients 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_workload(url: str, count: int) -> tuple[str, list[str]]:
    import sqlalchemy as sa

    from storage.db import make_engine
    from storage.models import ContactEmail, Opportunity

    engine = make_engine(url)
    with engine.connect() as conn:
        ws = conn.execute(sa.select(Opportunity.workspace_id, sa.func.count()).group_by(Opportunity.workspace_id)
                          .order_by(sa.func.count().desc()).limit(1)).first()[0]
        addresses = conn.execute(sa.select(ContactEmail.address).where(ContactEmail.workspace_id == ws)
                                 .limit(50_000)).scalars().all()
    engine.dispose()
    rnd = random.Random(1)
    return ws, [rnd.choice(addresses) for _ in range(count)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def hammer(port: int, paths: list[str], clients: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    chunks = [paths[i::clients] for i in range(clients)]

    def client(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for path in chunk:
            start = time.perf_counter()
            conn.request("GET", path, headers={"X-Dev-User": "demo@contoso.com"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL")
    if not url:
        raise SystemExit("set DEALPANE_DATABASE_URL to a seeded database (bench/seed.py)")
    ws, senders = pick_workload(url, args.requests)
    port = free_port()
    env = {**os.environ, "DEALPANE_AUTH_MODE": "dev", "DEALPANE_GRAPH_AUTH": "dev"}
    server = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port), "--workers",
                               str(args.workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.2)
        context_paths = [f"/api/v1/workspaces/{ws}/context?from={quote(a)}&to=demo%40contoso.com" for a in senders]
        trivial_paths = ["/healthz"] * args.requests
        hammer(port, context_paths[:100], args.clients)  # warm-up
        trivial, trivial_errors = hammer(port, trivial_paths, args.clients)
        context, context_errors = hammer(port, context_paths, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = {}
    print(f"{args.requests} requests per route, {args.clients} concurrent clients, "
          f"{args.workers} gunicorn workers, database {url.split(':', 1)[0]}")
    print(f"{'route':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}")
    for name, values, errors in (("trivial", trivial, trivial_errors), ("context", context, context_errors)):
        rows[name] = {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
                      "p99_ms": round(percentile(values, 99), 2), "errors": errors,
                      "throughput": round(len(values) / sum(values) * args.clients, 1),
                      "mean_ms": round(statistics.mean(values) * 1000, 2)}
        r = rows[name]
        print(f"{name:<10}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}{r['throughput']:>9}{errors:>8}")
    ratio = rows["context"]["p95_ms"] / rows["trivial"]["p95_ms"]
    print(f"context p95 / trivial p95 = {ratio:.2f} (target <= 2)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"context_latency_{url.split(':', 1)[0]}.json").write_text(
        json.dumps({"requests": args.requests, "clients": args.clients, **rows, "p95_ratio": round(ratio, 2)},
                   indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
