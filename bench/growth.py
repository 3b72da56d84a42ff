"""How cost grows with data: every benchmark at 10 %, 30 % and 100 % of the full dataset.

For each fraction: a fresh, migrated database (a SQLite file, or a fresh schema in the PostgreSQL
database named by DEALPANE_GROWTH_PG_URL), seeded by bench/seed.py with that share of
--opportunities/--contacts/--history; then against it bench/context_latency.py (the pane's context
call beside the trivial route), bench/api_write.py (16 concurrent writers) and
bench/sync_throughput.py with that share of --messages (a new mailbox synced into the same
database). Prints one table and writes bench/results/growth_<database>.json.

Usage: .venv/bin/python bench/growth.py [--opportunities 100000 --contacts 20000 --history 1000000
       --messages 100000] [--fractions 0.1,0.3,1.0]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")


def run(command: list[str], env: dict) -> str:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def result(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000, help="context calls per fraction")
    parser.add_argument("--write-seconds", type=float, default=10)
    parser.add_argument("--fractions", default="0.1,0.3,1.0")
    args = parser.parse_args()
    pg = os.environ.get("DEALPANE_GROWTH_PG_URL")
    database = "postgresql" if pg else "sqlite"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fraction in [float(f) for f in args.fractions.split(",")]:
            env = {**os.environ}
            if pg:
                import sqlalchemy as sa

                engine = sa.create_engine(pg)
                with engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                engine.dispose()
                env["DEALPANE_DATABASE_URL"] = pg
            else:
                env["DEALPANE_DATABASE_URL"] = f"sqlite:///{Path(tmp) / f'growth-{fraction}.sqlite3'}"
            run([sys.executable, "-m", "addin.cli", "db", "upgrade"], env)
            seeded = json.loads(run([sys.executable, "bench/seed.py",
                                     "--opportunities", str(int(args.opportunities * fraction)),
                                     "--contacts", str(int(args.contacts * fraction)),
                                     "--history", str(int(args.history * fraction))], env).strip().splitlines()[-1])
            dialect = env["DEALPANE_DATABASE_URL"].split(":", 1)[0]
            run([sys.executable, "bench/context_latency.py", "--requests", str(args.requests), "--rounds", "4",
                 "--warmup", "1000"], env)
            latency = result(f"context_latency_{dialect}.json")
            run([sys.executable, "bench/api_write.py", "--seconds", str(args.write_seconds)], env)
            writes = result(f"api_write_{dialect}.json")
            messages = int(args.messages * fraction)
            run([sys.executable, "bench/sync_throughput.py", "--messages", str(messages), "--rounds", "3",
                 "--database-url", env["DEALPANE_DATABASE_URL"]], env)
            sync = result(f"sync_throughput_{dialect}_{messages}.json")
            rows.append({
                "fraction": fraction, "seed_seconds": seeded["seconds"],
                **{k: seeded[k] for k in ("opportunities", "contacts", "history")},
                "context_p50_ms": latency["context"]["p50_ms"], "context_p95_ms": latency["context"]["p95_ms"],
                "trivial_p95_ms": latency["trivial"]["p95_ms"], "context_ratio": latency["p95_ratio"],
                "context_cpu_ratio": round(sum(latency["cpu_us_per_call"]["context"].values())
                                           / sum(latency["cpu_us_per_call"]["trivial"].values()), 2),
                "context_database_cpu_us": latency["cpu_us_per_call"]["context"]["database"],
                "writes_per_s": round(writes["requests"] / writes["seconds"], 1), "write_p95_ms": round(writes["p95_ms"], 1),
                "write_5xx": writes["server_errors"], "messages": messages, "sync_ratio": sync["ratio"],
                "sync_items_per_s": round(sync["dealpane"]["items"] / sync["dealpane"]["seconds"]),
                "sync_peak_rss_mb": sync["dealpane"]["peak_rss_mb"],
            })
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'share':>6}{'opps':>8}{'history':>9}{'seed s':>7}{'ctx p50':>8}{'ctx p95':>8}{'triv p95':>9}{'ratio':>6}{'CPU ratio':>10}"
          f"{'PATCH/s':>8}{'PATCH p95':>10}{'5xx':>4}{'messages':>9}{'sync/base':>10}{'items/s':>8}{'RSS MB':>7}"
          f"   ({database})")
    for r in rows:
        print(f"{r['fraction']:>6.0%}{r['opportunities']:>8}{r['history']:>9}{r['seed_seconds']:>7}"
              f"{r['context_p50_ms']:>8}{r['context_p95_ms']:>8}{r['trivial_p95_ms']:>9}{r['context_ratio']:>6}{r['context_cpu_ratio']:>10}"
              f"{r['writes_per_s']:>8}{r['write_p95_ms']:>10}{r['write_5xx']:>4}{r['messages']:>9}"
              f"{r['sync_ratio']:>10}{r['sync_items_per_s']:>8}{r['sync_peak_rss_mb']:>7}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"growth_{database}.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
