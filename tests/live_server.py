"""What the two browser suites (tests/browser: the pane, tests/workspace_ui: the workspace) share:
Debian's Chromium, the rule that a missing browser skips locally but fails in CI, and the demo app
served on loopback. The Playwright and browser fixtures themselves are in tests/conftest.py, so one
session starts Playwright once for both suites."""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from addin.app import create_app
from addin.config import Config, sqlite_url
from storage import migrate
from storage.db import UnitOfWork
from storage.demo import seed_demo

CHROMIUM = Path(os.environ.get("DEALPANE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def unavailable(reason: str):
    """Locally a missing browser skips; in CI it fails, so CI can never pass without running these."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason} (install with `make test`)", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # the test output is not an access log
        pass


@contextmanager
def served(wsgi_app):
    """Any WSGI app on a free loopback port (threaded, quiet); yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def demo_app(database: Path, graph_base_url: str | None = None):
    """The app on a migrated SQLite file seeded with the demo workspace, served on a free loopback
    port (threaded); `app.base_url` says where."""
    config = Config(database_url=sqlite_url(database), auth_mode="dev", graph_auth="dev", demo=True,
                    **({"graph_base_url": graph_base_url} if graph_base_url else {}))
    app = create_app(config)
    services = app.extensions["dealpane"]
    migrate.upgrade(services.engine)
    with UnitOfWork(services.session_factory) as unit:
        seed_demo(unit.session)
        unit.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        with served(app) as base_url:
            app.base_url = base_url
            yield app
    finally:
        if hasattr(services.graph, "close"):
            services.graph.close()
        services.engine.dispose()
