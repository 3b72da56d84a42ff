"""The API docs (Swagger UI, served from the installed package, no CDN) work under their
Content-Security-Policy: no inline code but the page's own, by hash; Chromium reports no refusal."""


def test_swagger_ui_renders_the_api_under_its_policy(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    refused, external = [], []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base_url) else None)
    try:
        page.goto(base_url + "/api/docs/")
        page.add_init_script("document.addEventListener('securitypolicyviolation', "
                             "e => console.log('Content Security Policy refused ' + e.violatedDirective))")
        page.click("text=Swagger")  # the chooser's inline onclick handler, allowed by its hash
        page.wait_for_url("**/api/docs/swagger")
        page.wait_for_selector(".opblock", timeout=15_000)
        assert page.locator(".opblock").count() > 20
        assert "Dealpane API" in page.locator(".title").first.inner_text()
        assert refused == []
        assert [u for u in external if not u.startswith("data:")] == []  # nothing from a CDN
    finally:
        context.close()
