"""Security headers that work inside Outlook, inline script blocked, and an axe-core scan of each view."""
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.axe_scan import serious_violations
from tests.browser.conftest import PANE_HOST

MEGAN = "megan.bowen@fabrikam.com"


def _headers(url: str, host: str | None = None):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
        return response.headers, response.read().decode()


# Production's policy for the pane and the function file; why each source is there is written beside
# content_security_policy() in addin/pane/__init__.py, and tests/browser/test_office_js.py proves it
# is enough for Microsoft's office.js on every Outlook platform.
PRODUCTION_CSP = ("default-src 'none'; "
                  "script-src 'self' https://appsforoffice.microsoft.com https://ajax.aspnetcdn.com; "
                  "style-src 'self'; img-src 'self' data:; font-src 'self'; "
                  "connect-src 'self' https://login.microsoftonline.com; frame-src 'self' https://login.microsoftonline.com; "
                  "base-uri 'self'; form-action 'self'; object-src 'none'")


@pytest.mark.parametrize("path", ["/pane/", "/pane/commands.html", "/pane/preview"])
def test_pages_send_security_headers_that_work_inside_outlook(base_url, path):
    headers, _ = _headers(base_url + path, host=PANE_HOST)  # as a real host name sees them
    csp = headers["Content-Security-Policy"]
    if path == "/pane/preview":  # demo only: it frames the pane
        assert csp == PRODUCTION_CSP.replace("frame-src 'self' https://login.microsoftonline.com", "frame-src 'self'")
    else:
        assert csp == PRODUCTION_CSP
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors" not in csp  # Outlook frames the pane
    assert headers.get("X-Frame-Options") is None
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_only_the_plain_http_demo_on_loopback_allows_the_ajax_cdn_over_http(base_url, host):
    port = base_url.rsplit(":", 1)[1]
    demo, _ = _headers(base_url + "/pane/", host=f"{host}:{port}")
    assert "script-src 'self' https://appsforoffice.microsoft.com http://ajax.aspnetcdn.com;" in \
        demo["Content-Security-Policy"]
    production, _ = _headers(base_url + "/pane/", host=PANE_HOST)
    assert "http://" not in production["Content-Security-Policy"]


def test_pane_loads_office_js_from_microsofts_cdn(base_url):
    _, html = _headers(base_url + "/pane/")
    assert '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>' in html
    assert "office-standin.js" not in html
    assert "<script>" not in html and "onload=" not in html and "style=" not in html  # nothing inline


def test_inline_script_is_blocked(pane, find_item):
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    blocked = page.evaluate("""() => new Promise((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), {once: true});
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true';
        document.body.append(script);
        setTimeout(() => resolve(null), 1000);
    })""")
    assert blocked and blocked.startswith("script-src")
    assert page.evaluate("window.__inlineRan") is None
    assert pane.csp_reports and pane.violations  # Chromium reported the refusal...
    pane.csp_reports.clear()  # ...which was the point here
    pane.violations.clear()


def _axe(page, axe_source: str) -> list[dict]:
    return serious_violations(page, axe_source)


def test_accessibility_scan_finds_no_serious_violation(pane, find_item, axe_source):
    page = pane.open(find_item("RE: Northwind Traders – EMEA rollout", "demo@contoso.com"))
    problems = {"item": _axe(page, axe_source)}

    page.get_by_role("button", name="Northwind – EMEA rollout", exact=True).click()
    expect(page.get_by_role("region", name="Recent history")).to_be_visible()
    page.get_by_role("button", name="Send meeting request…").click()
    problems["opportunity"] = _axe(page, axe_source)

    page.get_by_role("button", name="Back").click()
    page.get_by_role("button", name="Link to opportunity").click()
    page.get_by_label("Search opportunities").fill("north")
    expect(page.get_by_role("list", name="Matching opportunities")).to_contain_text("Northwind")
    problems["link"] = _axe(page, axe_source)

    page.get_by_role("button", name="Back").click()
    page.get_by_role("button", name="New opportunity from this e-mail").click()
    problems["new"] = _axe(page, axe_source)
    assert problems == {"item": [], "opportunity": [], "link": [], "new": []}


STATIC = __import__("pathlib").Path(__file__).resolve().parents[2] / "addin" / "pane" / "static"
HTML_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
              "setAttribute(\"style\"", "javascript:")


def test_pane_scripts_never_parse_data_as_html():
    scripts = sorted(STATIC.rglob("*.js"))
    assert len(scripts) >= 10
    found = [(path.name, sink) for path in scripts for sink in HTML_SINKS if sink in path.read_text(encoding="utf-8")]
    assert found == []
