"""The ``fake-graph`` command as a real process: prints its URL, applies --fault, stops on Ctrl-C."""
from __future__ import annotations

import json
import signal
import subprocess
import sys

from click.testing import CliRunner

from graph_sync.fake.cli import fake_graph

from .conftest import Client


def run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graph_sync.fake.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err


def test_serves_the_demo_mailbox_with_faults_and_a_required_token():
    process = run("--port", "0", "--fault", "match=/me,status=503,times=1,retry_after=0.5",
                  "--require-token", "tok")
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1.0")
        client = Client(url, token="tok")
        first = client.get("/me")
        assert first.status == 503 and first.headers["retry-after"] == "0.5"
        assert client.ok("GET", "/me")["mail"] == "demo@contoso.com"
        assert Client(url, token="other").get("/me").status == 401
    finally:
        code, err = stop(process)
    assert code == 0, err


def test_other_mailbox_file(tmp_path):
    path = tmp_path / "box.json"
    path.write_text(json.dumps({"user": {"id": "u-2", "mail": "lee@example.com", "userPrincipalName": "lee@example.com",
                                         "displayName": "Lee"}}), encoding="utf-8")
    process = run("--mailbox", str(path))
    try:
        url = process.stdout.readline().strip()
        assert Client(url).ok("GET", "/users/lee@example.com")["displayName"] == "Lee"
    finally:
        code, err = stop(process)
    assert code == 0, err


def test_bad_options_are_usage_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(fake_graph, ["--fault", "match=/me,status=200"]).exit_code == 2
    assert runner.invoke(fake_graph, ["--mailbox", str(tmp_path / "missing.json")]).exit_code == 2
    refused = runner.invoke(fake_graph, ["--host", "0.0.0.0"])
    assert refused.exit_code == 1 and "loopback" in refused.output
