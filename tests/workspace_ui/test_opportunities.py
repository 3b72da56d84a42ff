"""The opportunities list: multi-select as in BCM and "Mark as closed" in bulk, with per-record
failures; every string from data shown as text."""
import datetime as dt

from playwright.sync_api import expect

XSS = "<img src=x onerror=alert(1)>"


def _make(demo_api, title: str, days: int, account: str = "Tailspin Toys") -> dict:
    link = {"type": "account", "id": demo_api.named("accounts", account)["id"]}
    close = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    return demo_api.post("/opportunities", {"title": title, "link": link, "close_date": close,
                                            "stage_id": demo_api.stage("Proposal")["id"], "probability": 50,
                                            "lines": [{"name": "Seats", "unit_price": "100.00", "quantity": "3"}]})


def test_bulk_close_three_opportunities_with_click_shift_and_ctrl(workspace, demo_api):
    made = [_make(demo_api, f"Bulk close {n}", 400 + n) for n in range(1, 5)]
    already = _make(demo_api, "Bulk close 5 (lost already)", 405)
    demo_api.post("/opportunities/bulk-close", {"ids": [already["id"]], "outcome": "lost"})

    page = workspace.open("opportunities")
    page.get_by_label("Status").select_option(label="Any status")
    page.get_by_label("Search").fill("Bulk close")
    rows = page.locator("table.list tbody tr[data-id]")
    expect(rows).to_have_count(5)
    page.get_by_role("columnheader", name="Title").get_by_role("button").click()
    expect(page.get_by_role("columnheader", name="Title")).to_have_attribute("aria-sort", "ascending")
    expect(rows.nth(0)).to_contain_text("Bulk close 1")
    expect(rows.nth(4)).to_contain_text("Bulk close 5")

    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Shift"])  # 1–2
    rows.nth(3).click(modifiers=["Control"])  # + 4
    rows.nth(4).click(modifiers=["Control"])  # + the closed one, which must fail
    expect(page.get_by_role("toolbar", name="Selected opportunities")).to_contain_text("4 selected")
    expect(rows.nth(2)).to_have_attribute("aria-selected", "false")

    page.get_by_role("button", name="Mark as closed…").click()
    closing = page.get_by_role("dialog")
    closing.get_by_label("Closed Won").check()
    closing.get_by_label("Actual close date").fill("2026-01-15")
    workspace.shot("1280-10-bulk-close-dialog", full_page=False)
    closing.get_by_role("button", name="Mark as closed").click()

    messages = page.locator("#list-messages")
    expect(messages).to_contain_text("3 opportunities marked Closed Won.")
    expect(messages).to_contain_text("1 could not be changed:")
    expect(messages).to_contain_text("Bulk close 5 (lost already): This opportunity is Closed Lost and read-only")
    workspace.shot("1280-11-bulk-close-result", full_page=False)

    after = {o["title"]: o for o in demo_api.all("/opportunities", q="Bulk close")}
    for n in (1, 2, 4):
        assert (after[f"Bulk close {n}"]["status"], after[f"Bulk close {n}"]["close_date"]) == ("won", "2026-01-15")
        assert after[f"Bulk close {n}"]["probability"] == 100
    assert after["Bulk close 3"]["status"] == "open"
    assert after["Bulk close 5 (lost already)"]["status"] == "lost"
    assert made[2]["version"] == after["Bulk close 3"]["version"]

    rows.nth(0).focus()
    page.keyboard.press("Control+a")
    expect(page.get_by_role("toolbar", name="Selected opportunities")).to_contain_text("5 selected")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.get_by_role("toolbar", name="Selected opportunities")).to_contain_text("2 selected")


def test_every_string_from_data_is_shown_as_text(workspace, demo_api):
    account = demo_api.post("/accounts", {"name": XSS})
    demo_api.post("/opportunities", {
        "title": XSS, "link": {"type": "account", "id": account["id"]},
        "comments": "<script>alert(2)</script>", "competitors": "<b>bold</b>",
        "lines": [{"name": "<i onmouseover=alert(3)>line</i>", "unit_price": "1.00"}]})

    page = workspace.open("opportunities")
    page.get_by_label("Search").fill("<img")
    row = page.locator("table.list tbody tr[data-id]").first
    expect(row.locator(".title-text")).to_have_text(XSS)
    row.click()
    expect(page.locator("#reading-pane h2")).to_have_text(XSS)
    expect(page.locator("#reading-pane")).to_contain_text(f"Account: {XSS}")
    row.dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text(XSS)
    expect(page.get_by_label("Title")).to_have_value(XSS)
    expect(page.get_by_role("textbox", name="Comments", exact=True)).to_have_value("<script>alert(2)</script>")
    expect(page.get_by_label("Line 1: name")).to_have_value("<i onmouseover=alert(3)>line</i>")
    expect(page.get_by_role("textbox", name="Link to", exact=True)).to_have_value(f"{XSS} (account)")
    assert page.locator("img[src='x'], script:not([src]), b, i").count() == 0
    workspace.shot("1280-12-escaped-record")


def test_history_and_contact_text_stays_text_and_the_csp_blocks_inline_script(workspace, demo_api):
    contact = demo_api.post("/contacts", {"display_name": XSS, "email_addresses": ["xss.person@example.org"],
                                          "job_title": "<svg onload=alert(4)>"})
    deal = demo_api.post("/opportunities", {"title": "History escaping", "link": {"type": "contact",
                                                                                  "id": contact["id"]}})
    demo_api.post(f"/opportunities/{deal['id']}/history", {"kind": "note", "subject": XSS,
                                                           "body": "<script>alert(5)</script>"})
    page = workspace.open("opportunities")
    page.get_by_label("Search").fill("History escaping")
    row = page.locator("table.list tbody tr[data-id]").first
    expect(row.locator(".title-text")).to_have_text("History escaping")
    row.dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("History escaping")
    expect(page.locator("main")).to_contain_text(XSS)  # the note's subject, as text
    assert page.locator("img[src='x'], svg[onload], script:not([src])").count() == 0
    ran = page.evaluate("""() => new Promise((resolve) => {
        window.__inline_ran = false;
        const s = document.createElement("script");
        s.textContent = "window.__inline_ran = true";
        document.body.appendChild(s);
        setTimeout(() => resolve(window.__inline_ran), 200);
    })""")
    assert ran is False
    assert any("Content Security Policy" in m or "Refused" in m for m in workspace.csp)
    workspace.csp.clear()  # the refusal was the point of this test


def test_stage_link_and_assignee_columns_sort_on_the_server(workspace):
    page = workspace.open("opportunities")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/opportunities?" in r.url else None)
    for name, sort in (("Sales stage", "sort=stage"), ("Link to", "sort=link"), ("Assigned to", "sort=assigned_to")):
        page.get_by_role("columnheader", name=name).get_by_role("button").click()
        expect(page.get_by_role("columnheader", name=name)).to_have_attribute("aria-sort", "ascending")
        page.wait_for_function("() => document.querySelector('main').getAttribute('aria-busy') === 'false'")
        assert any(sort in url for url in asked), asked
    assert not any("limit=500" in url for url in asked)  # no loading of every page to sort in the browser
