"""The link dialog's search (`…/search?q=`) in-process on a seeded database: ms per query.

Usage: DEALPANE_DATABASE_URL=... .venv/bin/python bench/search_latency.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
QUERIES = ("a", "pro", "proseware", "anna", "acct1", "zz")
TYPES = ["account", "contact", "opportunity", "marketing_activity"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DEALPANE_DATABASE_URL")
    if not url:
        raise SystemExit("set DEALPANE_DATABASE_URL to a seeded database (bench/seed.py)")
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import orm as so

    from bench.http_load import workspace_of_demo
    from storage.db import make_engine
    from storage.services.queries import search

    ws = workspace_of_demo(url)
    engine = make_engine(url, read_heavy=True)
    rows = {}
    with so.Session(engine) as session:
        for q in QUERIES:
            search(session, ws, q, TYPES, 20)  # warm
            started = time.perf_counter()
            for _ in range(args.repeat):
                found = search(session, ws, q, TYPES, 20)
            rows[q] = {"ms": round((time.perf_counter() - started) / args.repeat * 1000, 1), "hits": len(found)}
            print(f"q={q!r:<12} {rows[q]['ms']:>7} ms  {rows[q]['hits']} hits")
    engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"search_latency_{url.split(':', 1)[0]}.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
