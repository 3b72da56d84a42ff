"""Recurring series in calendarView delta: occurrences, exceptions, cancellations, master changes."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from graph_sync.fake import FakeGraph

from .conftest import Client

NOVEMBER = "?startDateTime=2026-11-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"
DELTA = "/me/calendarView/delta"


def weekly(subject: str = "Pipeline review", **extra) -> dict:
    return {"subject": subject, "body": {"contentType": "text", "content": "Weekly"},
            "start": {"dateTime": "2026-11-02T09:00:00", "timeZone": "W. Europe Standard Time"},
            "end": {"dateTime": "2026-11-02T09:30:00", "timeZone": "W. Europe Standard Time"},
            "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday"],
                                       "firstDayOfWeek": "sunday"},
                           "range": {"type": "endDate", "startDate": "2026-11-02", "endDate": "2026-11-30"}},
            **extra}


@pytest.fixture
def series(start_fake):
    fake = start_fake({"events": [weekly()]})
    master_id = fake.mailbox.to_dict()["events"][0]["id"]
    return fake, Client(fake.url), master_id


def starts(items: list[dict]) -> list[str]:
    return [i["start"]["dateTime"][:16] for i in items]


def test_delta_returns_occurrences_not_the_master(series):
    fake, client, master_id = series
    _, items, _ = client.delta_round(DELTA + NOVEMBER, page_size=4)
    # Mondays and Wednesdays of November 2026, 09:00 Berlin = 08:00 UTC
    assert starts(items) == ["2026-11-02T08:00", "2026-11-04T08:00", "2026-11-09T08:00", "2026-11-11T08:00",
                             "2026-11-16T08:00", "2026-11-18T08:00", "2026-11-23T08:00", "2026-11-25T08:00",
                             "2026-11-30T08:00"]
    assert all(i["type"] == "occurrence" and i["seriesMasterId"] == master_id for i in items)
    assert master_id not in {i["id"] for i in items}
    # Occurrences in delta are sparse, as Graph sends them (microsoft-graph-docs#7632).
    assert set(items[0]) == {"@odata.type", "@odata.etag", "id", "seriesMasterId", "type", "start", "end"}
    assert len({i["id"] for i in items}) == 9


def test_occurrence_ids_are_stable_and_get_returns_the_whole_occurrence(series):
    fake, client, master_id = series
    _, items, _ = client.delta_round(DELTA + NOVEMBER)
    assert [i["id"] for i in client.delta_round(DELTA + NOVEMBER)[1]] == [i["id"] for i in items]
    assert fake.mailbox.occurrence_id(master_id, "2026-11-04") == items[1]["id"]
    assert fake.mailbox.occurrence_id(master_id, dt.date(2026, 11, 4)) == items[1]["id"]
    first, second = (client.ok("GET", f"/me/events/{i['id']}") for i in items[:2])
    assert (first["type"], first["seriesMasterId"], first["subject"]) == ("occurrence", master_id, "Pipeline review")
    assert first["originalStart"] == "2026-11-02T08:00:00Z" and second["originalStart"] == "2026-11-04T08:00:00Z"
    master = client.ok("GET", f"/me/events/{master_id}")
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["type"] == "weekly"
    # "iCalUId ... This ID is different for each occurrence in a recurring series"
    assert len({first["iCalUId"], second["iCalUId"], master["iCalUId"]}) == 3
    assert first["recurrence"] is None
    # rest ids work too, and the seriesMasterId follows the id form asked for
    rest = client.ok("GET", f"/me/events/R{items[0]['id']}", immutable=False)
    assert rest["id"] == "R" + items[0]["id"] and rest["seriesMasterId"] == "R" + master_id


def test_patch_of_an_occurrence_makes_an_exception(series):
    fake, client, master_id = series
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    target = items[2]["id"]
    patched = client.ok("PATCH", f"/me/events/{target}", {
        "subject": "Pipeline review (moved)",
        "start": {"dateTime": "2026-11-09T15:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-09T15:30:00", "timeZone": "UTC"}})
    assert patched["type"] == "exception" and patched["id"] == target
    _, changes, link = client.delta_round(link)
    (change,) = changes
    assert change["id"] == target and change["type"] == "exception"
    assert change["subject"] == "Pipeline review (moved)" and change["start"]["dateTime"].startswith("2026-11-09T15:00")
    assert change["seriesMasterId"] == master_id and change["originalStart"] == "2026-11-09T08:00:00Z"
    assert client.ok("GET", f"/me/events/{items[3]['id']}")["subject"] == "Pipeline review"
    assert client.delta_round(link)[1] == []


def test_deleting_or_cancelling_one_occurrence_removes_it(series):
    fake, client, master_id = series
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    client.ok("DELETE", f"/me/events/{items[1]['id']}", expect=204)
    client.ok("POST", f"/me/events/{items[4]['id']}/cancel", {"comment": "Offsite"}, expect=202)
    fake.mailbox.delete_event(items[6]["id"])
    _, changes, link = client.delta_round(link)
    assert changes == [{"@odata.type": "#microsoft.graph.event", "id": items[i]["id"],
                        "@removed": {"reason": "deleted"}} for i in (1, 4, 6)]
    for i in (1, 4, 6):
        reply = client.get(f"/me/events/{items[i]['id']}")
        assert reply.status == 404 and reply.body["error"]["code"] == "ErrorItemNotFound"
        assert client.patch(f"/me/events/{items[i]['id']}", {"subject": "x"}).status == 404
    assert len(client.delta_round(DELTA + NOVEMBER)[1]) == 6
    assert client.ok("GET", f"/me/events/{master_id}")["type"] == "seriesMaster"


def test_changing_the_master_changes_every_plain_occurrence(series):
    fake, client, master_id = series
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    client.ok("PATCH", f"/me/events/{items[0]['id']}", {"subject": "Kick-off"})
    _, _, link = client.delta_round(link)
    client.ok("PATCH", f"/me/events/{master_id}", {"subject": "Pipeline review v2"})
    _, changes, link = client.delta_round(link)
    assert [c["id"] for c in changes] == [i["id"] for i in items[1:]]
    assert {c["type"] for c in changes} == {"occurrence"}
    assert client.ok("GET", f"/me/events/{items[5]['id']}")["subject"] == "Pipeline review v2"
    assert client.ok("GET", f"/me/events/{items[0]['id']}")["subject"] == "Kick-off"


def test_a_new_schedule_removes_the_occurrences_it_no_longer_has(series):
    fake, client, master_id = series
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    recurrence = weekly()["recurrence"]
    recurrence["pattern"]["daysOfWeek"] = ["monday"]
    client.ok("PATCH", f"/me/events/{master_id}", {"recurrence": recurrence})
    _, changes, link = client.delta_round(link)
    removed = [c["id"] for c in changes if "@removed" in c]
    kept = [c["id"] for c in changes if "@removed" not in c]
    assert removed == [i["id"] for i in items if i["start"]["dateTime"][:10] in
                       ("2026-11-04", "2026-11-11", "2026-11-18", "2026-11-25")]
    assert kept == [i["id"] for i in items if i["start"]["dateTime"][:10] in
                    ("2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30")]


def test_deleting_the_master_removes_every_occurrence(series):
    fake, client, master_id = series
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    client.ok("DELETE", f"/me/events/{master_id}", expect=204)
    _, changes, _ = client.delta_round(link)
    assert sorted(c["id"] for c in changes) == sorted(i["id"] for i in items)
    assert all("@removed" in c for c in changes)
    assert client.get(f"/me/events/{items[0]['id']}").status == 404


@pytest.mark.parametrize("pattern,rng,expected", [
    ({"type": "daily", "interval": 3}, {"type": "numbered", "startDate": "2026-11-02", "numberOfOccurrences": 4},
     ["2026-11-02", "2026-11-05", "2026-11-08", "2026-11-11"]),
    ({"type": "weekly", "interval": 2, "daysOfWeek": ["friday"], "firstDayOfWeek": "monday"},
     {"type": "noEnd", "startDate": "2026-10-01"}, ["2026-11-13", "2026-11-27"]),  # from Fri 2 October
    ({"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15}, {"type": "noEnd", "startDate": "2026-01-01"},
     ["2026-11-15"]),
    ({"type": "absoluteYearly", "interval": 1, "dayOfMonth": 30, "month": 11},
     {"type": "endDate", "startDate": "2020-01-01", "endDate": "2030-01-01"}, ["2026-11-30"]),
])
def test_patterns_and_ranges(start_fake, pattern, rng, expected):
    fake = start_fake()
    client = Client(fake.url)
    client.ok("POST", "/me/events", {"subject": "Series", "start": {"dateTime": "2026-11-02T12:00:00", "timeZone": "UTC"},
                                     "end": {"dateTime": "2026-11-02T13:00:00", "timeZone": "UTC"},
                                     "recurrence": {"pattern": pattern, "range": rng}}, expect=201)
    assert [s[:10] for s in starts(client.delta_round(DELTA + NOVEMBER)[1])] == expected


def test_occurrences_keep_local_time_across_daylight_saving(start_fake):
    fake = start_fake()
    fake.mailbox.add_event({"subject": "Daily", "start": {"dateTime": "2026-10-23T09:00:00", "timeZone": "Europe/Berlin"},
                            "end": {"dateTime": "2026-10-23T09:15:00", "timeZone": "Europe/Berlin"},
                            "recurrence": {"pattern": {"type": "daily", "interval": 1},
                                           "range": {"type": "numbered", "startDate": "2026-10-23",
                                                     "numberOfOccurrences": 5}}})
    window = "?startDateTime=2026-10-01T00:00:00Z&endDateTime=2026-11-01T00:00:00Z"
    # Berlin leaves summer time on 25 October 2026: 09:00 is 07:00 UTC before, 08:00 UTC after.
    assert starts(Client(fake.url).delta_round(DELTA + window)[1]) == [
        "2026-10-23T07:00", "2026-10-24T07:00", "2026-10-25T08:00", "2026-10-26T08:00", "2026-10-27T08:00"]


def test_bad_and_unimplemented_recurrences(demo, client):
    base = {"subject": "x", "start": {"dateTime": "2026-11-02T12:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-11-02T13:00:00", "timeZone": "UTC"}}
    weekly_without_days = {"pattern": {"type": "weekly", "interval": 1}, "range": {"type": "noEnd", "startDate": "2026-11-02"}}
    assert client.post("/me/events", {**base, "recurrence": weekly_without_days}).status == 400
    numbered_without_count = {"pattern": {"type": "daily", "interval": 1},
                              "range": {"type": "numbered", "startDate": "2026-11-02"}}
    assert client.post("/me/events", {**base, "recurrence": numbered_without_count}).status == 400
    relative = {"pattern": {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "first"},
                "range": {"type": "noEnd", "startDate": "2026-11-02"}}
    assert client.post("/me/events", {**base, "recurrence": relative}).status == 501


def test_window_longer_than_1825_days_is_refused(demo, client):
    reply = client.get(DELTA + "?startDateTime=2026-01-01T00:00:00Z&endDateTime=2031-01-02T00:00:00Z")
    assert reply.status == 400 and reply.body["error"]["code"] == "ErrorInvalidRequest"
    assert "1825" in reply.body["error"]["message"]
    assert client.get(DELTA + "?startDateTime=2026-01-01T00:00:00Z&endDateTime=2030-12-31T00:00:00Z").status == 200


def test_an_endless_daily_series_over_the_longest_window(start_fake):
    fake = start_fake()
    fake.mailbox.add_event({"subject": "Daily", "start": {"dateTime": "2020-01-01T09:00:00", "timeZone": "UTC"},
                            "end": {"dateTime": "2020-01-01T09:15:00", "timeZone": "UTC"},
                            "recurrence": {"pattern": {"type": "daily", "interval": 1},
                                           "range": {"type": "noEnd", "startDate": "2020-01-01"}}})
    window = "?startDateTime=2026-01-01T00:00:00Z&endDateTime=2030-12-31T00:00:00Z"
    _, items, _ = Client(fake.url).delta_round(DELTA + window, page_size=1000)
    assert len(items) == 1825


def test_cancel_needs_the_organizer_and_attendees_see_canceled(start_fake):
    organizer = {"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}}
    fake = start_fake({"events": [weekly("Fabrikam sync", organizer=organizer)]})
    client = Client(fake.url)
    master_id = fake.mailbox.to_dict()["events"][0]["id"]
    _, items, link = client.delta_round(DELTA + NOVEMBER)
    refused = client.post(f"/me/events/{items[0]['id']}/cancel", {})
    assert refused.status == 400
    assert refused.body["error"]["message"] == ("Your request can't be completed. You need to be an organizer to "
                                                "cancel a meeting.")
    # The organizer cancels one occurrence: it stays in the attendee's calendar, cancelled.
    fake.mailbox.cancelled_by_organizer(fake.mailbox.occurrence_id(master_id, "2026-11-09"))
    _, changes, _ = client.delta_round(link)
    (change,) = changes
    assert change["id"] == items[2]["id"] and change["type"] == "exception"
    assert change["isCancelled"] is True and change["subject"] == "Canceled: Fabrikam sync"
    assert change["isOrganizer"] is False


def test_python_api_and_mailbox_file_round_trip(start_fake):
    fake = start_fake()
    master = fake.mailbox.add_event(weekly())
    assert master["type"] == "seriesMaster"
    occurrence_id = fake.mailbox.occurrence_id(master["id"], "2026-11-11")
    exception = fake.mailbox.update_event(occurrence_id, {"subject": "Moved"})
    assert exception["type"] == "exception" and exception["id"] == occurrence_id
    fake.mailbox.delete_event(fake.mailbox.occurrence_id(master["id"], "2026-11-16"))
    with pytest.raises(KeyError):
        fake.mailbox.update_event(fake.mailbox.occurrence_id(master["id"], "2026-11-16"), {"subject": "x"})
    with pytest.raises(KeyError):  # not a date of the series
        fake.mailbox.delete_event(fake.mailbox.occurrence_id(master["id"], "2026-11-17"))
    dumped = json.loads(json.dumps(fake.mailbox.to_dict()))
    reloaded = FakeGraph(dumped)
    items = [reloaded.mailbox.get_occurrence(reloaded.mailbox.occurrence_id(master["id"], day))
             for day in ("2026-11-11", "2026-11-16", "2026-11-18")]
    assert items[0]["subject"] == "Moved" and items[1] is None and items[2]["type"] == "occurrence"
