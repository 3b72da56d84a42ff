"""calendarView delta within a window, events CRUD, transactionId, time zones."""
from __future__ import annotations

import pytest

from .conftest import Client

WINDOW = "?startDateTime=2026-11-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"


def event(subject: str, start: str, end: str, zone: str = "UTC", **extra) -> dict:
    return {"subject": subject, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


@pytest.fixture
def cal(start_fake):
    fake = start_fake({"events": [
        event("Before", "2026-10-20T09:00:00", "2026-10-20T10:00:00"),
        event("Inside", "2026-11-10T09:00:00", "2026-11-10T10:00:00"),
        event("Straddles start", "2026-10-31T23:30:00", "2026-11-01T00:30:00"),
        event("Pacific", "2026-11-30T15:30:00", "2026-11-30T16:30:00", "Pacific Standard Time"),
        event("After", "2026-12-05T09:00:00", "2026-12-05T10:00:00"),
    ]})
    return fake, Client(fake.url)


def test_window_selects_overlapping_events(cal):
    _, client = cal
    pages, items, link = client.delta_round("/me/calendarView/delta" + WINDOW, page_size=2)
    assert len(pages) == 2
    # "Pacific" (15:30-16:30 PST on Nov 30) ends at 00:30 UTC on Dec 1, so it overlaps the window.
    assert sorted(e["subject"] for e in items) == ["Inside", "Pacific", "Straddles start"]
    assert items[0]["@odata.type"] == "#microsoft.graph.event"
    assert "startDateTime" not in link  # the window is carried in the token


def test_events_come_back_in_utc_unless_a_time_zone_is_preferred(cal):
    _, client = cal
    window = "?startDateTime=2026-11-30T00:00:00Z&endDateTime=2026-12-02T00:00:00Z"
    (pacific,) = client.delta_round("/me/calendarView/delta" + window)[1]
    assert pacific["start"] == {"dateTime": "2026-11-30T23:30:00.0000000", "timeZone": "UTC"}
    assert pacific["originalStartTimeZone"] == "Pacific Standard Time"
    local = client.ok("GET", f"/me/events/{pacific['id']}",
                      headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'}, immutable=False)
    assert local["start"] == {"dateTime": "2026-11-30T15:30:00.0000000", "timeZone": "Pacific Standard Time"}


def test_changes_in_the_next_round(cal):
    fake, client = cal
    _, items, link = client.delta_round("/me/calendarView/delta" + WINDOW)
    inside = next(e for e in items if e["subject"] == "Inside")
    straddles = next(e for e in items if e["subject"] == "Straddles start")
    client.ok("PATCH", f"/me/events/{inside['id']}", {"subject": "Inside, renamed"})
    client.ok("PATCH", f"/me/events/{straddles['id']}", {"start": {"dateTime": "2026-12-10T10:00:00", "timeZone": "UTC"},
                                                        "end": {"dateTime": "2026-12-10T11:00:00", "timeZone": "UTC"}})
    new = client.ok("POST", "/me/events", event("New inside", "2026-11-20T10:00:00", "2026-11-20T11:00:00"),
                    expect=201)
    _, changes, link = client.delta_round(link)
    shown = {c["id"]: c.get("subject", "@removed" if "@removed" in c else None) for c in changes}
    assert shown == {inside["id"]: "Inside, renamed", straddles["id"]: "@removed", new["id"]: "New inside"}
    client.ok("DELETE", f"/me/events/{new['id']}", expect=204)
    _, changes, _ = client.delta_round(link)
    assert changes == [{"@odata.type": "#microsoft.graph.event", "id": new["id"], "@removed": {"reason": "deleted"}}]


def test_calendar_path_variants(cal):
    _, client = cal
    calendar_id = client.ok("GET", "/me/calendar")["id"]
    assert client.ok("GET", "/me/calendars")["value"][0]["id"] == calendar_id
    for path in (f"/me/calendars/{calendar_id}/calendarView/delta", "/me/calendarView/delta()",
                 "/me/calendar/calendarView/delta"):
        assert len(client.delta_round(path + WINDOW)[1]) == 3
    assert client.get("/me/calendars/AAMkAGother/calendarView/delta" + WINDOW).status == 404


def test_window_is_required_and_select_refused(cal):
    _, client = cal
    missing = client.get("/me/calendarView/delta?startDateTime=2026-11-01T00:00:00Z")
    assert missing.status == 400 and missing.body["error"]["code"] == "ErrorInvalidParameter"
    assert client.get("/me/calendarView/delta" + WINDOW + "&$select=subject").status == 400


def test_post_event_fills_what_graph_generates(demo, client):
    body = event("Meeting with Megan", "2026-12-09T10:00:00", "2026-12-09T11:00:00", "Pacific Standard Time",
                 attendees=[{"emailAddress": {"address": "megan.bowen@fabrikam.com", "name": "Megan Bowen"},
                             "type": "required"}],
                 location={"displayName": "Teams"},
                 singleValueExtendedProperties=[{"id": "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Dealpane",
                                                 "value": "opportunity-42"}])
    created = client.ok("POST", "/me/events", body, expect=201)
    assert created["iCalUId"].startswith("040000008200E00074C5B7101A82E008")
    assert created["webLink"].startswith("https://outlook.office365.com/owa/?itemid=")
    assert created["organizer"]["emailAddress"]["address"] == "demo@contoso.com"
    assert created["isOrganizer"] is True
    assert created["attendees"][0]["status"] == {"response": "none", "time": "0001-01-01T00:00:00Z"}
    assert "singleValueExtendedProperties" not in created
    expanded = client.ok("GET", f"/me/events/{created['id']}?$expand=singleValueExtendedProperties($filter=id%20eq%20"
                                "'String%20{66f5a359-4659-4830-9070-00047ec6ac6e}%20Name%20Dealpane')")
    assert expanded["singleValueExtendedProperties"][0]["value"] == "opportunity-42"


def test_same_transaction_id_creates_one_event(demo, client):
    body = event("Retried meeting", "2026-12-10T10:00:00", "2026-12-10T11:00:00", transactionId="tx-7c1e")
    first = client.ok("POST", "/me/events", body, expect=201)
    second = client.ok("POST", "/me/events", body, expect=201)
    assert first["id"] == second["id"] and first["iCalUId"] == second["iCalUId"]
    window = "?startDateTime=2026-12-10T00:00:00Z&endDateTime=2026-12-11T00:00:00Z"
    assert [e["subject"] for e in client.delta_round("/me/calendarView/delta" + window)[1]] == ["Retried meeting"]
    other = client.ok("POST", "/me/events", {**body, "transactionId": "tx-other"}, expect=201)
    assert other["id"] != first["id"]


def test_event_body_validation(demo, client):
    no_start = client.post("/me/events", {"subject": "x", "end": {"dateTime": "2026-12-10T10:00:00",
                                                                  "timeZone": "UTC"}})
    assert no_start.status == 400
    unknown = client.post("/me/events", {**event("x", "2026-12-10T10:00:00", "2026-12-10T11:00:00"), "colour": 1})
    assert unknown.status == 400 and unknown.body["error"]["code"] == "RequestBodyRead"
    nested = client.post("/me/events", event("x", "2026-12-10T10:00:00", "2026-12-10T11:00:00",
                                             attendees=[{"email": "megan.bowen@fabrikam.com"}]))
    assert nested.status == 400 and "'email'" in nested.body["error"]["message"]


def test_patch_and_delete_unknown_event_are_404(demo, client):
    assert client.patch("/me/events/AAMkAGnope", {"subject": "x"}).status == 404
    assert client.delete("/me/events/AAMkAGnope").status == 404


def test_the_window_stays_the_one_in_the_token(cal):
    """delta-query-events: the state tokens encode startDateTime and endDateTime; a later round with
    the old link keeps the old window even when the client sends another one."""
    fake, client = cal
    _, items, link = client.delta_round("/me/calendarView/delta" + WINDOW)
    inside = next(e for e in items if e["subject"] == "Inside")
    client.ok("POST", "/me/events", event("December", "2026-12-15T10:00:00", "2026-12-15T11:00:00"), expect=201)
    client.ok("PATCH", f"/me/events/{inside['id']}", {"subject": "Inside, again"})
    other_window = "&startDateTime=2026-12-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    _, changes, _ = client.delta_round(link + other_window)
    shown = {c.get("subject", "@removed" if "@removed" in c else None) for c in changes}
    # "December" is outside the token's window: a change outside the window comes as removed.
    assert shown == {"Inside, again", "@removed"}


def test_an_event_moved_out_of_the_window_is_removed_but_still_there(cal):
    _, client = cal
    _, items, link = client.delta_round("/me/calendarView/delta" + WINDOW)
    inside = next(e for e in items if e["subject"] == "Inside")
    client.ok("PATCH", f"/me/events/{inside['id']}", {"start": {"dateTime": "2027-02-01T09:00:00", "timeZone": "UTC"},
                                                     "end": {"dateTime": "2027-02-01T10:00:00", "timeZone": "UTC"}})
    _, changes, _ = client.delta_round(link)
    assert changes == [{"@odata.type": "#microsoft.graph.event", "id": inside["id"], "@removed": {"reason": "deleted"}}]
    assert client.ok("GET", f"/me/events/{inside['id']}")["start"]["dateTime"].startswith("2027-02-01T09:00")
