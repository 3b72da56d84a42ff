"""The pane on Outlook for iOS and Android (issue 19): a phone's 375 x 667 screen, touch, no mouse.

Outlook mobile opens the pane over the whole screen, from a message in read mode only
(https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-addins,
https://learn.microsoft.com/office/dev/add-ins/outlook/add-mobile-support). The Office stand-in plays
that host (`platform` "iOS" / "Android": Office.context.platform, diagnostics.hostName "OutlookIOS" /
"OutlookAndroid", Mailbox up to 1.5, REST item ids), and Chromium plays the phone (Playwright's
is_mobile and has_touch: a touch screen whose pointer is coarse, so `@media (pointer: coarse)` applies).

On each view a user reaches from a message (the item, linking, an opportunity, a new opportunity), in
English and French: nothing wider than the screen (no sideways scrolling), every button, link, field
and list found on screen at least 44 x 44 CSS px (Apple's minimum tap target, WCAG 2.5.5's "Target
Size (Enhanced)"; a checkbox counts with its label, which takes the tap too), no serious axe violation,
and a screenshot at 375 px kept in /tmp/dealpane-screens/19-mobile-*.png.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from storage.demo import DEMO_OWNER
from tests.axe_scan import serious_violations
from tests.browser.conftest import _check_session, _close, _session
from tests.i18n_scan import english_left

PHONE = {"width": 375, "height": 667}
TOUCH = 44
MEGAN = "megan.bowen@fabrikam.com"
LEE = "lee.gu@northwindtraders.com"
SCREENS = Path("/tmp/dealpane-screens")

# Every control a finger can reach, with the box that takes its tap: a checkbox or radio button is
# tapped through its label as well (the label box counts when it wraps or names the input).
_TARGETS = """(minimum) => {
  const selector = "button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex='0']";
  const seen = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.closest(".status, [hidden], [aria-hidden=true]")) continue;
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const l = label.getBoundingClientRect();
        const left = Math.min(box.left, l.left), top = Math.min(box.top, l.top);
        box = {width: Math.max(box.right, l.right) - left, height: Math.max(box.bottom, l.bottom) - top};
      }
    }
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "").trim().slice(0, 40);
      seen.push(`${el.tagName.toLowerCase()}${el.type ? "[" + el.type + "]" : ""} "${name}" ` +
                `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return seen;
}"""


def small_targets(page) -> list[str]:
    return page.evaluate(_TARGETS, TOUCH)


def check_phone(page, axe_source: str, name: str | None = None, *, french: bool = False,
                data: tuple[str, ...] = ()) -> None:
    """The view on screen fits the phone, its controls take a finger, and it is accessible."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert width == PHONE["width"]
    scroll = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert scroll <= width, f"the page scrolls sideways: {scroll} px wide on a {width}-px screen"
    small = small_targets(page)
    assert small == [], f"touch targets under 44 x 44 px: {small}"
    assert serious_violations(page, axe_source) == []
    if french:
        assert page.locator("html").get_attribute("lang") == "fr"
        assert english_left(page, "fr", allow=data) == []
    if name:
        shoot(page, name)


def shoot(page, name: str) -> None:
    """The whole view as the phone shows it. Not with full_page=True: Chromium's full-page capture
    leaves the mobile emulation for the shot (the pointer turns fine, the 44-px rules no longer
    apply, the page is laid out ~1,000 px wide), so the viewport is made as tall as the page instead."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": max(PHONE["height"], min(height, 4000))})
    try:
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        page.screenshot(path=str(SCREENS / f"19-mobile-{name}.png"))
    finally:
        page.set_viewport_size(PHONE)


@pytest.fixture(params=["iOS", "Android"])
def phone(request, browser, base_url, shots_dir, microsoft_cdn_files):
    """The pane in Outlook on a phone (iOS, then Android): touch, 375 px, Mailbox 1.5."""
    context, session = _session(browser, base_url, shots_dir, PHONE, is_mobile=True, has_touch=True,
                                device_scale_factor=2)
    missing: list[str] = []
    session.page.on("console", lambda message: missing.append(message.text)
                    if message.type == "error" and "dealpane i18n" in message.text else None)
    platform = request.param
    page = session.page

    def open_on_phone(item, *, view: str | None = None, display_language: str | None = None):
        state = {"user": {"emailAddress": DEMO_OWNER, "displayName": "Diego Siciliani"}, "item": item,
                 "platform": platform}
        if display_language:
            state["displayLanguage"] = display_language
        page.add_init_script(f"window.__DEALPANE_STANDIN__ = {json.dumps(state)};")
        page.goto(f"{session.origin}/pane/?standin=1" + (f"&view={view}" if view else ""))
        session.wait_ready()
        return page

    session.open = open_on_phone
    session.platform = platform
    yield session
    _close(context)
    _check_session(session, "the pane on a phone")
    assert missing == [], f"messages missing from the catalogue: {missing}"


def test_the_stand_in_plays_outlook_mobile(phone, find_item):
    page = phone.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    seen = page.evaluate("""() => ({platform: Office.context.platform, host: Office.context.mailbox.diagnostics.hostName,
        set15: Office.context.requirements.isSetSupported("Mailbox", "1.5"),
        set16: Office.context.requirements.isSetSupported("Mailbox", "1.6"),
        coarse: matchMedia("(pointer: coarse)").matches, touch: navigator.maxTouchPoints > 0})""")
    host = {"iOS": "OutlookIOS", "Android": "OutlookAndroid"}[phone.platform]
    assert seen == {"platform": phone.platform, "host": host, "set15": True, "set16": False,
                    "coarse": True, "touch": True}


def test_mail_item_on_a_phone(phone, find_item, axe_source):
    page = phone.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – licence quote for 50 seats")
    card = page.get_by_role("region", name="Open opportunities").get_by_role("listitem").filter(
        has_text="Fabrikam – 50 seats")
    expect(card).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-01-mail-item")

    # A tap (not a click) opens the opportunity.
    card.get_by_role("button", name="Fabrikam – 50 seats", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam – 50 seats")
    expect(page.get_by_label("Sales stage")).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-02-opportunity")


def test_link_view_on_a_phone(phone, find_item, axe_source):
    page = phone.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN), view="link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to opportunity")
    search = page.get_by_label("Search opportunities")
    search.tap()
    search.fill("Fabrikam")
    expect(page.get_by_role("list", name="Matching opportunities")).to_contain_text("Fabrikam – 50 seats")
    check_phone(page, axe_source, f"{phone.platform.lower()}-03-link")


def test_new_opportunity_form_on_a_phone(phone, find_item, axe_source):
    page = phone.open(find_item("Quick question about the three consulting seats", "grady.archie@outlook.com"))
    page.get_by_role("button", name="New opportunity from this e-mail").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("New opportunity")
    expect(page.get_by_label("Title")).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-04-new-opportunity")


def test_meeting_request_form_on_a_phone(phone, find_item, axe_source):
    page = phone.open(find_item("Northwind Traders – EMEA rollout", LEE))
    page.get_by_role("button", name="Northwind – EMEA rollout", exact=True).tap()
    page.get_by_role("button", name="Send meeting request…").tap()
    meeting = page.get_by_role("region", name="Meeting request")
    expect(meeting.get_by_label("Duration")).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-05-meeting-request")


def test_french_pane_on_a_phone(phone, find_item, demo_api, axe_source):
    stages = tuple(s["name"] for s in demo_api.get("/sales-stages")["items"])
    page = phone.open(find_item("Northwind Traders – EMEA rollout", LEE), display_language="fr-FR")
    expect(page.get_by_role("region", name="Opportunités ouvertes")).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-06-fr-mail-item", french=True)

    page.get_by_role("button", name="Northwind – EMEA rollout", exact=True).tap()
    expect(page.get_by_role("region", name="Modification rapide")).to_be_visible()
    check_phone(page, axe_source, f"{phone.platform.lower()}-07-fr-opportunity", french=True, data=stages)

    page.get_by_role("button", name="Retour").first.tap()
    page.get_by_role("button", name="Nouvelle opportunité depuis cet e-mail").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle opportunité")
    check_phone(page, axe_source, f"{phone.platform.lower()}-08-fr-new-opportunity", french=True)


def test_with_a_mouse_the_pane_keeps_fluent_compact_sizes(pane, find_item):
    """The scan above finds what it looks for: with a fine pointer (Outlook on a desktop) the same
    view keeps Fluent's 32-px buttons, which the 44-px check reports."""
    page = pane.open(find_item("Fabrikam – licence quote for 50 seats", MEGAN))
    assert page.evaluate("matchMedia('(pointer: coarse)').matches") is False
    small = small_targets(page)
    assert any(s.startswith('button[button] "Link to opportunity"') for s in small), small
