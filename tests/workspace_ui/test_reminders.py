"""My reminders (issue 19): the signed-in user's reminders and due sales activities, soonest first, with
Done (a reminder cleared, an activity ticked on the deal's checklist) and Snooze (reminders only: a
sales activity's due date follows from its stage, and the view says so); keyboard, axe, French."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from storage.demo import DEMO_COLLEAGUE
from tests.i18n_scan import english_left
from tests.workspace_ui.test_french import DATA, french  # noqa: F401 - the French browser fixture


def _deal(demo_api, title: str, stage: str = "Negotiation", reminder: dt.datetime | None = None) -> dict:
    link = {"type": "account", "id": demo_api.named("accounts", "Tailspin Toys")["id"]}
    body = {"title": title, "link": link, "stage_id": demo_api.stage(stage)["id"]}
    if reminder is not None:
        body["reminder_at"] = reminder.isoformat()
    return demo_api.post("/opportunities", body)


def _row(page, title: str, kind: str):
    return page.locator(f"li.reminder[data-kind='{kind}']").filter(has=page.get_by_role("link", name=title, exact=True))


def test_my_reminders_soonest_first_done_and_snooze(workspace, demo_api, axe):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    late = _deal(demo_api, "Remind late", reminder=now - dt.timedelta(days=2))
    soon = _deal(demo_api, "Remind soon", reminder=now + dt.timedelta(days=2))
    steps = _deal(demo_api, "Remind steps", stage="Prospecting")  # "Identify decision makers": due in 3 days
    colleague = demo_api.__class__(demo_api.base_url, DEMO_COLLEAGUE)
    _deal(colleague, "Remind someone else", reminder=now - dt.timedelta(days=1))

    page = workspace.open("reminders")
    expect(page.get_by_role("heading", level=1)).to_have_text("My reminders")
    expect(page.get_by_role("link", name="My reminders")).to_have_attribute("aria-current", "page")
    expect(_row(page, "Remind late", "opportunity")).to_be_visible()
    expect(page.get_by_role("link", name="Remind someone else")).to_have_count(0)  # not mine
    titles = page.locator("li.reminder .reminder-what a").all_inner_texts()
    ours = [t for t in titles if t.startswith("Remind ")]
    assert ours.index("Remind late") < ours.index("Remind soon") < ours.index("Remind steps"), ours
    expect(_row(page, "Remind late", "opportunity")).to_contain_text("Overdue")
    activity = _row(page, "Remind steps", "activity").first
    expect(activity).to_contain_text("A sales activity cannot be snoozed")
    expect(activity.get_by_role("button", name="Snooze 1 day")).to_have_count(0)
    assert not axe(page), axe(page)

    # Snooze the overdue reminder by a day: from now, so it leaves today's list.
    _row(page, "Remind late", "opportunity").get_by_role("button", name="Snooze 1 day").click()
    expect(page.locator("#reminder-messages")).to_contain_text("The reminder of Remind late is moved to")
    after = dt.datetime.fromisoformat(demo_api.get(f"/opportunities/{late['id']}")["reminder_at"])
    assert dt.timedelta(hours=23) < after - now < dt.timedelta(hours=25), after
    # Snooze a coming reminder by a week: from when it is due.
    _row(page, "Remind soon", "opportunity").get_by_role("button", name="Snooze 1 week").click()
    expect(page.locator("#reminder-messages")).to_contain_text("The reminder of Remind soon is moved to")
    moved = dt.datetime.fromisoformat(demo_api.get(f"/opportunities/{soon['id']}")["reminder_at"])
    assert moved - (now + dt.timedelta(days=2)) == dt.timedelta(days=7), moved
    expect(_row(page, "Remind soon", "opportunity")).to_have_count(0)  # now beyond a week

    # Done on a reminder clears it, by keyboard.
    page.get_by_label("Due by").select_option(label="Within a month")
    row = _row(page, "Remind late", "opportunity")
    row.get_by_role("button", name="Done").focus()
    page.keyboard.press("Enter")
    expect(row).to_have_count(0)
    assert demo_api.get(f"/opportunities/{late['id']}")["reminder_at"] is None
    expect(page.locator("#status")).to_have_text("The reminder of Remind late is cleared.")
    expect(page.locator("main li.reminder button").first).to_be_focused()

    # Done on a sales activity ticks it on the deal's checklist.
    first = _row(page, "Remind steps", "activity").first
    name = first.locator(".reminder-name").inner_text()
    first.get_by_role("button", name="Done").click()
    expect(page.locator("#reminder-messages")).to_contain_text(f"{name} marked done on Remind steps.")
    checklist = {a["name"]: a["done"] for a in demo_api.get(f"/opportunities/{steps['id']}")["activities"]}
    assert checklist[name] is True
    expect(page.locator("li.reminder[data-kind='activity']").filter(has_text=name)
           .filter(has=page.get_by_role("link", name="Remind steps", exact=True))).to_have_count(0)
    # The shared demo's CSV round trip (test_transfer.py) compares every record, and a CSV file carries no
    # checklist marks: untick it again.
    ticked = next(a for a in demo_api.get(f"/opportunities/{steps['id']}")["activities"] if a["name"] == name)
    demo_api.call("PATCH", f"/opportunities/{steps['id']}", {"activities": [{"activity_id": ticked["activity_id"],
                                                                               "done": False}]})


def test_my_reminders_in_french(french, demo_api, axe):
    page = french.open("reminders")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rappels")
    expect(page.locator("ul.reminders li").first).to_be_visible()
    left = english_left(page, "fr", allow=DATA)
    assert not left, f"English left on the French reminders: {left}"
    assert not axe(page), axe(page)
    french.screen("19-reminders-fr-1280")
