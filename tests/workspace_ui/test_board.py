"""The pipeline board (issue 19): a column per open sales stage with its cards and totals, then the two
closed stages as drop zones; a card moves by drag and drop and by keyboard with If-Match (a 412 is
shown and the card reloaded); a drop on Closed Won asks for the close date and the close reason; axe
clean; in French. Screenshots at 1280 and 800 px go to /tmp/dealpane-screens/19-board-*.png."""
from __future__ import annotations

import datetime as dt
import json
import urllib.request
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from tests.i18n_scan import english_left
from tests.workspace_ui.test_french import DATA, french  # noqa: F401 - the French browser fixture

SCREENS = Path("/tmp/dealpane-screens")


def _make(demo_api, title: str, stage: str, total: str, probability: int, days: int) -> dict:
    link = {"type": "account", "id": demo_api.named("accounts", "Tailspin Toys")["id"]}
    return demo_api.post("/opportunities", {
        "title": title, "link": link, "stage_id": demo_api.stage(stage)["id"], "probability": probability,
        "close_date": (dt.date.today() + dt.timedelta(days=days)).isoformat(),
        "lines": [{"name": "Seats", "unit_price": total, "quantity": "1"}]})


def _patch(demo_api, record: dict, body: dict) -> dict:
    request = urllib.request.Request(
        f"{demo_api.base_url}/api/v1/workspaces/{demo_api.ws}/opportunities/{record['id']}",
        data=json.dumps(body).encode(), method="PATCH",
        headers={"X-Dev-User": demo_api.user, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
        return json.loads(response.read())


def _column(page, stage_name: str):
    return page.locator("section.board-column").filter(has=page.get_by_role("heading", name=stage_name, exact=True))


def _board(workspace, search: str):
    page = workspace.open("board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline board")
    page.get_by_label("Search").fill(search)
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("text => document.querySelector('.board-filters input[type=search]').value === text", arg=search)
    page.wait_for_function("() => document.querySelector('.board').dataset.loaded === 'true' && "
                           "document.querySelector('.board').getAttribute('aria-busy') === 'false'")
    return page


def _card(page, title: str):
    return page.locator(".board-card").filter(has=page.get_by_role("link", name=title, exact=True))


def test_columns_by_position_cards_and_totals(workspace, demo_api, axe):
    _make(demo_api, "Boardcol A", "Proposal", "1000.00", 50, 30)
    _make(demo_api, "Boardcol B", "Proposal", "250.50", 20, 10)
    c = _make(demo_api, "Boardcol C", "Negotiation", "99.99", 80, 5)
    page = _board(workspace, "Boardcol")

    stages = demo_api.get("/sales-stages")["items"]
    open_names = [s["name"] for s in sorted((s for s in stages if not s["outcome"]), key=lambda s: s["position"])]
    closed_names = [next(s["name"] for s in stages if s["outcome"] == o) for o in ("won", "lost")]
    expect(page.locator("section.board-column h2")).to_have_text(open_names + closed_names)
    expect(page.locator("section.board-zone")).to_have_count(2)

    proposal = _column(page, "Proposal")
    expect(proposal.locator(".board-card")).to_have_count(2)
    # Soonest close date first, as the list sorts them.
    expect(proposal.locator(".board-title")).to_have_text(["Boardcol B", "Boardcol A"])
    expect(proposal.locator(".board-totals")).to_contain_text("2 opportunities")
    expect(proposal.locator(".board-totals")).to_contain_text("Total $1,250.50")
    expect(proposal.locator(".board-totals")).to_contain_text("Expected $550.10")  # 500.00 + 50.10
    negotiation = _column(page, "Negotiation")
    expect(negotiation.locator(".board-totals")).to_contain_text("1 opportunity")
    expect(negotiation.locator(".board-totals")).to_contain_text("Expected $79.99")
    card = _card(page, "Boardcol C")
    for text in ("Tailspin Toys", "$99.99", "$79.99", c["assigned_to_name"]):
        expect(card).to_contain_text(text)
    expect(_column(page, "Prospecting").locator(".board-card")).to_have_count(0)
    assert not axe(page), axe(page)

    page.get_by_label("Search").fill("")
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("() => document.querySelector('.board').dataset.loaded === 'true'")
    every = demo_api.all("/opportunities", status="open", stage_id=demo_api.stage("Proposal")["id"])
    expect(proposal.locator(".board-totals")).to_contain_text(f"{len(every)} opportunit")
    total = sum(Decimal(o["total"]) for o in every)
    expect(proposal.locator(".board-totals")).to_contain_text(f"Total ${total:,.2f}")


def test_a_card_moves_by_drag_and_drop(workspace, demo_api):
    made = _make(demo_api, "Boarddrag one", "Qualification", "500.00", 30, 12)
    page = _board(workspace, "Boarddrag")
    _card(page, "Boarddrag one").drag_to(_column(page, "Needs Analysis"))
    expect(_column(page, "Needs Analysis").locator(".board-card")).to_have_count(1)
    expect(_column(page, "Qualification").locator(".board-card")).to_have_count(0)
    expect(page.locator("#status")).to_have_text("Boarddrag one moved to Needs Analysis.")
    after = demo_api.get(f"/opportunities/{made['id']}")
    assert after["stage_id"] == demo_api.stage("Needs Analysis")["id"]
    assert after["version"] == made["version"] + 1
    expect(_column(page, "Needs Analysis").locator(".board-totals")).to_contain_text("Total $500.00")


def test_a_card_moves_by_keyboard_and_escape_puts_it_back(workspace, demo_api):
    made = _make(demo_api, "Boardkeys one", "Prospecting", "700.00", 10, 20)
    page = _board(workspace, "Boardkeys")
    card = _card(page, "Boardkeys one")
    page.get_by_role("region", name="Pipeline board").focus()
    page.keyboard.press("Tab")  # the board's one card with tabindex 0
    expect(card).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#status")).to_contain_text("Boardkeys one picked up, in Prospecting")
    page.keyboard.press("ArrowRight")
    expect(_column(page, "Qualification")).to_have_class("board-column drop-target")
    page.keyboard.press("Escape")
    expect(page.locator("#status")).to_have_text("Move cancelled.")
    assert demo_api.get(f"/opportunities/{made['id']}")["version"] == made["version"]

    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#status")).to_have_text("Over Needs Analysis.")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Boardkeys one moved to Needs Analysis.")
    moved = _card(page, "Boardkeys one")
    expect(moved).to_be_focused()
    expect(_column(page, "Needs Analysis").locator(".board-card")).to_have_count(1)
    assert demo_api.get(f"/opportunities/{made['id']}")["stage_id"] == demo_api.stage("Needs Analysis")["id"]
    page.keyboard.press("Enter")  # Enter on a card opens the deal
    expect(page).to_have_url(f"{workspace.base_url}/workspace/#/opportunities/{made['id']}")


def test_a_move_of_a_deal_changed_meanwhile_is_refused_and_the_card_reloaded(workspace, demo_api):
    made = _make(demo_api, "Boardstale one", "Prospecting", "300.00", 10, 20)
    page = _board(workspace, "Boardstale")
    _patch(demo_api, made, {"title": "Boardstale one (renamed)", "probability": 40})  # the board holds the old version
    _card(page, "Boardstale one").drag_to(_column(page, "Proposal"))
    messages = page.locator("#board-messages")
    expect(messages.get_by_role("alert")).to_contain_text("Someone else changed this opportunity")
    expect(messages).to_contain_text("Boardstale one (renamed) was changed meanwhile, so it was not moved.")
    card = _card(page, "Boardstale one (renamed)")
    expect(card).to_be_visible()
    expect(_column(page, "Prospecting").locator(".board-card")).to_have_count(1)
    expect(card).to_contain_text("$120.00")  # the expected revenue at 40 %, as the server has it now
    after = demo_api.get(f"/opportunities/{made['id']}")
    assert after["stage_id"] == demo_api.stage("Prospecting")["id"]
    # Moving it again now works (the card carries the new version).
    card.drag_to(_column(page, "Proposal"))
    expect(_column(page, "Proposal").locator(".board-card")).to_have_count(1)
    assert demo_api.get(f"/opportunities/{made['id']}")["stage_id"] == demo_api.stage("Proposal")["id"]


def test_a_drop_on_closed_won_asks_for_the_close_date_and_reason(workspace, demo_api, axe):
    made = _make(demo_api, "Boardwon one", "Negotiation", "900.00", 80, 40)
    other = _make(demo_api, "Boardwon two", "Negotiation", "100.00", 80, 41)
    reasons = demo_api.get("/lists/close_reason")["values"]
    assert reasons, "the Demo workspace has close reasons"
    page = _board(workspace, "Boardwon")
    won = next(s for s in demo_api.get("/sales-stages")["items"] if s["outcome"] == "won")
    page.locator("section.board-zone[data-outcome='won']").scroll_into_view_if_needed()  # the board scrolls sideways

    # Cancelled: nothing changes.
    _card(page, "Boardwon two").drag_to(page.locator("section.board-zone[data-outcome='won']"))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Actual close date")).to_have_value(dt.date.today().isoformat())
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#status")).to_have_text("The opportunity was not moved.")
    assert demo_api.get(f"/opportunities/{other['id']}")["status"] == "open"

    _card(page, "Boardwon one").drag_to(page.locator("section.board-zone[data-outcome='won']"))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text(f"Move Boardwon one to {won['name']}")
    expect(dialog.get_by_label("Close reason").locator("option")).to_have_count(len(reasons) + 1)
    dialog.get_by_label("Actual close date").fill("2026-11-30")
    dialog.get_by_label("Close reason").select_option(reasons[0])
    assert not axe(page), axe(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "19-board-1280-close-dialog.png"))
    dialog.get_by_role("button", name=f"Move to {won['name']}").click()
    expect(page.locator("#status")).to_have_text(f"Boardwon one moved to {won['name']}.")
    expect(_card(page, "Boardwon one")).to_have_count(0)
    after = demo_api.get(f"/opportunities/{made['id']}")
    assert (after["status"], after["close_date"], after["probability"]) == ("won", "2026-11-30", 100)
    assert after["close_reason"] == reasons[0]


def test_board_screenshots_and_narrow(workspace, narrow_workspace, demo_api):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page = workspace.open("board")
    page.wait_for_function("() => document.querySelector('.board').dataset.loaded === 'true'")
    page.screenshot(path=str(SCREENS / "19-board-1280.png"))
    narrow = narrow_workspace.open("board")
    narrow.wait_for_function("() => document.querySelector('.board').dataset.loaded === 'true'")
    expect(narrow.locator(".board-card").first).to_be_visible()
    narrow.screenshot(path=str(SCREENS / "19-board-800.png"))
    # The board scrolls sideways inside itself; the page does not.
    assert narrow.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_board_in_french(french, demo_api, axe):
    page = french.open("board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau du pipeline")
    page.wait_for_function("() => document.querySelector('.board').dataset.loaded === 'true'")
    expect(page.get_by_role("link", name="Tableau du pipeline")).to_have_attribute("aria-current", "page")
    expect(page.locator(".board-totals").first).to_contain_text("Total")
    left = english_left(page, "fr", allow=DATA)
    assert not left, f"English left on the French board: {left}"
    assert not axe(page), axe(page)
    french.screen("19-board-fr-1280")
