"""Mixed load: 50 concurrent clients for 60 s of pane and workspace calls (reads and writes).

What a busy sales team does: the pane's context call on open mail, the workspace's list and
reading pane, search, history, probability updates and notes. Zero errors expected (no 5xx,
no lost writes); prints p50/p95 per call and overall.

Usage: DEALPANE_DATABASE_URL=... .venv/bin/python bench/load.py [--clients 50] [--seconds 60]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import ROOT, Server, percentile, request, run_clients, workspace_of_demo  # noqa: E402

RESULTS = Path(__file__).with_name("results")


def addresses(url: str, ws: str) -> list[str]:
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from storage.db import make_engine
    from storage.models import ContactEmail

    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.select(ContactEmail.address).where(ContactEmail.workspace_id == ws)
                             .limit(5000)).scalars().all()
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL")
    if not url:
        raise SystemExit("set DEALPANE_DATABASE_URL (seed it with bench/seed.py)")
    ws = workspace_of_demo(url)
    senders = addresses(url, ws)
    base = f"/api/v1/workspaces/{ws}"
    server = Server(workers=args.workers)
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    try:
        conn0 = __import__("http.client").client.HTTPConnection("127.0.0.1", server.port)
        _, body, _ = request(conn0, "GET", f"{base}/opportunities?status=open&limit=200")
        ids = [o["id"] for o in json.loads(body)["items"]]
        deadline = time.monotonic() + args.seconds

        def work(conn, n):
            rnd = random.Random(n)
            mine = defaultdict(list)
            bad = defaultdict(lambda: defaultdict(int))
            while time.monotonic() < deadline:
                roll = rnd.random()
                opp = rnd.choice(ids)
                if roll < 0.35:
                    name, call = "pane context", ("GET", f"{base}/context?from={quote(rnd.choice(senders))}", None)
                elif roll < 0.55:
                    name, call = "list opportunities", ("GET", f"{base}/opportunities?sort=-updated_at&limit=50", None)
                elif roll < 0.70:
                    name, call = "get opportunity", ("GET", f"{base}/opportunities/{opp}", None)
                elif roll < 0.80:
                    name, call = "search", ("GET", f"{base}/search?q={rnd.choice('abcdefghilmnoprst')}", None)
                elif roll < 0.88:
                    name, call = "history", ("GET", f"{base}/opportunities/{opp}/history?limit=20", None)
                elif roll < 0.96:
                    name, call = "update probability", ("PATCH", f"{base}/opportunities/{opp}",
                                                        {"probability": rnd.randint(1, 99)})
                else:
                    name, call = "add note", ("POST", f"{base}/opportunities/{opp}/history",
                                              {"kind": "note", "subject": f"load {n}", "body": "checked in"})
                start = time.perf_counter()
                status, _, _ = request(conn, *call)
                mine[name].append(time.perf_counter() - start)
                if status >= 400 and not (status == 409 and call[0] != "GET"):
                    bad[name][status] += 1
            with lock:
                for key, values in mine.items():
                    latencies[key].extend(values)
                for key, counts in bad.items():
                    for status, count in counts.items():
                        failures[key][status] += count

        run_clients(server.port, args.clients, work)
    finally:
        server.stop()
    everything = [v for values in latencies.values() for v in values]
    errors = sum(c for counts in failures.values() for c in counts.values())
    print(f"{args.clients} clients for {args.seconds:.0f} s on {url.split(':', 1)[0]}, {args.workers} gunicorn "
          f"workers: {len(everything)} requests ({len(everything) / args.seconds:.0f}/s), errors {errors}")
    print(f"{'call':<22}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for key in sorted(latencies):
        values = latencies[key]
        print(f"{key:<22}{len(values):>8}{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}")
    print(f"{'all':<22}{len(everything):>8}{percentile(everything, 50):>9.1f}{percentile(everything, 95):>9.1f}")
    if errors:
        print("failures:", {k: dict(v) for k, v in failures.items()})
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"load_{url.split(':', 1)[0]}.json").write_text(json.dumps({
        "clients": args.clients, "seconds": args.seconds, "requests": len(everything), "errors": errors,
        "p95_ms": percentile(everything, 95),
        "per_call": {k: {"count": len(v), "p95_ms": percentile(v, 95)} for k, v in latencies.items()}}, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
