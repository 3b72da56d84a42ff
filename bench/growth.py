"""How cost grows with data: the context call's latency at 10 %, 30 % and 100 % of the full dataset.

For each fraction: a fresh, migrated database (SQLite file, or a fresh schema in the PostgreSQL
database named by DEALPANE_GROWTH_PG_URL), seeded by bench/seed.py with that share of
--opportunities/--contacts/--history, then bench/context_latency.py against it.

Usage: .venv/bin/python bench/growth.py [--opportunities 100000 --contacts 20000 --history 1000000]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--fractions", default="0.1,0.3,1.0")
    args = parser.parse_args()
    pg = os.environ.get("DEALPANE_GROWTH_PG_URL")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fraction in [float(f) for f in args.fractions.split(",")]:
            env = {**os.environ}
            if pg:
                import sqlalchemy as sa

                engine = sa.create_engine(pg.replace("+psycopg", "+psycopg"))
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
            run([sys.executable, "bench/context_latency.py", "--requests", str(args.requests)], env)
            database = env["DEALPANE_DATABASE_URL"].split(":", 1)[0]
            latency = json.loads((RESULTS / f"context_latency_{database}.json").read_text())
            rows.append({"fraction": fraction, "seed_seconds": seeded["seconds"], **{
                k: seeded[k] for k in ("opportunities", "contacts", "history")},
                "context_p50_ms": latency["context"]["p50_ms"], "context_p95_ms": latency["context"]["p95_ms"],
                "trivial_p95_ms": latency["trivial"]["p95_ms"], "ratio": latency["p95_ratio"]})
            print(json.dumps(rows[-1]), flush=True)
    database = "postgresql" if pg else "sqlite"
    print(f"\n{'share':>6}{'opps':>9}{'contacts':>10}{'history':>10}{'seed s':>8}{'ctx p50':>9}{'ctx p95':>9}"
          f"{'trivial p95':>12}{'ratio':>7}   ({database})")
    for r in rows:
        print(f"{r['fraction']:>6.0%}{r['opportunities']:>9}{r['contacts']:>10}{r['history']:>10}"
              f"{r['seed_seconds']:>8}{r['context_p50_ms']:>9}{r['context_p95_ms']:>9}{r['trivial_p95_ms']:>12}"
              f"{r['ratio']:>7}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"growth_{database}.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
