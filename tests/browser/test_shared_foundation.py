"""The foundation the pane shares with the workspace (addin/shared/, served by addin/pages.py): one copy of
the DOM, formatting, API-client and MSAL modules and of the Fluent stylesheet, and the behaviour where the
two apps' former copies disagreed (an empty date-time shows "—", a 415 is "invalid", dom.field() takes
{hint, name, required})."""
import json

from playwright.sync_api import expect

MEGAN = "megan.bowen@fabrikam.com"
SHARED_FILES = ("dom.js", "format.js", "api.js", "msal.js", "fluent.css")


def _read(base_url: str, path: str) -> tuple[int, str, bytes]:
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:  # noqa: S310 - the local test server
        return response.status, response.headers.get_content_type(), response.read()


def test_both_pages_serve_one_copy_of_the_shared_files(base_url):
    for name in SHARED_FILES:
        pane_status, pane_type, pane_body = _read(base_url, f"/pane/shared/{name}")
        work_status, work_type, work_body = _read(base_url, f"/workspace/shared/{name}")
        assert pane_status == work_status == 200 and pane_body == work_body
        assert pane_type == work_type == ("text/css" if name.endswith(".css") else "text/javascript")
    # Linked by each page, before its own sheet (not @import: axe-core re-parses imported sheets in
    # inline <style> elements, which the pages' CSP refuses).
    for page, own in (("/pane/", "/pane/static/pane.css"), ("/workspace/", "/workspace/static/workspace.css")):
        html = _read(base_url, page)[2].decode()
        shared = html.index(f'href="{page}shared/fluent.css"')
        assert shared < html.index(f'href="{own}"')


def test_the_shared_modules_under_the_panes_policy(pane, find_item):
    """Imported in the pane under its CSP (the pane fixture fails on any refusal): text-only DOM building,
    the unified empty values, field() with options, and the problem kinds by status."""
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    result = page.evaluate("""async () => {
      const dom = await import("/pane/shared/dom.js");
      const format = await import("/pane/shared/format.js");
      const api = await import("/pane/shared/api.js");
      const markup = "<img src=x onerror=alert(1)>";
      const el = dom.h("p", { title: markup }, markup);
      const input = dom.h("input", { type: "text" });
      const wrapper = dom.field("Subject", input, { hint: "A hint", name: "subject", required: true });
      return {
        text: el.textContent, children: el.children.length, title: el.getAttribute("title"),
        describedBy: wrapper.querySelector(`#${CSS.escape(input.getAttribute("aria-describedby"))}`).textContent,
        dataField: wrapper.dataset.field, required: input.getAttribute("aria-required"),
        label: wrapper.querySelector("label").textContent,
        empty: [format.dateTime(null), format.dateTime(""), format.day(null), format.money(null, "EUR"), format.percent(null)],
        kinds: [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503].map((s) => api.kindOf(s, "")),
        named: api.kindOf(401, "https://dealpane.dev/problems/graph-interaction-required",
                          { "graph-interaction-required": "graph-reconnect" }),
      };
    }""")
    assert result["text"] == "<img src=x onerror=alert(1)>" and result["children"] == 0
    assert result["title"] == "<img src=x onerror=alert(1)>"
    assert result["describedBy"] == "A hint" and result["dataField"] == "subject" and result["required"] == "true"
    assert result["label"] == "Subject *"
    assert result["empty"] == ["—"] * 5
    assert result["kinds"] == ["invalid", "unauthorized", "forbidden", "not-found", "conflict", "stale", "invalid",
                               "invalid", "invalid", "unavailable", "server", "unavailable"]
    assert result["named"] == "graph-reconnect"


def test_a_415_shows_the_servers_words_in_the_pane(pane, find_item):
    """The pane once called a 415 a server fault ("The server had a problem (HTTP 415)"); now it is what
    the workspace said: a request the server does not take, with the server's own explanation."""
    page = pane.page
    body = {"type": "about:blank", "title": "Unsupported media type", "status": 415,
            "detail": "Send the body as application/json.", "errors": []}
    page.route("**/api/v1/me", lambda route: route.fulfill(status=415, content_type="application/problem+json",
                                                           body=json.dumps(body)))
    pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("That did not work.")
    expect(alert).to_contain_text("Send the body as application/json.")
    expect(alert).not_to_contain_text("HTTP 415")


def test_both_pages_take_the_fluent_tokens_from_the_shared_sheet(pane, find_item):
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    tokens = page.evaluate("""() => {
      const style = getComputedStyle(document.documentElement);
      return ["--brand", "--s6", "--focus"].map((name) => style.getPropertyValue(name).trim());
    }""")
    assert tokens == ["#0f6cbd", "24px", "2px solid #000000"]
    primary = page.locator(".button.primary").first
    assert primary.evaluate("(el) => getComputedStyle(el).backgroundColor") == "rgb(15, 108, 189)"
