"""Browser tests of the task pane: Playwright (sync API) driving Debian's headless Chromium.

One live app per session: the fake Graph with the demo mailbox, the seeded Demo workspace on a
SQLite file, dev auth, demo mode, served by werkzeug on a free loopback port. Pages load
/pane/?standin=1, the Office stand-in in place of office.js, with the simulated Outlook item set
before the page's scripts run. Never downloads a browser: /usr/bin/chromium or nothing
(skipped locally when missing, a failure when CI is set).

The browser sees the pane as production serves it: at https://dealpane.test (PANE_ORIGIN), which
Playwright routes to the live app on loopback with the app's own headers (its CSP included; the
Host header says dealpane.test, so the app answers as it does for a real host, not as the plain-http
demo). Microsoft's CDNs are served from node_modules: office.js and its files from the npm package
@microsoft/office-js, MicrosoftAjax.js from the file `make node` extracts (see the Makefile).
Everything else off the machine is refused and recorded. Every CSP refusal is recorded twice: the
securitypolicyviolation events (an init script in every frame) and Chromium's console errors.
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
OFFICE_JS_DIST = REPO_ROOT / "node_modules" / "@microsoft" / "office-js" / "dist"
MICROSOFT_AJAX_JS = REPO_ROOT / "node_modules" / ".dealpane" / "MicrosoftAjax.js"
PANE_HOST = "dealpane.test"
PANE_ORIGIN = f"https://{PANE_HOST}"
OFFICE_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/"
# office.js's Outlook host files ask for this over the page's protocol (https://github.com/microsoft/MHA/issues/125).
MICROSOFT_AJAX_URL = "https://ajax.aspnetcdn.com/ajax/3.5/MicrosoftAjax.js"
MICROSOFT_AJAX_URL_HTTP = "http://ajax.aspnetcdn.com/ajax/3.5/MicrosoftAjax.js"
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

    def __init__(self, page, origin: str, shots: Path):
        self.page, self.origin, self.shots = page, origin, shots
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.error_stacks: list[str] = []
        self.csp_reports: list[str] = []
        self.violations: list[dict] = []
        self.outside: list[str] = []
        self.cdn = CdnRecord()
        page.on("dialog", self._dialog)
        page.on("pageerror", self._page_error)
        page.on("console", self._console)

    def _page_error(self, error) -> None:
        self.errors.append(str(error))
        self.error_stacks.append(error.stack or "")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_reports.append(message.text)

    def open(self, item: dict | None, *, view: str | None = None, user: str = DEMO_OWNER, wait: bool = True,
             display_language: str | None = None):
        """Load the pane with `item` selected in the simulated Outlook (whose UI speaks
        `display_language`, Office.context.displayLanguage, when given)."""
        state = {"user": {"emailAddress": user, "displayName": "Diego Siciliani"}, "item": item}
        if display_language:
            state["displayLanguage"] = display_language
        self.page.add_init_script(f"window.__DEALPANE_STANDIN__ = {json.dumps(state)};")
        query = "?standin=1" + (f"&view={view}" if view else "")
        # Without waiting for the pane, do not wait for the load event either (a held script delays it).
        self.page.goto(f"{self.origin}/pane/{query}", wait_until="load" if wait else "domcontentloaded")
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
OFFICE_CDN_FILES = re.compile(r"^https://appsforoffice\.microsoft\.com/lib/1/hosted/")
MICROSOFT_AJAX_URLS = re.compile(r"^https?://ajax\.aspnetcdn\.com/ajax/3\.5/MicrosoftAjax\.js$")

# Reports every CSP refusal of every frame to the test (bound below as __dealpaneCspViolation).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__dealpaneCspViolation({directive: event.violatedDirective, blocked: event.blockedURI,
                                 source: event.sourceFile, line: event.lineNumber});
}, true);
"""


class CdnRecord:
    """What the page asked Microsoft's CDNs for: `requested` in order, `missing` when the npm packages
    have no such file (the test then fails: office.js asked for something we cannot judge)."""

    def __init__(self):
        self.requested: list[str] = []
        self.missing: list[str] = []


def _loopback_only(context, session: "PaneSession") -> None:
    """The page may talk to the test server only: anything else (CDNs, login.microsoftonline.com) is
    refused and recorded, so no test depends on, or sends traffic to, the outside world."""
    def refuse(route):
        session.outside.append(route.request.url)
        route.abort("blockedbyclient")
    context.route(OFF_MACHINE, refuse)


def fetch_from_app(route, base_url: str):
    """The live app's answer to a request the page sent to https://dealpane.test (Host kept, as a
    reverse proxy does)."""
    path = route.request.url[len(PANE_ORIGIN):]
    headers = {**route.request.headers, "host": PANE_HOST}
    return route.fetch(url=base_url + path, headers=headers, max_redirects=0)


def _as_production(context, base_url: str) -> None:
    """https://dealpane.test/... is the live app on loopback, answered with its own headers."""
    context.route(f"{PANE_ORIGIN}/**", lambda route: route.fulfill(response=fetch_from_app(route, base_url)))


def _cdn_file(body: bytes) -> dict:
    # The CDNs answer with CORS headers: office.js loads its scripts with crossorigin="anonymous", and
    # a MicrosoftAjax.js without Access-Control-Allow-Origin does not run
    # (https://github.com/OfficeDev/office-js/issues/4131).
    return {"status": 200, "body": body,
            "headers": {"Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*"}}


def _microsoft_cdns(context, session: "PaneSession") -> None:
    """office.js and its files from @microsoft/office-js, MicrosoftAjax.js from `make node`'s extract."""
    def office(route):
        url = route.request.url
        session.cdn.requested.append(url)
        name = url[len(OFFICE_CDN):].split("?")[0].split("#")[0]
        path = (OFFICE_JS_DIST / name).resolve()
        if not name or OFFICE_JS_DIST.resolve() not in path.parents or not path.is_file():
            session.cdn.missing.append(url)
            route.fulfill(status=404, body="not in @microsoft/office-js")
            return
        route.fulfill(**_cdn_file(path.read_bytes()))

    def microsoft_ajax(route):
        session.cdn.requested.append(route.request.url)
        route.fulfill(**_cdn_file(MICROSOFT_AJAX_JS.read_bytes()))

    context.route(OFFICE_CDN_FILES, office)
    context.route(MICROSOFT_AJAX_URLS, microsoft_ajax)


@pytest.fixture(scope="session")
def microsoft_cdn_files() -> None:
    """The files served in place of Microsoft's CDNs must be there (`make node` installs them)."""
    if not (OFFICE_JS_DIST / "office.js").is_file():
        unavailable(f"{OFFICE_JS_DIST} is missing (npm package @microsoft/office-js: run `make node`)")
    if not MICROSOFT_AJAX_JS.is_file():
        unavailable(f"{MICROSOFT_AJAX_JS} is missing (run `make node`)")


def _session(browser, base_url: str, shots_dir: Path, viewport: dict, locale: str = "en-US", **options):
    """`options`: more of Playwright's new_context arguments (a phone's is_mobile and has_touch)."""
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Europe/Berlin",
                                  service_workers="block", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = PaneSession(page, PANE_ORIGIN, shots_dir)
    context.expose_binding("__dealpaneCspViolation", lambda source, violation: session.violations.append(violation))
    context.add_init_script(WATCH_CSP)
    # Later routes win: refuse everything off the machine, then serve our origin and Microsoft's CDNs.
    _loopback_only(context, session)
    _as_production(context, base_url)
    _microsoft_cdns(context, session)
    return context, session


def _close(context) -> None:
    context.unroute_all(behavior="ignoreErrors")  # requests still in flight (a search typed last) end quietly
    context.close()


def _check_session(session: PaneSession, what: str) -> None:
    assert not session.errors, f"uncaught errors in {what}: {session.errors}"
    assert not session.outside, f"{what} tried to leave the machine: {session.outside}"
    assert not session.csp_reports, f"the CSP refused something {what} loads: {session.csp_reports}"
    assert not session.violations, f"the CSP refused something {what} loads: {session.violations}"
    assert not session.cdn.missing, f"{what} asked Microsoft's CDN for files we do not have: {session.cdn.missing}"


@pytest.fixture
def pane(browser, base_url, shots_dir, microsoft_cdn_files):
    context, session = _session(browser, base_url, shots_dir, PANE_VIEWPORT)
    yield session
    _close(context)
    _check_session(session, "the pane")


@pytest.fixture
def french_browser_pane(browser, base_url, shots_dir, microsoft_cdn_files):
    """The pane in a browser whose languages are French (navigator.languages: fr-FR)."""
    context, session = _session(browser, base_url, shots_dir, PANE_VIEWPORT, locale="fr-FR")
    yield session
    _close(context)
    _check_session(session, "the pane")


@pytest.fixture
def wide_page(browser, base_url, shots_dir, microsoft_cdn_files):
    """A desktop-sized page (for the preview)."""
    context, session = _session(browser, base_url, shots_dir, {"width": 1100, "height": 900})
    yield session
    _close(context)
    _check_session(session, "the page")


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
