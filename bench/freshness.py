"""A company's mailboxes kept fresh: how long after a customer's e-mail arrives is it on the deal?

Everything runs on this machine, as separate processes:
- PostgreSQL (a new database per case; without DEALPANE_BENCH_PG_URL / DEALPANE_TEST_PG_URL the script
  runs itself again under tools/with-postgres.sh, which starts a throwaway cluster);
- the company fake Graph (`python -m graph_sync.fake.cli --company N`): N mailboxes generated from a
  seed, Graph's per-mailbox limits (4 concurrent requests, 10,000 per 10 minutes, 429 + Retry-After),
  a latency per request, change notifications POSTed to the webhook after a delay, and the stand-in
  Entra over HTTPS issuing app-only tokens (client credentials);
- the web tier, `dealpane serve` (gunicorn, 2 processes; dev auth for the API readers, application
  Graph access), which also receives the change notifications;
- `--workers` sync workers, `dealpane sync --concurrency C`.

A case: create the workspace and one account per customer domain through the API, connect every
mailbox in application mode (`dealpane mailboxes add --from-file`), start the workers and wait for the
first sync of every mailbox (and, with webhooks, its subscriptions), printing progress; then an idle
window; then customer mail is put into random mailboxes at `--rate` messages a second for `--seconds`
(through the fake's control route, which answers the instant the message was stored). An observer polls
the accounts' history through the API (`GET …/accounts/{id}/history`, newest first) for the messages still
outstanding; a message's freshness is the time from its arrival in the fake to the first answer that
shows it. After the run: messages never seen are `lost`; every account's history is read whole and an
injected message present twice is `doubled`.

Idle cost: a forced full pass over every mailbox is counted (Graph requests per mailbox), and the cost of
keeping each mailbox fresh for an hour follows from the schedule the code uses: with webhooks, one safety
pass every DEALPANE_SYNC_SAFETY_INTERVAL_SECONDS plus one renewal per subscription every
(lifetime − renew-before) of graph_sync/subscriptions.py; polling-only, one pass every
DEALPANE_SYNC_INTERVAL_SECONDS. The requests Graph saw during the idle window are reported beside it.

Usage:
  .venv/bin/python bench/freshness.py                      # headline: 1,000 mailboxes, webhooks, 2 workers
  .venv/bin/python bench/freshness.py --mailboxes 100 --workers 1 --mode polling
  .venv/bin/python bench/freshness.py --matrix             # 100 and 1,000 mailboxes x 1, 2, 4 workers, webhooks;
                                                           # 1,000 x 2 polling-only (about 45 minutes)
  .venv/bin/python bench/freshness.py --kill-worker        # SIGKILL one worker half-way through the injection
Writes bench/results/freshness.json (the headline or the last case) and, with --matrix, freshness_matrix.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import Server, cpu_seconds_by_group, free_port, process_cpu  # noqa: E402

ADMIN = "admin@contoso.com"
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (k - low), 3)


# ---- PostgreSQL --------------------------------------------------------------------------------

def server_url() -> str | None:
    return os.environ.get("DEALPANE_BENCH_PG_URL") or os.environ.get("DEALPANE_TEST_PG_URL")


def new_database(base_url: str, name: str) -> str:
    import sqlalchemy as sa  # noqa: PLC0415

    url = sa.engine.make_url(base_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    import sqlalchemy as sa  # noqa: PLC0415

    url = sa.engine.make_url(base_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# ---- processes ---------------------------------------------------------------------------------

class KeepAlive:
    """JSON over one keep-alive connection per thread to host:port, sent again once on a dropped one."""

    def __init__(self, host: str, port: int, headers: dict | None = None):
        self.host, self.port, self.headers = host, port, headers or {}
        self._local = threading.local()

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        for attempt in range(2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                return response.status, (json.loads(raw) if raw and raw[:1] in b"{[" else raw)
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def ok(self, method: str, path: str, body=None) -> object:
        status, payload = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {payload!r:.400}")
        return payload


class Fake:
    """The company fake Graph (+ stand-in Entra) in its own process."""

    def __init__(self, mailboxes: int, messages: int, latency: str, notify_delay: float, tls_dir: str, seed: int):
        command = [PYTHON, "-m", "graph_sync.fake.cli", "--company", str(mailboxes), "--messages-per-mailbox",
                   str(messages), "--seed", str(seed), "--latency", latency, "--notify", "--notify-delay",
                   str(notify_delay), "--entra-tls-dir", tls_dir, "--port", "0"]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
        line = self.process.stdout.readline().strip()
        try:
            self.info = json.loads(line)
        except ValueError:
            self.process.kill()
            raise SystemExit(f"the company fake Graph did not start: {line!r}") from None
        control = urllib.parse.urlsplit(self.info["control_url"])
        self.http = KeepAlive(control.hostname, control.port)

    def call(self, method: str, path: str, body=None) -> dict:
        return self.http.ok(method, path, body) or {}

    def stats(self) -> dict:
        return self.call("GET", "/_fake/stats?summary=1")

    def reset_stats(self) -> None:
        self.call("DELETE", "/_fake/stats")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def api_client(port: int) -> KeepAlive:
    """The web tier's REST API as the admin reads it (dev auth)."""
    return KeepAlive("127.0.0.1", port, {"X-Dev-User": ADMIN})


def dealpane(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "addin.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          **kwargs)


# ---- one case ----------------------------------------------------------------------------------

class Case:
    def __init__(self, args: argparse.Namespace, mailboxes: int, workers: int, mode: str, kill: bool):
        self.args, self.mailboxes, self.workers, self.mode, self.kill = args, mailboxes, workers, mode, kill
        self.name = f"fresh_{mailboxes}_{workers}_{mode}{'_kill' if kill else ''}"
        self.processes: list[subprocess.Popen] = []
        self.worker_processes: list[subprocess.Popen] = []
        self.tmp = tempfile.TemporaryDirectory(prefix="dealpane-freshness-")
        self._dead_cpu: dict[int, float] = {}  # CPU a killed worker had used: its /proc entry is gone

    # -- set-up --
    def start(self) -> None:
        from graph_sync.fake.company import customer_addresses  # noqa: PLC0415

        args = self.args
        self.db_url = new_database(args.pg_url, self.name)
        log(f"case {self.name}: database ready; starting the company fake Graph ({self.mailboxes} mailboxes)")
        self.fake = Fake(self.mailboxes, args.messages_per_mailbox, args.latency, args.notify_delay,
                         str(Path(self.tmp.name) / "tls"), args.seed)
        info = self.fake.info
        self.domain = info["domain"]
        self.web_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEALPANE_")}
        env.update({
            "DEALPANE_DATABASE_URL": self.db_url, "DEALPANE_GRAPH_BASE_URL": info["graph_url"],
            "DEALPANE_GRAPH_AUTH": "application", "DEALPANE_AUTH_MODE": "dev", "DEALPANE_INSECURE_DEV_AUTH": "1",
            "DEALPANE_CLIENT_ID": info["client_id"], "DEALPANE_CLIENT_SECRET": info["client_secret"],
            "DEALPANE_TENANT_ID": info["tenant_id"], "DEALPANE_AUTHORITY_HOST": info["authority_host"],
            "REQUESTS_CA_BUNDLE": info["ca_file"], "SSL_CERT_FILE": info["ca_file"],
            "DEALPANE_SECRET_KEY": "freshness-bench-secret-key-0123456789abcdef",
            "DEALPANE_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "DEALPANE_SYNC_CONCURRENCY": str(args.concurrency),
            "DEALPANE_SYNC_LEASE_SECONDS": str(args.lease),
            "DEALPANE_LOG_LEVEL": "WARNING",
        })
        if self.mode == "webhooks":
            env["DEALPANE_WEBHOOK_URL"] = f"http://127.0.0.1:{self.web_port}/api/v1/graph/notifications"
        self.env = env
        upgraded = dealpane(env, "db", "upgrade")
        if upgraded.returncode:
            raise SystemExit(f"db upgrade failed: {upgraded.stderr[-2000:]}")
        with open(Path(self.tmp.name) / "web.log", "w") as web_log:
            self.web = Server(args.web_workers, env, web_log, self.web_port).process
        self.processes.append(self.web)
        self.api = api_client(self.web_port)
        workspace = self.api.ok("POST", "/api/v1/workspaces", {"name": "Contoso sales", "currency": "EUR"})
        self.ws = workspace["id"]
        self.accounts: dict[str, str] = {}
        for domain in sorted({a.split('@')[1] for a in customer_addresses(args.customers)}):
            account = self.api.ok("POST", f"/api/v1/workspaces/{self.ws}/accounts",
                                  {"name": domain.split(".")[0].title(), "email_domains": [domain]})
            self.accounts[domain] = account["id"]
        self.sellers = [f"seller{n:04d}@{self.domain}" for n in range(self.mailboxes)]
        listing = Path(self.tmp.name) / "sellers.txt"
        listing.write_text("\n".join(self.sellers) + "\n")
        started = time.monotonic()
        added = dealpane(env, "mailboxes", "add", "--from-file", str(listing), "--workspace", self.ws,
                         "--mode", "application")
        if added.returncode:
            raise SystemExit(f"mailboxes add failed ({added.returncode}): {added.stdout[-1500:]} {added.stderr[-1500:]}")
        log(f"connected {self.mailboxes} mailboxes in {time.monotonic() - started:.1f} s; "
            f"{len(self.accounts)} accounts")

    def start_workers(self) -> None:
        for n in range(self.workers):
            process = subprocess.Popen([PYTHON, "-m", "addin.cli", "sync", "--concurrency", str(self.args.concurrency)],
                                       cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=open(Path(self.tmp.name) / f"worker{n}.log", "w"))
            self.processes.append(process)
            self.worker_processes.append(process)

    # -- database views (progress only; every measurement of freshness goes through the API) --
    def db(self):
        import sqlalchemy as sa  # noqa: PLC0415

        if not hasattr(self, "_engine"):
            self._engine = sa.create_engine(self.db_url, pool_size=2)
        return self._engine

    def scalar(self, sql: str, **params):
        import sqlalchemy as sa  # noqa: PLC0415

        with self.db().begin() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def first_sync(self) -> dict:
        started = time.monotonic()
        self.start_workers()
        want_subscriptions = self.mode == "webhooks"
        last_print = 0.0
        while True:
            synced = self.scalar("SELECT count(*) FROM mailbox WHERE last_sync_at IS NOT NULL")
            # every mailbox subscribed for its inbox, sent items and calendar (graph_sync.subscriptions.resources_of)
            subscribed = self.scalar("SELECT count(*) FROM subscription") // 3 if want_subscriptions else 0
            items = self.scalar("SELECT count(*) FROM history_item")
            failing = self.scalar("SELECT count(*) FROM mailbox WHERE status <> 'ok'")
            elapsed = time.monotonic() - started
            done = synced == self.mailboxes and (not want_subscriptions or subscribed == self.mailboxes)
            if done or elapsed - last_print >= 10:
                log(f"first sync: {synced}/{self.mailboxes} mailboxes synced"
                    + (f", {subscribed} subscribed" if want_subscriptions else "")
                    + f", {items} history items, {failing} not ok, {elapsed:.0f} s")
                last_print = elapsed
            if done:
                break
            for process in self.worker_processes:
                if process.poll() is not None:
                    raise SystemExit(f"a sync worker exited with {process.returncode}: see its log")
            if elapsed > self.args.first_sync_timeout:
                raise SystemExit(f"first sync not finished after {elapsed:.0f} s")
            time.sleep(1)
        return {"first_sync_s": round(time.monotonic() - started, 1), "history_items_after_first_sync": items}

    # -- measurement --
    def postmaster(self) -> int:
        """Our PostgreSQL server's postmaster (the parent of a backend of ours): other clusters on the
        machine (a test run) are not counted."""
        if not hasattr(self, "_postmaster"):
            self._postmaster = process_cpu(self.scalar("SELECT pg_backend_pid()"))[1]
        return self._postmaster

    def cpu(self) -> dict:
        groups = cpu_seconds_by_group(self.web.pid, self.postmaster())
        workers = 0.0
        for process in self.worker_processes:
            try:
                workers += process_cpu(process.pid)[2]
            except OSError:  # killed
                workers += self._dead_cpu.get(process.pid, 0.0)
        return {"workers": workers, "database": groups["database"], "web": groups["server"]}

    def inject(self, rate: float | None = None, seconds: float | None = None, label: str = "") -> dict:
        from graph_sync.fake.company import customer_addresses  # noqa: PLC0415

        args = self.args
        rate = rate or args.rate
        seconds = seconds or args.seconds
        customers = customer_addresses(args.customers)
        rnd = random.Random(args.seed + 1 + len(label))
        outstanding: dict[str, dict] = {}   # internetMessageId -> {arrived, account, mailbox}
        seen: dict[str, float] = {}
        lock = threading.Lock()
        stop_observing = threading.Event()
        killed: dict = {}
        polls = Counter()

        def observe() -> None:
            api = api_client(self.web_port)
            while not stop_observing.is_set():
                with lock:
                    accounts = {m["account"] for m in outstanding.values()}
                if not accounts:
                    stop_observing.wait(0.05)
                    continue
                cycle = time.monotonic()
                for account in accounts:
                    status, page = api.call("GET", f"/api/v1/workspaces/{self.ws}/accounts/{account}/history?limit=50")
                    now = time.time()
                    polls["requests"] += 1
                    if status != 200:
                        polls[f"status_{status}"] += 1
                        continue
                    ids = {((item.get("graph") or {}).get("internet_message_id")) for item in page["items"]}
                    with lock:
                        for message_id in ids & outstanding.keys():
                            seen[message_id] = now
                            outstanding[message_id]["visible"] = now
                            del outstanding[message_id]
                spent = time.monotonic() - cycle
                stop_observing.wait(max(0.0, args.poll - spent))

        observer = threading.Thread(target=observe, name="observer", daemon=True)
        cpu_before = self.cpu()
        stats_before = self.fake.stats()
        observer.start()
        sent: list[dict] = []
        started = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):
            due = started + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self.kill and not label and not killed and n >= total // 2:
                killed.update(self._kill_one_worker())
                for k, upn in enumerate(killed["mailboxes"]):  # new mail for each mailbox it held, at once
                    customer = rnd.choice(customers)
                    message_id = f"<fresh-{self.name}-killed{k}@{customer.split('@')[1]}>"
                    record = {"n": f"killed{k}", "mailbox": upn, "account": self.accounts[customer.split("@")[1]],
                              "internetMessageId": message_id}
                    with lock:
                        outstanding[message_id] = record
                    answer = self.fake.call("POST", f"/_fake/users/{urllib.parse.quote(upn)}/messages", {
                        "subject": "Are you still there?", "internetMessageId": message_id, "parentFolderId": "inbox",
                        "from": {"emailAddress": {"name": customer.split("@")[0], "address": customer}},
                        "toRecipients": [{"emailAddress": {"address": upn}}]})
                    record["arrived"] = answer["arrived_at"]
                    sent.append(record)
            seller = rnd.randrange(self.mailboxes)
            customer = rnd.choice(customers)
            message_id = f"<fresh-{self.name}-{label}{n}@{customer.split('@')[1]}>"
            upn = self.sellers[seller]
            record = {"n": n, "mailbox": upn, "account": self.accounts[customer.split("@")[1]],
                      "internetMessageId": message_id}
            with lock:
                outstanding[message_id] = record
            answer = self.fake.call("POST", f"/_fake/users/{urllib.parse.quote(upn)}/messages", {
                "subject": f"Quote request {n}", "bodyPreview": "Could you send us your best offer?",
                "from": {"emailAddress": {"name": customer.split("@")[0], "address": customer}},
                "toRecipients": [{"emailAddress": {"name": f"Seller {seller}", "address": upn}}],
                "internetMessageId": message_id, "parentFolderId": "inbox"})
            record["arrived"] = answer["arrived_at"]
            sent.append(record)
        injected_s = time.monotonic() - started
        log(f"injected {total} messages in {injected_s:.1f} s; waiting for the last ones")
        drain_until = time.monotonic() + args.drain
        while time.monotonic() < drain_until:
            with lock:
                if not outstanding:
                    break
            time.sleep(0.2)
        stop_observing.set()
        observer.join(timeout=30)
        cpu_after = self.cpu()
        window = time.monotonic() - started
        stats_after = self.fake.stats()
        with lock:
            lost = [m for m in sent if m["internetMessageId"] not in seen]
        fresh = [seen[m["internetMessageId"]] - m["arrived"] for m in sent if m["internetMessageId"] in seen]
        cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
        per_thousand = {f"cpu_s_per_1000_{k}": round(v * 1000 / max(total, 1), 2) for k, v in cpu.items()}
        # What the messages cost, net of the idle baseline and of the observer's own API reads (each
        # read's cost measured the same way afterwards: observer_read_cost).
        reads = self.observer_read_cost(polls["requests"])
        for k in cpu:
            net = cpu[k] - self.idle_cpu_per_s.get(k, 0.0) * window - reads.get(k, 0.0)
            per_thousand[f"cpu_s_per_1000_{k}_net"] = round(max(net, 0.0) * 1000 / max(total, 1), 2)
        result = {
            "injected": total, "rate_per_s": rate, "injection_s": round(injected_s, 1),
            "freshness_p50_s": percentile(fresh, 50), "freshness_p95_s": percentile(fresh, 95),
            "freshness_p99_s": percentile(fresh, 99), "freshness_max_s": round(max(fresh), 3) if fresh else None,
            "freshness_mean_s": round(statistics.fmean(fresh), 3) if fresh else None,
            "notifications": {k: stats_after["notifications"][k] - stats_before["notifications"].get(k, 0)
                              for k in stats_after.get("notifications", {})},
            "lost": len(lost), "observer_polls": polls["requests"], "observer_poll_s": args.poll,
            "graph_requests_during_injection": stats_after["requests"] - stats_before["requests"],
            "graph_requests_per_new_message": round((stats_after["requests"] - stats_before["requests"])
                                                    / max(total, 1), 2),
            **per_thousand,
        }
        if killed:
            held = set(killed["mailboxes"])
            # (every message for its mailboxes after the kill: the one put in each at once, and any later)
            theirs = [seen[m["internetMessageId"]] - m["arrived"] for m in sent
                      if m["mailbox"] in held and m["internetMessageId"] in seen and m["arrived"] >= killed["at"]]
            result["killed_worker"] = {
                "at_message": killed["at"], "mailboxes_leased": len(held), "lease_s": self.args.lease,
                "their_messages": len(theirs), "their_freshness_max_s": round(max(theirs), 3) if theirs else None,
                "their_lost": sum(1 for m in sent if m["mailbox"] in held and m["internetMessageId"] not in seen)}
        self._sent = getattr(self, "_sent", []) + sent
        result["throttled_during_injection"] = {k: v - stats_before["throttled"].get(k, 0)
                                                for k, v in stats_after["throttled"].items()}
        return result

    def observer_read_cost(self, polls: int, sample: int = 300) -> dict:
        """CPU the observer's `polls` history reads cost the web tier and the database: `sample` reads
        of the same kind timed by CPU, scaled."""
        if not polls:
            return {}
        accounts = list(self.accounts.values())
        before = self.cpu()
        for n in range(sample):
            self.api.ok("GET", f"/api/v1/workspaces/{self.ws}/accounts/{accounts[n % len(accounts)]}/history?limit=50")
        after = self.cpu()
        return {k: (after[k] - before[k]) / sample * polls for k in ("web", "database")}

    def _kill_one_worker(self) -> dict:
        """SIGKILL the first worker while it holds leases (it is in the middle of passes: waited for up to
        30 s), the way a host dies. Returns the mailboxes it held: their next mail must wait for the
        leases to expire (DEALPANE_SYNC_LEASE_SECONDS) and another worker to take them over."""
        import sqlalchemy as sa  # noqa: PLC0415

        victim = self.worker_processes[0]
        held: list[str] = []
        deadline = time.monotonic() + 30
        while not held and time.monotonic() < deadline:
            # Its lease owner name carries its pid (graph_sync.worker.worker_name).
            with self.db().connect() as conn:
                rows = conn.execute(sa.text("SELECT address, lease_owner FROM mailbox WHERE lease_owner IS NOT NULL"))
                held = [address for address, owner in rows if f":{victim.pid}:" in (owner or "")]
            if not held:
                time.sleep(0.02)
        self._dead_cpu[victim.pid] = process_cpu(victim.pid)[2]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        log(f"killed worker pid {victim.pid} holding {len(held)} leases: {', '.join(held)}")
        return {"at": time.time(), "mailboxes": held}

    def doubled(self) -> dict:
        """Every account's history read whole: injected messages present more than once."""
        counts: Counter[str] = Counter()
        graph_ids: Counter[str] = Counter()
        for account in self.accounts.values():
            cursor = None
            while True:
                path = f"/api/v1/workspaces/{self.ws}/accounts/{account}/history?limit=100"
                if cursor:
                    path += f"&cursor={urllib.parse.quote(cursor)}"
                page = self.api.ok("GET", path)
                for item in page["items"]:
                    graph = item.get("graph") or {}
                    if graph.get("internet_message_id"):
                        counts[graph["internet_message_id"]] += 1
                    if graph.get("id"):
                        graph_ids[graph["id"]] += 1
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        injected = {m["internetMessageId"] for m in getattr(self, "_sent", [])}
        return {"doubled": sum(1 for i in injected if counts[i] > 1),
                "history_items_doubled_by_graph_id": sum(1 for c in graph_ids.values() if c > 1),
                "history_items_read": sum(counts.values())}

    def idle_window(self) -> dict:
        self.fake.reset_stats()
        cpu_before = self.cpu()
        time.sleep(self.args.idle)
        cpu_after = self.cpu()
        stats = self.fake.stats()
        self.idle_cpu_per_s = {k: (cpu_after[k] - cpu_before[k]) / self.args.idle for k in cpu_before}
        return {"idle_window_s": self.args.idle, "idle_window_requests": stats["requests"],
                **{f"idle_cpu_s_per_hour_{k}": round(v * 3600, 1) for k, v in self.idle_cpu_per_s.items()},
                "idle_window_requests_per_mailbox_hour": round(stats["requests"] / self.mailboxes * 3600
                                                               / self.args.idle, 3)}

    def full_pass_cost(self) -> dict:
        """Every mailbox made due at once (what its safety poll does): Graph requests per mailbox."""
        self.fake.reset_stats()
        forced = self.scalar("SELECT now()")
        self.scalar("UPDATE mailbox SET next_sync_at = now() RETURNING 1")
        started = time.monotonic()
        while True:
            done = self.scalar("SELECT count(*) FROM mailbox WHERE last_sync_at >= :t", t=forced)
            if done >= self.mailboxes or time.monotonic() - started > self.args.first_sync_timeout:
                break
            time.sleep(1)
        time.sleep(2)  # the last passes' subscription checks
        stats = self.fake.stats()
        return {"full_pass_s": round(time.monotonic() - started, 1), "full_pass_mailboxes": done,
                "full_pass_requests_per_mailbox": round(stats["requests"] / max(done, 1), 2),
                "throttled_in_full_pass": stats["throttled"]}

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if hasattr(self, "fake"):
            self.fake.stop()
        if hasattr(self, "_engine"):
            self._engine.dispose()
        if hasattr(self, "db_url") and not self.args.keep:
            drop_database(self.args.pg_url, self.name)
        if not self.args.keep:
            self.tmp.cleanup()
        else:
            log(f"kept logs in {self.tmp.name}")


def schedule(env_mode: str, full_pass: float, subscriptions_per_mailbox: float) -> dict:
    """Requests per mailbox per hour when nothing happens, from the intervals the code uses."""
    from addin.config import Config  # noqa: PLC0415
    from graph_sync.subscriptions import LIFETIME, RENEW_BEFORE

    config = Config.from_env({})
    renew_every = (LIFETIME - RENEW_BEFORE).total_seconds()
    safety = getattr(config, "sync_safety_interval_seconds", None) or config.sync_interval_seconds
    if env_mode == "webhooks":
        polls = 3600 / safety
        renewals = subscriptions_per_mailbox * 3600 / renew_every
        return {"idle_requests_per_mailbox_hour": round(full_pass * polls + renewals, 3),
                "safety_poll_interval_s": safety, "subscription_renewals_per_mailbox_hour": round(renewals, 4),
                "subscription_renew_every_s": renew_every}
    return {"idle_requests_per_mailbox_hour": round(full_pass * 3600 / config.sync_interval_seconds, 3),
            "poll_interval_s": config.sync_interval_seconds, "subscription_renewals_per_mailbox_hour": 0.0}


def run_case(args: argparse.Namespace, mailboxes: int, workers: int, mode: str, kill: bool = False) -> dict:
    case = Case(args, mailboxes, workers, mode, kill)
    try:
        case.start()
        result = {"mailboxes": mailboxes, "workers": workers, "concurrency_per_worker": args.concurrency,
                  "mode": mode, "latency_s": args.latency, "notify_delay_s": args.notify_delay,
                  "messages_per_mailbox": args.messages_per_mailbox}
        result.update(case.first_sync())
        stats = case.fake.stats()
        result["first_sync_graph_requests"] = stats["requests"]
        result.update(case.idle_window())
        result.update(case.inject())
        if args.stress_rate:
            log(f"stress: {args.stress_rate} messages a second for {args.stress_seconds:.0f} s")
            stress = case.inject(args.stress_rate, args.stress_seconds, "stress")
            result["stress"] = {k: v for k, v in stress.items() if not k.startswith("observer")}
        result.update(case.doubled())
        stats = case.fake.stats()
        result["throttled_429"] = stats["throttled"]
        result["max_concurrent_per_mailbox"] = stats["max_concurrent_per_mailbox"]
        subscriptions = case.scalar("SELECT count(*) FROM subscription")
        result["subscriptions"] = subscriptions
        result.update(case.full_pass_cost())
        result.update(schedule(mode, result["full_pass_requests_per_mailbox"], subscriptions / mailboxes))
        total = case.fake.stats()
        result["max_concurrent_per_mailbox"] = max(result["max_concurrent_per_mailbox"],
                                                   total["max_concurrent_per_mailbox"])
        return result
    finally:
        case.stop()


def table(results: list[dict]) -> str:
    head = ("| mailboxes | workers | mode | first sync | p50 | p95 | p99 | max | lost | doubled | 429s "
            "| Graph req / new msg | idle req / mailbox / h | worker CPU s / 1k msgs (net) | DB CPU s / 1k msgs (net) |")
    rows = [head, "|" + "---|" * 15]
    for r in results:
        throttled = sum((r.get("throttled_429") or {}).values()) if isinstance(r.get("throttled_429"), dict) else 0
        rows.append(f"| {r['mailboxes']} | {r['workers']} | {r['mode']} | {r['first_sync_s']} s "
                    f"| {r['freshness_p50_s']} s | {r['freshness_p95_s']} s | {r['freshness_p99_s']} s "
                    f"| {r['freshness_max_s']} s | {r['lost']} | {r['doubled']} | {throttled} "
                    f"| {r['graph_requests_per_new_message']} | {r['idle_requests_per_mailbox_hour']} "
                    f"| {r.get('cpu_s_per_1000_workers_net')} | {r.get('cpu_s_per_1000_database_net')} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="mailboxes synced at once per worker")
    parser.add_argument("--mode", choices=["webhooks", "polling"], default="webhooks")
    parser.add_argument("--messages-per-mailbox", type=int, default=10, help="generated mail each mailbox starts with")
    parser.add_argument("--customers", type=int, default=1000, help="customer addresses (200 domains = accounts)")
    parser.add_argument("--rate", type=float, default=5.0, help="new customer messages per second, company-wide")
    parser.add_argument("--seconds", type=float, default=120, help="how long new mail keeps arriving")
    parser.add_argument("--stress-rate", type=float, default=0,
                        help="after the steady phase, a second phase at this rate (messages a second)")
    parser.add_argument("--stress-seconds", type=float, default=60)
    parser.add_argument("--drain", type=float, default=None, help="how long to wait for the last messages")
    parser.add_argument("--idle", type=float, default=30, help="idle window before the injection, seconds")
    parser.add_argument("--poll", type=float, default=0.25, help="the observer's API polling period, seconds")
    parser.add_argument("--latency", default="0.06-0.25", help="Graph's latency per request, seconds (a range)")
    parser.add_argument("--notify-delay", type=float, default=1.0, help="seconds before Graph POSTs a notification")
    parser.add_argument("--lease", type=int, default=60, help="DEALPANE_SYNC_LEASE_SECONDS of the workers")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--first-sync-timeout", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL one worker half-way through the injection")
    parser.add_argument("--matrix", action="store_true", help="100 and 1,000 mailboxes x 1, 2, 4 workers, + polling")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--out", type=Path, default=RESULTS / "freshness.json")
    args = parser.parse_args()
    # SIGTERM (timeout, CI) ends the run like Ctrl-C: each case's `finally` stops its processes.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    args.pg_url = server_url()
    if args.pg_url is None:  # a throwaway PostgreSQL cluster for this run
        os.execvp("bash", ["bash", str(ROOT / "tools" / "with-postgres.sh"), PYTHON, *sys.argv])
    RESULTS.mkdir(exist_ok=True)

    def drain_for(mode: str) -> float:
        if args.drain is not None:
            return args.drain
        from addin.config import Config  # noqa: PLC0415

        return 60.0 + (Config.from_env({}).sync_interval_seconds if mode == "polling" else 0) \
            + (args.lease if args.kill_worker else 0)

    if args.matrix:
        cases = [(100, w, "webhooks") for w in (1, 2, 4)] + [(1000, w, "webhooks") for w in (1, 2, 4)] \
            + [(1000, 2, "polling")]
        results = []
        for mailboxes, workers, mode in cases:
            results.append(run_one(args, mailboxes, workers, mode, False, drain=drain_for(mode)))
            (RESULTS / "freshness_matrix.json").write_text(json.dumps(results, indent=2) + "\n")
            if (mailboxes, workers, mode) == (1000, 2, "webhooks"):  # the headline case
                args.out.write_text(json.dumps(results[-1], indent=2) + "\n")
        print(table(results))
        return 0
    result = run_one(args, args.mailboxes, args.workers, args.mode, args.kill_worker, drain=drain_for(args.mode))
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(table([result]))
    return 0


def run_one(args, mailboxes, workers, mode, kill, drain=None) -> dict:
    saved = args.drain
    args.drain = drain if drain is not None else 60.0
    try:
        log(f"== {mailboxes} mailboxes, {workers} workers x {args.concurrency}, {mode}"
            + (", one worker killed" if kill else ""))
        result = run_case(args, mailboxes, workers, mode, kill)
        log(f"freshness p50 {result['freshness_p50_s']} s, p95 {result['freshness_p95_s']} s, "
            f"p99 {result['freshness_p99_s']} s, lost {result['lost']}, doubled {result['doubled']}")
        return result
    finally:
        args.drain = saved


if __name__ == "__main__":
    sys.exit(main())
