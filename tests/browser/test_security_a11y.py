"""Security headers that work inside Outlook, inline script blocked, and an axe-core scan of each view."""
import urllib.request

import pytest
from playwright.sync_api import expect

MEGAN = "megan.bowen@fabrikam.com"
SERIOUS = ("serious", "critical")


def _headers(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test server
        return response.headers, response.read().decode()


@pytest.mark.parametrize("path", ["/pane/", "/pane/commands.html", "/pane/preview"])
def test_pages_send_security_headers_that_work_inside_outlook(base_url, path):
    headers, _ = _headers(base_url + path)
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self' https://appsforoffice.microsoft.com" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors" not in csp  # Outlook frames the pane
    assert headers.get("X-Frame-Options") is None
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


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
    assert pane.csp_reports  # Chromium reported the refusal...
    pane.csp_reports.clear()  # ...which was the point here


def _axe(page, axe_source: str) -> list[dict]:
    page.evaluate(axe_source)  # evaluated through the devtools protocol: no inline <script>, CSP stays on
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {passes: r.passes.length,
                violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))};
    }""")
    assert result["passes"] >= 10, "axe-core checked almost nothing: did it run on the pane?"
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


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
