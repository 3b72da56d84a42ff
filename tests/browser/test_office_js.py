"""The pane and the ribbon's function file under Microsoft's own office.js, as each Outlook starts them.

office.js (npm package @microsoft/office-js, served in place of appsforoffice.microsoft.com) reads
Outlook's host info from the URL, loads the Outlook host file of that platform, the locale strings,
and through the host file MicrosoftAjax.js from the Ajax CDN (https://github.com/microsoft/MHA/issues/125).
Each test loads the page as production's https under production's CSP and fails on any refusal, on
any file office.js asked for that we could not serve, and on any file it asked for beyond those.

Without a real Outlook around the page office.js never gets its app context, so Office.onReady never
resolves (https://github.com/OfficeDev/office-js/issues/6040) and the pane shows what to check.
Our stand-in behaves the same when MicrosoftAjax.js cannot load; those tests are at the end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import MICROSOFT_AJAX_URL, MICROSOFT_AJAX_URL_HTTP, MICROSOFT_AJAX_URLS, OFFICE_CDN, \
    PANE_ORIGIN, fetch_from_app

MEGAN = "megan.bowen@fabrikam.com"
# The pane's documented hook (js/mailbox.js): how long it waits for Office before saying what to check.
SHORT_WAIT = "window.DEALPANE_OFFICE_TIMEOUT_MS = 800;"
# MicrosoftAjax.js ran: what the host files check for (OfficeExt.MicrosoftAjaxFactory.isMsAjaxLoaded).
MICROSOFT_AJAX_RAN = """typeof Sys !== "undefined" && typeof Sys.StringBuilder === "function"
    && !!(Sys.Serialization && Sys.Serialization.JavaScriptSerializer)"""
# office.js ran its start: MicrosoftAjax.js and the locale strings are in.
OFFICE_STARTED = f"() => {MICROSOFT_AJAX_RAN} && typeof Strings !== 'undefined' && !!Strings.OfficeOM"
SILENT = "Outlook did not start Dealpane"


@dataclass(frozen=True)
class Outlook:
    """One Outlook platform as office.js sees it: `_host_Info` from the URL (office.debug.js,
    _retrieveHostInfo) and the host file version from OSF.HostSpecificFileVersionMap["outlook"]."""
    name: str
    platform: str
    version: str
    # How office.js, finding no Outlook around the page, fails to reach it (None: it only logs).
    no_host: str | None

    @property
    def host_info(self) -> str:
        return f"Outlook${self.platform}${self.version}$en-US$$$$0"

    @property
    def host_file(self) -> str:
        return f"{OFFICE_CDN}outlook-{self.platform.lower()}-{self.version}.js"


OUTLOOKS = [
    # Outlook on the web and new Outlook on Windows: the pane is an iframe, office.js talks to
    # Outlook by postMessage (XDM); with no parent it fails constructing its ClientEndPoint.
    Outlook("web and new Outlook", "Web", "16.01", "ClientEndPoint"),
    # Classic Outlook on Windows (https://github.com/OfficeDev/office-js/issues/4131: outlook-win32-16.02.js).
    Outlook("classic Outlook on Windows", "Win32", "16.02", None),
    Outlook("Outlook on Mac", "Mac", "16.00", None),
    Outlook("Outlook on iOS", "iOS", "16.00", "messageHandlers"),
    Outlook("Outlook on Android", "Android", "16.00", "agaveHost"),
]


def _expected_files(outlook: Outlook) -> list[str]:
    return sorted([f"{OFFICE_CDN}office.js", outlook.host_file, f"{OFFICE_CDN}en-us/office_strings.js",
                   MICROSOFT_AJAX_URL])


def office_js_problems(session, outlook: Outlook) -> list[str]:
    """Everything that says the page does not start as office.js needs it to."""
    problems = [f"CSP refused {v['blocked'] or v['directive']} ({v['directive']}, from {v['source']})"
                for v in session.violations]
    problems += [f"console: {report}" for report in session.csp_reports]
    problems += [f"not served: {url}" for url in session.cdn.missing]
    requested = sorted(set(session.cdn.requested))
    if requested != _expected_files(outlook):
        problems.append(f"office.js requested {requested}, expected {_expected_files(outlook)}")
    return problems


def _host_errors_only(session, outlook: Outlook) -> None:
    """The only uncaught errors are office.js failing to reach an Outlook that is not there."""
    if outlook.no_host is None:
        assert session.errors == []
    else:
        if not session.errors:  # office.js polls for MicrosoftAjax.js (every 100 ms) before it tries
            session.page.wait_for_event("pageerror")
        reports = [f"{error}\n{stack}" for error, stack in zip(session.errors, session.error_stacks)]
        assert all(outlook.no_host in report for report in reports), session.errors
    session.errors.clear()
    session.error_stacks.clear()


def _open_under_office_js(session, path: str, outlook: Outlook):
    page = session.page
    page.add_init_script(SHORT_WAIT)
    page.add_init_script("Error.stackTraceLimit = Infinity;")  # office.js's host frames are deep in the stack
    page.goto(f"{PANE_ORIGIN}{path}?_host_Info={outlook.host_info}")
    page.wait_for_function(OFFICE_STARTED)
    return page


@pytest.mark.parametrize("outlook", OUTLOOKS, ids=lambda o: o.platform)
def test_pane_starts_under_microsofts_office_js(pane, outlook):
    page = _open_under_office_js(pane, "/pane/", outlook)
    # No Outlook answers here, so the pane ends saying what to check.
    expect(page.get_by_role("heading", level=1)).to_have_text(SILENT)
    assert office_js_problems(pane, outlook) == []
    _host_errors_only(pane, outlook)


@pytest.mark.parametrize("outlook", OUTLOOKS, ids=lambda o: o.platform)
def test_commands_page_starts_under_microsofts_office_js(pane, outlook):
    page = _open_under_office_js(pane, "/pane/commands.html", outlook)
    assert page.evaluate("typeof Office.actions.associate") == "function"
    assert office_js_problems(pane, outlook) == []
    _host_errors_only(pane, outlook)


def _weaker_csp(page, base_url: str, dropped: str) -> None:
    """Serve the pane with a CSP that lacks `dropped`, to prove the checks above would notice."""
    def weaken(route):
        response = fetch_from_app(route, base_url)
        headers = {**response.headers}
        headers["content-security-policy"] = headers["content-security-policy"].replace(f" {dropped}", "")
        route.fulfill(response=response, headers=headers)
    page.route(re.compile(rf"^{re.escape(PANE_ORIGIN)}/pane/(\?.*)?$"), weaken)


def test_a_csp_without_the_ajax_cdn_is_caught(pane, base_url):
    web = OUTLOOKS[0]
    page = pane.page
    _weaker_csp(page, base_url, "https://ajax.aspnetcdn.com")
    page.add_init_script(SHORT_WAIT)
    page.goto(f"{PANE_ORIGIN}/pane/?_host_Info={web.host_info}")
    expect(page.get_by_role("heading", level=1)).to_have_text(SILENT)
    problems = office_js_problems(pane, web)
    assert f"CSP refused {MICROSOFT_AJAX_URL} (script-src-elem, from {web.host_file})" in problems
    assert any("expected" in p for p in problems)  # MicrosoftAjax.js was never fetched
    # ...and office.js stopped there, as in https://github.com/microsoft/MHA/issues/125
    assert pane.errors == ["Not able to load MicrosoftAjax.js."]
    assert page.evaluate("typeof Sys") == "undefined"
    pane.errors.clear(), pane.error_stacks.clear(), pane.violations.clear(), pane.csp_reports.clear()


def test_outside_outlook_office_js_answers_and_the_pane_says_so(pane):
    """A plain browser tab (no _host_Info): office.js resolves onReady without a mailbox."""
    page = pane.page
    page.goto(f"{PANE_ORIGIN}/pane/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open Dealpane from Outlook")
    assert pane.cdn.requested[:2] == [f"{OFFICE_CDN}office.js", f"{OFFICE_CDN}o15apptofilemappingtable.js"]
    # There office.js frames a telemetry proxy (with an inline style) a few seconds later: refused on
    # purpose, it is not Outlook. Anything else refused would fail here.
    telemetry = ("https://telemetryservice.firstpartyapps.oaspapps.com", "inline")
    assert all(v["blocked"].startswith(telemetry) for v in pane.violations), pane.violations
    assert all("telemetryservice" in r or "inline style" in r for r in pane.csp_reports), pane.csp_reports
    pane.violations.clear(), pane.csp_reports.clear()


def test_pane_says_what_to_check_when_office_js_itself_is_blocked(pane):
    page = pane.page
    page.route(re.compile(r"^https://appsforoffice\.microsoft\.com/"), lambda route: route.abort("blockedbyclient"))
    page.goto(f"{PANE_ORIGIN}/pane/?_host_Info={OUTLOOKS[0].host_info}")
    expect(page.get_by_role("heading", level=1)).to_have_text(SILENT)
    expect(page.locator("main")).to_contain_text("appsforoffice.microsoft.com")


# ---- the stand-in starts as office.js does ---------------------------------------------------


def test_stand_in_waits_for_microsoft_ajax_like_office_js(pane, find_item):
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")
    assert pane.cdn.requested == [MICROSOFT_AJAX_URL]  # over https, as the page
    assert page.evaluate(f"() => {MICROSOFT_AJAX_RAN}")


def test_blocked_ajax_cdn_shows_what_to_check_and_try_again_recovers(pane, find_item):
    page = pane.page
    page.route(MICROSOFT_AJAX_URLS, lambda route: route.abort("blockedbyclient"))
    page.add_init_script(SHORT_WAIT)
    pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), wait=False)

    expect(page.get_by_role("heading", level=1)).to_have_text(SILENT)
    main = page.locator("main")
    expect(main).to_contain_text("appsforoffice.microsoft.com")
    expect(main).to_contain_text("ajax.aspnetcdn.com")
    expect(main).to_contain_text("Mailbox 1.5")
    pane.shot("34-office-did-not-answer")
    assert pane.errors == ["Not able to load MicrosoftAjax.js."]  # thrown as office.js throws it
    pane.errors.clear(), pane.error_stacks.clear()

    page.unroute(MICROSOFT_AJAX_URLS)
    try_again = page.get_by_role("button", name="Try again")
    try_again.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")


def test_pane_carries_on_when_office_answers_late(pane, find_item):
    held = []
    page = pane.page
    page.route(MICROSOFT_AJAX_URLS, lambda route: held.append(route))  # MicrosoftAjax.js takes its time
    page.add_init_script(SHORT_WAIT)
    pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), wait=False)
    expect(page.get_by_role("heading", level=1)).to_have_text(SILENT)

    assert len(held) == 1
    held[0].fallback()  # now it arrives (served by the context's CDN route)
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")


def test_demo_over_plain_http_loads_microsoft_ajax_over_http(pane, base_url, find_item):
    """`dealpane demo` serves http on loopback: the stand-in (like office.js) asks for http://, and the
    demo's CSP allows it. Production's never does (tests above run as https://dealpane.test)."""
    pane.origin = base_url
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")
    assert pane.cdn.requested == [MICROSOFT_AJAX_URL_HTTP]
