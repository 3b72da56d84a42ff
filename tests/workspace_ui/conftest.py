"""Browser tests of the sales workspace: Playwright (sync API) driving Debian's headless Chromium.

One live app per session: the seeded Demo workspace on a SQLite file, dev auth, demo mode, served
by werkzeug on a free loopback port. Pages load /workspace/ as the demo owner (the page's default
in the demo) and may switch to the colleague with the "Act as" control. Never downloads a browser:
/usr/bin/chromium or nothing (skipped locally when missing, a failure when CI is set).

test_entra_signin.py has its own app in Entra mode and the stand-in Entra ID (entra_login.py):
`entra_world` (one per session), `entra` (the registration reset for each test) and `signed_out`
(a fresh browser context on it, nobody signed in).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from storage.demo import DEMO_OWNER
from tests.axe_scan import serious_violations
from tests.live_server import demo_app
from tests.workspace_ui.entra_login import EntraSession, entra_app, make_world

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOTS_KEPT = REPO_ROOT / "bench" / "results" / "workspace-screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 800, "height": 900}
TIMEOUT_MS = 10_000

try:
    import playwright  # noqa: F401
except ImportError:  # the test modules import playwright: without it they cannot even be collected
    if not os.environ.get("CI"):
        collect_ignore_glob = ["test_*.py"]  # locally: skipped (CI collects them and fails on the import)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("workspace-db") / "dealpane.sqlite3") as app:
        yield app


@pytest.fixture(scope="session")
def base_url(live_app) -> str:
    return live_app.base_url


class DemoApi:
    """The REST API as a demo user (dev auth): test data in, and what the workspace really stored out."""

    def __init__(self, base_url: str, user: str = DEMO_OWNER, workspace: str = "Demo"):
        self.base_url, self.user = base_url, user
        me = self.call("GET", "/api/v1/me")
        self.ws = next(w["id"] for w in me["workspaces"] if w["name"] == workspace)

    def call(self, method: str, path: str, body=None, **query):
        url = path if path.startswith("/api/") else f"/api/v1/workspaces/{self.ws}{path}"
        if query:
            url += "?" + "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in query.items())
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + url, data=data, method=method, headers={
            "Accept": "application/json", "X-Dev-User": self.user,
            **({"Content-Type": "application/json"} if data is not None else {})})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            raw = response.read()
            return json.loads(raw) if raw else None

    def get(self, path: str, **query):
        return self.call("GET", path, **query)

    def post(self, path: str, body=None, **query):
        return self.call("POST", path, body or {}, **query)

    def all(self, path: str, **query) -> list:
        return self.get(path, limit=500, **query)["items"]

    def named(self, kind: str, name: str) -> dict:
        key = {"accounts": "name", "contacts": "display_name", "opportunities": "title"}[kind]
        return next(r for r in self.all(f"/{kind}", q=name) if r[key] == name)

    def stage(self, name: str) -> dict:
        return next(s for s in self.get("/sales-stages")["items"] if s["name"] == name)

    def in_workspace(self, name: str) -> "DemoApi":
        return DemoApi(self.base_url, self.user, name)


@pytest.fixture(scope="session")
def demo_api(base_url) -> DemoApi:
    return DemoApi(base_url)


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace-screenshots")


OFF_MACHINE = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z]+://")


class WorkspaceSession:
    """One browser page on the workspace, with what a test needs: go to a view, act as, screenshot."""

    def __init__(self, context, page, base_url: str, shots: Path):
        self.context, self.page, self.base_url, self.shots = context, page, base_url, shots
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        self.outside: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

        def refuse(route):
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")
        context.route(OFF_MACHINE, refuse)

    def _dialog(self, dialog) -> None:  # alert()/confirm(): the workspace never uses them; an XSS would
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text):
            self.csp.append(message.text)

    def open(self, view: str = "opportunities"):
        self.page.goto(f"{self.base_url}/workspace/#/{view}")
        self.wait_ready()
        return self.page

    def wait_ready(self) -> None:
        self.page.wait_for_selector("main[aria-busy='false'] h1", timeout=TIMEOUT_MS)

    def go(self, view: str) -> None:
        self.page.evaluate("hash => { window.location.hash = hash; }", f"#/{view}")
        self.page.wait_for_function("() => document.querySelector('main').getAttribute('aria-busy') === 'false'")
        self.wait_ready()

    def act_as(self, label: str) -> None:
        self.page.get_by_label("Act as").select_option(label=label)
        self.page.wait_for_function(
            "label => document.getElementById('who').textContent.startsWith(label.split(' (')[0])", arg=label)
        self.wait_ready()

    def shot(self, name: str, full_page: bool = True) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        SHOTS_KEPT.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS_KEPT / path.name)
        return path


def _session(browser, base_url, shots_dir, viewport):
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="Europe/Berlin",
                                  service_workers="block", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    return WorkspaceSession(context, page, base_url, shots_dir)


@pytest.fixture
def workspace(browser, base_url, shots_dir):
    session = _session(browser, base_url, shots_dir, WIDE)
    yield session
    session.context.close()
    assert not session.errors, f"uncaught errors in the workspace: {session.errors}"
    assert not session.csp, f"the Content Security Policy refused something: {session.csp}"
    assert not session.outside, f"the workspace tried to leave the machine: {session.outside}"
    assert not session.dialogs, f"the page opened alert/confirm dialogs: {session.dialogs}"


@pytest.fixture
def narrow_workspace(browser, base_url, shots_dir):
    session = _session(browser, base_url, shots_dir, NARROW)
    yield session
    session.context.close()
    assert not session.errors, f"uncaught errors in the workspace: {session.errors}"
    assert not session.csp, f"the Content Security Policy refused something: {session.csp}"


# ---- the workspace in Entra mode (test_entra_signin.py) ----

@pytest.fixture(scope="session")
def entra_world(tmp_path_factory):
    """Dealpane in Entra mode on its own seeded database, and the stand-in Entra tenant it trusts."""
    with entra_app(tmp_path_factory.mktemp("entra-db") / "dealpane.sqlite3", make_world()) as world:
        yield world


@pytest.fixture
def entra(entra_world):
    """Each test starts with the app registration as the README's steps make it (the workspace's
    redirect URI, v2.0 tokens) and nobody signed in to Entra in the browser."""
    entra_world.registered(entra_world.redirect_uri, token_version=2)
    entra_world.entra.browser_user = None
    yield entra_world
    entra_world.entra.browser_user = None


@pytest.fixture
def signed_out(browser, entra):
    session = EntraSession(browser, entra, viewport=WIDE, timeout_ms=TIMEOUT_MS)
    yield session
    session.close()
    assert not session.errors, f"uncaught errors in the workspace or the sign-in pages: {session.errors}"
    assert not session.csp, f"a Content Security Policy refused something: {session.csp}"
    assert not session.outside, f"the workspace tried to leave the machine: {session.outside}"


AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe():
    """axe(page) -> the serious and critical violations axe-core finds on the page as it is now."""
    if not AXE_JS.exists():
        from tests.live_server import unavailable  # noqa: PLC0415

        unavailable(f"{AXE_JS} is missing (npm package axe-core: run `make node`)")
    source = AXE_JS.read_text(encoding="utf-8")

    def scan(page, minimum_passes: int = 10) -> list[dict]:
        return serious_violations(page, source, minimum_passes)

    return scan


def app_on_fake_graph(tmp_path_factory, name: str):
    """The demo workspace served with graph_base_url on a fake Graph of its own (for a module fixture to
    `yield from`): the app with `.fake_graph` and `.database`."""
    from tests.conftest import demo_fake  # noqa: PLC0415
    from tests.live_server import demo_app  # noqa: PLC0415

    graph = demo_fake()
    try:
        database = tmp_path_factory.mktemp(name) / "dealpane.sqlite3"
        with demo_app(database, graph_base_url=graph.url) as app:
            app.fake_graph, app.database = graph, database
            yield app
    finally:
        graph.stop()
