"""Concurrent opportunity updates: 16 clients PATCHing opportunities of one workspace at once.

Proves that on SQLite no "database is locked" reaches a client (writers queue on BEGIN IMMEDIATE
with a busy timeout) and reports throughput and latency. Conflicts on the same record are expected
to answer 409/412, never 500/503.

Usage: DEALPANE_DATABASE_URL=sqlite:///... .venv/bin/python bench/api_write.py [--clients 16] [--seconds 20]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import Server, percentile, request, run_clients, workspace_of_demo  # noqa: E402

RESULTS = Path(__file__).with_name("results")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL")
    if not url:
        raise SystemExit("set DEALPANE_DATABASE_URL (seed it with bench/seed.py)")
    ws = workspace_of_demo(url)
    server = Server()
    statuses: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        _, body, _ = request(__import__("http.client").client.HTTPConnection("127.0.0.1", server.port), "GET",
                             f"/api/v1/workspaces/{ws}/opportunities?status=open&limit=500")
        ids = [o["id"] for o in json.loads(body)["items"]]
        deadline = time.monotonic() + args.seconds

        def work(conn, n):
            rnd = random.Random(n)
            mine_status, mine_lat = Counter(), []
            while time.monotonic() < deadline:
                opp = rnd.choice(ids)
                start = time.perf_counter()
                status, _, _ = request(conn, "PATCH", f"/api/v1/workspaces/{ws}/opportunities/{opp}",
                                       {"probability": rnd.randint(1, 99), "competitors": f"client {n}"})
                mine_lat.append(time.perf_counter() - start)
                mine_status[status] += 1
            with lock:
                statuses.update(mine_status)
                latencies.extend(mine_lat)

        run_clients(server.port, args.clients, work)
    finally:
        server.stop()
    total = sum(statuses.values())
    errors = sum(c for s, c in statuses.items() if s >= 500)
    print(f"{args.clients} clients, {args.seconds:.0f} s of PATCHes on {url.split(':', 1)[0]}")
    print(f"requests {total}, {total / args.seconds:.1f}/s; statuses {dict(statuses)}; 5xx {errors}")
    print(f"latency p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
          f"p99 {percentile(latencies, 99):.1f} ms")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"api_write_{url.split(':', 1)[0]}.json").write_text(json.dumps({
        "clients": args.clients, "seconds": args.seconds, "requests": total, "statuses": dict(statuses),
        "server_errors": errors, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95)}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
