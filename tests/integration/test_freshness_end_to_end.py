"""The whole company chain, as bench/freshness.py runs it, on a few mailboxes: real processes only.

PostgreSQL (a database of its own), the company fake Graph with the stand-in Entra over HTTPS and Graph's
throttling on, `dealpane serve` receiving Graph's change notifications over HTTP, `dealpane mailboxes
add --from-file` in application mode, two `dealpane sync` workers LISTENing for wake-ups. Customer mail
put into the fake must reach the accounts' history through the API, every message once, with no 429
and never more than Graph's 4 requests at once in a mailbox. (How fast is the benchmark's business,
not this test's: nothing here is timed but the generous drain the run may take.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_new_customer_mail_reaches_the_history_once_through_webhooks_and_two_workers(tmp_path):
    url = os.environ.get("DEALPANE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("DEALPANE_TEST_PG_URL is not set: run the suite with `make test`")
        pytest.skip("needs PostgreSQL (run `make test`)")
    out = tmp_path / "freshness.json"
    env = {**os.environ, "DEALPANE_BENCH_PG_URL": url}
    run = subprocess.run([sys.executable, "bench/freshness.py", "--mailboxes", "6", "--workers", "2",
                          "--concurrency", "3", "--messages-per-mailbox", "4", "--rate", "2", "--seconds", "4",
                          "--idle", "1", "--drain", "90", "--latency", "0.01-0.05", "--notify-delay", "0.3",
                          "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mailboxes"] == 6 and result["injected"] == 8
    assert result["lost"] == 0 and result["doubled"] == 0 and result["history_items_doubled_by_graph_id"] == 0
    assert result["freshness_p50_s"] is not None
    assert result["subscriptions"] == 18  # inbox, sent items and calendar of each mailbox
    assert result["notifications"]["items"] >= 8 and result["notifications"]["failed_posts"] == 0
    assert sum(result["throttled_429"].values()) == 0 and 1 <= result["max_concurrent_per_mailbox"] <= 4
    assert result["idle_window_requests"] == 0  # with webhooks an idle company asks Graph nothing
    assert result["full_pass_requests_per_mailbox"] == 4  # inbox, sent items, calendar, To Do deltas
