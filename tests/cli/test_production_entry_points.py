"""The production entry points (`dealpane serve`, gunicorn with addin.wsgi:production_app()) refuse dev
auth unless told it is a local test, and serve Prometheus metrics on their own bind, never the app port."""
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from addin.cli import main
from addin.config import sqlite_url
from addin.wsgi import UnsafeConfiguration, production_app

ROOT = Path(__file__).resolve().parents[2]
ENTRA = {"DEALPANE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
         "DEALPANE_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47", "DEALPANE_JWKS_URL": "http://127.0.0.1:9/keys"}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("DEALPANE_") or name.startswith("PROMETHEUS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEALPANE_DATABASE_URL", sqlite_url(tmp_path / "prod.sqlite3"))
    return monkeypatch


@pytest.mark.parametrize("settings, named", [
    ({"DEALPANE_AUTH_MODE": "dev"}, "DEALPANE_AUTH_MODE=dev"),
    ({"DEALPANE_AUTH_MODE": "dev", "DEALPANE_GRAPH_AUTH": "dev"}, "DEALPANE_GRAPH_AUTH=dev"),
    ({**ENTRA, "DEALPANE_GRAPH_AUTH": "dev"}, "DEALPANE_GRAPH_AUTH=dev"),
    ({**ENTRA, "DEALPANE_AUTH_MODE": "dev", "DEALPANE_INSECURE_DEV_AUTH": "0"}, "DEALPANE_AUTH_MODE=dev"),
])
def test_production_app_refuses_dev_auth(clean_env, settings, named):
    for name, value in settings.items():
        clean_env.setenv(name, value)
    with pytest.raises(UnsafeConfiguration) as refused:
        production_app()
    message = str(refused.value)
    assert message.startswith("Dealpane refuses to start: ") and named in message
    assert "DEALPANE_INSECURE_DEV_AUTH=1" in message


def test_production_app_refuses_to_start_without_entra_settings(clean_env):
    with pytest.raises(UnsafeConfiguration, match="DEALPANE_CLIENT_ID"):
        production_app()


def test_production_app_with_the_insecure_flag_starts_and_warns(clean_env, caplog):
    clean_env.setenv("DEALPANE_AUTH_MODE", "dev")
    clean_env.setenv("DEALPANE_GRAPH_AUTH", "dev")
    clean_env.setenv("DEALPANE_INSECURE_DEV_AUTH", "1")
    with caplog.at_level(logging.WARNING, logger="addin.wsgi"):
        app = production_app()
    assert any("INSECURE DEV AUTH" in r.getMessage() for r in caplog.records)
    assert app.test_client().get("/healthz").status_code == 200


def test_production_app_in_entra_mode_does_not_warn(clean_env, caplog):
    for name, value in ENTRA.items():
        clean_env.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="addin.wsgi"):
        app = production_app()
    assert not caplog.records
    assert app.test_client().get("/api/v1/me", headers={"X-Dev-User": "demo@contoso.com"}).status_code == 401


def test_serve_refuses_dev_auth_without_the_flag(clean_env):
    clean_env.setenv("DEALPANE_AUTH_MODE", "dev")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0
    assert "serve refuses to start" in result.output and "--insecure-dev-auth" in result.output


def test_serve_with_the_flag_gets_past_the_auth_check_and_warns(clean_env):
    clean_env.setenv("DEALPANE_AUTH_MODE", "dev")
    clean_env.setenv("DEALPANE_GRAPH_AUTH", "dev")
    result = CliRunner().invoke(main, ["serve", "--insecure-dev-auth"])  # the empty database stops it next
    assert result.exit_code != 0
    assert "INSECURE DEV AUTH" in result.output and "dealpane db upgrade" in result.output


# ---- real processes ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _env(tmp_path, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALPANE_", "PROMETHEUS_"))}
    return {**env, "DEALPANE_DATABASE_URL": sqlite_url(tmp_path / "prod.sqlite3"), "DEALPANE_BIND": "127.0.0.1",
            **settings}


def _migrated(tmp_path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade", "--db", str(tmp_path / "prod.sqlite3")])
    assert result.exit_code == 0, result.output


def _wait_ready(process, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()[-3000:]
        try:
            if _get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready")


def _stop(process) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err.decode()


GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:addin.gunicorn_conf", "addin.wsgi:production_app()"]


def test_gunicorn_with_production_app_and_dev_auth_does_not_start(tmp_path):
    _migrated(tmp_path)
    env = _env(tmp_path, PORT=str(_free_port()), WEB_CONCURRENCY="1", DEALPANE_AUTH_MODE="dev")
    process = subprocess.run(GUNICORN, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert process.returncode != 0
    assert "Dealpane refuses to start: DEALPANE_AUTH_MODE=dev is refused in production" in process.stderr.decode()


def _request_count(metrics: str, route: str) -> float:
    found = re.search(r'^dealpane_http_request_seconds_count\{method="GET",route="%s",status="200"\} (\S+)$'
                      % re.escape(route), metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("entry", ["gunicorn production_app()", "dealpane serve --insecure-dev-auth"])
def test_metrics_are_served_on_their_own_bind_summed_over_the_workers(tmp_path, entry):
    _migrated(tmp_path)
    port, metrics_port = _free_port(), _free_port()
    settings = dict(PORT=str(port), WEB_CONCURRENCY="2", DEALPANE_AUTH_MODE="dev", DEALPANE_GRAPH_AUTH="dev",
                    DEALPANE_METRICS_BIND=f"127.0.0.1:{metrics_port}")
    if entry.startswith("gunicorn"):
        command = GUNICORN
        settings["DEALPANE_INSECURE_DEV_AUTH"] = "1"
    else:
        command = [sys.executable, "-m", "addin.cli", "serve", "--insecure-dev-auth", "--port", str(port),
                   "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=_env(tmp_path, **settings), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        _wait_ready(process, port)
        for _ in range(30):  # new connections: spread over both workers
            assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/metrics")[0] == 404  # not on the app port
        status, metrics = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        assert _request_count(metrics, "/healthz") == 30
    finally:
        err = _stop(process)
    assert "INSECURE DEV AUTH" in err
