"""Shared pieces of the HTTP benchmarks: a real `dealpane serve` process and keep-alive clients."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


def process_cpu(pid: int | str) -> tuple[str, int, float]:
    """A process's name, parent id and CPU time (user + system) used so far (Linux /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return stat[stat.index("(") + 1:stat.rindex(")")], int(fields[1]), \
        (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_group(server_pid: int, postmaster: int | None = None) -> dict[str, float]:
    """CPU time used so far by the server (the process and its children: gunicorn's workers) and by
    the PostgreSQL server processes on this machine, or only by `postmaster` and its backends (one
    cluster, when other clusters run beside it)."""
    found = {"server": 0.0, "database": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            name, parent, seconds = process_cpu(entry)
        except OSError:  # gone meanwhile
            continue
        if int(entry) == server_pid or parent == server_pid:
            found["server"] += seconds
        elif name == "postgres" and (postmaster is None or postmaster in (int(entry), parent)):
            found["database"] += seconds
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`dealpane serve` (gunicorn, dev auth) on the database named by DEALPANE_DATABASE_URL, or with
    `env` as its whole environment (its output to `log`, an open file, when given; on `port`, else a
    free one)."""

    def __init__(self, workers: int | None = None, env: dict | None = None, log=None, port: int | None = None):
        self.port = port or free_port()
        if env is None:
            env = {**os.environ, "DEALPANE_AUTH_MODE": "dev", "DEALPANE_GRAPH_AUTH": "dev"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "addin.cli", "serve", "--insecure-dev-auth", "--port", str(self.port),
             *(["--workers", str(workers)] if workers else [])],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"dealpane serve exited with {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not become ready (is the database migrated?)")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None, user="demo@contoso.com",
            headers: dict | None = None) -> tuple[int, bytes, dict]:
    data = json.dumps(body).encode() if body is not None else None
    h = {"X-Dev-User": user, **({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    conn.request(method, path, body=data, headers=h)
    response = conn.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def run_clients(port: int, clients: int, work: Callable[[http.client.HTTPConnection, int], None]) -> None:
    def client(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            work(conn, n)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000 if ordered else 0.0


def workspace_of_demo(database_url: str) -> str:
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from storage.db import make_engine
    from storage.models import Opportunity

    engine = make_engine(database_url)
    with engine.connect() as conn:
        ws = conn.execute(sa.select(Opportunity.workspace_id, sa.func.count()).group_by(Opportunity.workspace_id)
                          .order_by(sa.func.count().desc()).limit(1)).first()[0]
    engine.dispose()
    return ws
