"""Browser tests of the task pane: Playwright (sync API) driving Debian's headless Chromium.

One live app per session: the fake Graph with the demo mailbox, the seeded Demo workspace on a
SQLite file, dev auth, demo mode, served by werkzeug on a free loopback port. Pages load
/pane/?standin=1, the Office stand-in in place of office.js, with the simulated Outlook item set
before the page's scripts run. Never downloads a browser: /usr/bin/chromium or nothing
(skipped locally when missing, a failure when CI is set).
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
from tests.live_server import demo_app, unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS_KEPT = REPO_ROOT / "bench" / "results" / "pane-screenshots"
PANE_VIEWPORT = {"width": 320, "height": 900}
TIMEOUT_MS = 10_000
LEAKED_VALUES = re.compile(r"\b(?:null|undefined|NaN)\b|\[object Object\]")


try:
    import playwright  # noqa: F401
except ImportError:  # the test modules import playwright: without it they cannot even be collected
    if not os.environ.get("CI"):
        collect_ignore_glob = ["test_*.py"]  # locally: skipped (CI collects them and fails on the import)


def pytest_report_header(config):
    if "collect_ignore_glob" in globals():
        return "browser tests not collected: the Python package playwright is not installed"
    return None


@pytest.fixture(scope="session")
def fake_graph():
    from graph_sync.fake import FakeGraph  # noqa: PLC0415
    from graph_sync.fake.cli import DEMO_MAILBOX  # noqa: PLC0415

    fake = FakeGraph.from_file(DEMO_MAILBOX)
    fake.start(host="127.0.0.1", port=0)
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, fake_graph):
    with demo_app(tmp_path_factory.mktemp("browser-db") / "dealpane.sqlite3", fake_graph.url) as app:
        yield app


@pytest.fixture(scope="session")
def base_url(live_app) -> str:
    return live_app.base_url


def get_json(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
        return json.loads(response.read())


@pytest.fixture(scope="session")
def mailbox_items(base_url) -> dict:
    """The demo mailbox as Office.js would show it (the preview's own JSON)."""
    return get_json(f"{base_url}/pane/preview/items")


@pytest.fixture(scope="session")
def find_item(mailbox_items):
    def find(subject_start: str, sender: str | None = None, kind: str = "messages") -> dict:
        for item in mailbox_items[kind]:
            person = item.get("from") or item.get("organizer") or {}
            if item["subject"].startswith(subject_start) and (sender is None or person.get("emailAddress") == sender):
                return item
        raise AssertionError(f"no {kind} item {subject_start!r} from {sender!r} in the demo mailbox")
    return find


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pane-screenshots")


class PaneSession:
    """One browser page on the pane, with what a test needs: open an item, screenshot, watch dialogs."""

    def __init__(self, page, base_url: str, shots: Path):
        self.page, self.base_url, self.shots = page, base_url, shots
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp_reports: list[str] = []
        self.outside: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_reports.append(message.text)

    def open(self, item: dict | None, *, view: str | None = None, user: str = DEMO_OWNER, wait: bool = True):
        """Load the pane with `item` selected in the simulated Outlook."""
        state = {"user": {"emailAddress": user, "displayName": "Diego Siciliani"}, "item": item}
        self.page.add_init_script(f"window.__DEALPANE_STANDIN__ = {json.dumps(state)};")
        query = "?standin=1" + (f"&view={view}" if view else "")
        self.page.goto(f"{self.base_url}/pane/{query}")
        if wait:
            self.wait_ready()
        return self.page

    def wait_ready(self) -> None:
        self.page.wait_for_selector("main[aria-busy='false'] h1", timeout=TIMEOUT_MS)

    def select(self, item: dict | None) -> None:
        """The user picks another item in Outlook (pinned pane): the stand-in fires ItemChanged."""
        self.page.evaluate("item => window.OfficeStandin.setItem(item)", item)

    def shot(self, name: str) -> Path:
        """Save a screenshot (kept in bench/results/pane-screenshots/), after checking that no
        programming value leaked into what the user reads."""
        text = self.page.locator("body").inner_text()
        leaked = LEAKED_VALUES.findall(text)
        assert not leaked, f"{name}: the page shows {leaked}"
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        SHOTS_KEPT.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS_KEPT / path.name)
        return path


OFF_MACHINE = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z]+://")


def _loopback_only(context, session: "PaneSession") -> None:
    """The page may talk to the test server only: anything else (CDNs, login.microsoftonline.com) is
    refused and recorded, so no test depends on, or sends traffic to, the outside world."""
    def refuse(route):
        session.outside.append(route.request.url)
        route.abort("blockedbyclient")
    context.route(OFF_MACHINE, refuse)


@pytest.fixture
def pane(browser, base_url, shots_dir):
    context = browser.new_context(viewport=PANE_VIEWPORT, locale="en-US", timezone_id="Europe/Berlin",
                                  service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = PaneSession(page, base_url, shots_dir)
    _loopback_only(context, session)
    yield session
    context.close()
    assert not session.errors, f"uncaught errors in the pane: {session.errors}"
    assert not session.outside, f"the pane tried to leave the machine: {session.outside}"
    assert not session.csp_reports, f"the CSP refused something the pane loads: {session.csp_reports}"


@pytest.fixture
def wide_page(browser, base_url, shots_dir):
    """A desktop-sized page (for the preview)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US", timezone_id="Europe/Berlin",
                                  service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = PaneSession(page, base_url, shots_dir)
    _loopback_only(context, session)
    yield session
    context.close()
    assert not session.errors, f"uncaught errors: {session.errors}"
    assert not session.outside, f"the page tried to leave the machine: {session.outside}"
    assert not session.csp_reports, f"the CSP refused something the page loads: {session.csp_reports}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        unavailable(f"{AXE_JS} is missing (npm package axe-core: run `make node`)")
    return AXE_JS.read_text(encoding="utf-8")


class DemoApi:
    """Checks through the REST API, as the demo owner (dev auth), to see what the pane really stored."""

    def __init__(self, base_url: str, user: str = DEMO_OWNER):
        self.base_url, self.user = base_url, user
        me = self.get("/api/v1/me")
        self.ws = next(w["id"] for w in me["workspaces"] if w["name"] == "Demo")

    def get(self, path: str, **query):
        url = path if path.startswith("/api/") else f"/api/v1/workspaces/{self.ws}{path}"
        if query:
            url += "?" + "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in query.items())
        return get_json(self.base_url + url, {"X-Dev-User": self.user})

    def post(self, path: str, body: dict, user: str | None = None):
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json", "X-Dev-User": user or self.user})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            return json.loads(response.read())

    def opportunity_named(self, title: str) -> dict:
        hits = self.get("/opportunities", q=title)["items"]
        return next(o for o in hits if o["title"] == title)


@pytest.fixture(scope="session")
def demo_api(base_url) -> DemoApi:
    return DemoApi(base_url)
