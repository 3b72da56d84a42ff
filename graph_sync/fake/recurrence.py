"""Recurring series: a master's ``recurrence`` expanded into occurrences, occurrence ids, exceptions.

An event with a ``recurrence`` (patternedRecurrence) is a series master (``type: "seriesMaster"``,
https://learn.microsoft.com/graph/api/resources/event). Its occurrences are virtual: they are
computed from the pattern whenever a request needs them. What the master remembers of them lives
in its stored dict under ``SERIES`` (never served: render skips ``@`` names; a mailbox dump keeps
it, so a dumped file loads with its exceptions and cancellations):

``{"created": seq, "changed": seq, "exceptions": {"YYYY-MM-DD": {"seq", "patch", "changeKey",
"lastModifiedDateTime"}}, "cancelled": {"YYYY-MM-DD": seq}, "versions": [{"seq", "start", "end",
"recurrence"}]}``. ``changed`` is the sequence number of the last change to the master itself
(every plain occurrence changes with it); an exception or a cancellation has its own number, so
a delta round returns only what changed after its token. ``versions`` keeps the schedule a round
saw, so occurrences that a new schedule no longer has come back as removed.

Pattern types: daily, weekly (daysOfWeek, firstDayOfWeek), absoluteMonthly, absoluteYearly.
relativeMonthly / relativeYearly are refused with 501 (never a fake success). Range types:
endDate, noEnd, numbered (https://learn.microsoft.com/graph/api/resources/recurrencepattern,
https://learn.microsoft.com/graph/api/resources/recurrencerange).
"""
from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
from typing import Iterator
from urllib.parse import quote

from . import defaults, ids
from .errors import GraphError, bad_request
from .render import instant, zone

SERIES = "@fake.series"
# calendarView refuses windows over 1825 days (400 ErrorInvalidRequest, "... Maximum number of days:
# 1825"): https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/6321
MAX_WINDOW_DAYS = 1825
# One occurrence a day over the longest window; a safety cap on expansion, never reached by a
# valid pattern in a valid window.
MAX_OCCURRENCES_PER_WINDOW = MAX_WINDOW_DAYS + 1
# Expansion walks from the series start; a series older than this is not walked further.
MAX_WALK_DAYS = 366 * 60
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PATTERNS = ("daily", "weekly", "absoluteMonthly", "absoluteYearly")
UNSUPPORTED_PATTERNS = ("relativeMonthly", "relativeYearly")
RANGES = ("endDate", "noEnd", "numbered")
# The occurrence id is the master's id, a marker and the occurrence's date: stable, derived from
# master and date as Exchange's own occurrence ids are, and in Graph's id alphabet.
_MARK = "AAEOAAA"
_DATE_CHARS = 14  # base64url of "YYYY-MM-DD" without padding


# -- validation ------------------------------------------------------------------------------
def _canonical(value: object, allowed: tuple[str, ...], what: str) -> str:
    for name in allowed:
        if isinstance(value, str) and value.lower() == name.lower():
            return name
    raise bad_request(f"Invalid value '{value}' for {what}.")


def _date(value: object, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad_request(f"Invalid value '{value}' for {what}.") from None


def check(recurrence: object) -> dict | None:
    """The recurrence as the fake stores it, or the 400/501 Graph-like refusal."""
    if recurrence is None:
        return None
    if not isinstance(recurrence, dict) or not isinstance(recurrence.get("pattern"), dict) \
            or not isinstance(recurrence.get("range"), dict):
        raise bad_request("A recurrence needs a 'pattern' and a 'range'.")
    pattern, rng = dict(recurrence["pattern"]), dict(recurrence["range"])
    kind = pattern.get("type")
    if isinstance(kind, str) and kind.lower() in (p.lower() for p in UNSUPPORTED_PATTERNS):
        raise GraphError(501, "NotImplemented", f"The recurrence pattern type '{kind}' is not implemented by "
                                                "the fake Graph")
    pattern["type"] = _canonical(kind, PATTERNS, "recurrencePattern.type")
    interval = pattern.get("interval", 1)
    # interval is Required for every pattern type (recurrencepattern page); 0 or less is no pattern.
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise bad_request(f"Invalid value '{interval}' for recurrencePattern.interval.")
    pattern["interval"] = interval
    if pattern["type"] == "weekly":
        days = pattern.get("daysOfWeek")
        if not isinstance(days, list) or not days:
            raise bad_request("recurrencePattern.daysOfWeek is required for a weekly pattern.")
        pattern["daysOfWeek"] = [_canonical(d, DAYS, "recurrencePattern.daysOfWeek") for d in days]
        pattern["firstDayOfWeek"] = _canonical(pattern.get("firstDayOfWeek") or "sunday", DAYS,
                                               "recurrencePattern.firstDayOfWeek")
    if pattern["type"] in ("absoluteMonthly", "absoluteYearly"):
        day = pattern.get("dayOfMonth")
        if not isinstance(day, int) or not 1 <= day <= 31:
            raise bad_request(f"Invalid value '{day}' for recurrencePattern.dayOfMonth.")
    if pattern["type"] == "absoluteYearly":
        month = pattern.get("month")
        if not isinstance(month, int) or not 1 <= month <= 12:
            raise bad_request(f"Invalid value '{month}' for recurrencePattern.month.")
    rng["type"] = _canonical(rng.get("type"), RANGES, "recurrenceRange.type")
    rng["startDate"] = _date(rng.get("startDate"), "recurrenceRange.startDate").isoformat()
    if rng["type"] == "endDate":
        end = _date(rng.get("endDate"), "recurrenceRange.endDate")
        if end < dt.date.fromisoformat(rng["startDate"]):
            raise bad_request("recurrenceRange.endDate is before recurrenceRange.startDate.")
        rng["endDate"] = end.isoformat()
    if rng["type"] == "numbered":
        count = rng.get("numberOfOccurrences")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise bad_request(f"Invalid value '{count}' for recurrenceRange.numberOfOccurrences.")
    return {**recurrence, "pattern": pattern, "range": rng}


# -- expansion -------------------------------------------------------------------------------
def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    total = day.year * 12 + day.month - 1 + months
    return total // 12, total % 12 + 1


def _pattern_dates(recurrence: dict) -> Iterator[dt.date]:
    """Every date of the pattern from the range's start, in order (unbounded for noEnd)."""
    pattern, rng = recurrence["pattern"], recurrence["range"]
    start = dt.date.fromisoformat(rng["startDate"])
    interval = pattern["interval"]
    kind = pattern["type"]
    if kind == "daily":
        day = start
        while True:
            yield day
            day += dt.timedelta(days=interval)
    elif kind == "weekly":
        first = DAYS.index(pattern["firstDayOfWeek"])
        wanted = sorted((DAYS.index(d) - first) % 7 for d in set(pattern["daysOfWeek"]))
        week = start - dt.timedelta(days=(start.weekday() - first) % 7)
        while True:
            for offset in wanted:
                day = week + dt.timedelta(days=offset)
                if day >= start:
                    yield day
            week += dt.timedelta(weeks=interval)
    else:
        step = interval if kind == "absoluteMonthly" else 12 * interval
        anchor = start.replace(day=1)
        if kind == "absoluteYearly":
            anchor = anchor.replace(month=pattern["month"])
            if anchor < start.replace(day=1):
                anchor = anchor.replace(year=anchor.year + 1)
        months = 0
        while True:
            year, month = _add_months(anchor, months)
            try:
                day = dt.date(year, month, pattern["dayOfMonth"])
            except ValueError:
                day = None  # this month has no such day: no occurrence in it
            if day is not None and day >= start:
                yield day
            months += step


def series_dates(recurrence: dict | None, last: dt.date) -> Iterator[dt.date]:
    """The series' dates up to ``last`` (inclusive), within its range."""
    if not recurrence:
        return
    rng = recurrence["range"]
    end = dt.date.fromisoformat(rng["endDate"]) if rng["type"] == "endDate" else None
    count = rng.get("numberOfOccurrences") if rng["type"] == "numbered" else None
    start = dt.date.fromisoformat(rng["startDate"])
    for index, day in enumerate(_pattern_dates(recurrence)):
        if day > last or (end is not None and day > end) or (count is not None and index >= count) \
                or (day - start).days > MAX_WALK_DAYS:
            return
        yield day


def slot(schedule: dict, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """An occurrence's start and end on ``day``: the master's wall-clock time in its time zone."""
    start, end = instant(schedule.get("start")), instant(schedule.get("end"))
    if start is None:
        raise ValueError("a series master needs a start")
    local_zone = zone((schedule.get("start") or {}).get("timeZone"))
    local = start.astimezone(local_zone)
    begins = dt.datetime.combine(day, local.time(), tzinfo=local_zone)
    return begins, begins + ((end - start) if end is not None else dt.timedelta(0))


def _overlaps(start: dt.datetime, end: dt.datetime, window: tuple[dt.datetime, dt.datetime]) -> bool:
    low, high = window
    return start < high and (end > low or start >= low)


def dates_in_window(schedule: dict, window: tuple[dt.datetime, dt.datetime]) -> list[dt.date]:
    """Dates whose unmodified occurrence overlaps the window (at most MAX_OCCURRENCES_PER_WINDOW)."""
    out: list[dt.date] = []
    recurrence = schedule.get("recurrence")
    if not recurrence or instant(schedule.get("start")) is None:
        return out
    last = (window[1] + dt.timedelta(days=2)).date()
    for day in series_dates(recurrence, last):
        begins, ends = slot(schedule, day)
        if _overlaps(begins, ends, window):
            out.append(day)
            if len(out) >= MAX_OCCURRENCES_PER_WINDOW:
                break
    return out


def is_date_of(schedule: dict, day: dt.date) -> bool:
    return any(d == day for d in series_dates(schedule.get("recurrence"), day))


# -- ids -------------------------------------------------------------------------------------
def occurrence_id(master_id: str, day: dt.date | str) -> str:
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    encoded = base64.urlsafe_b64encode(day.isoformat().encode("ascii")).decode("ascii").rstrip("=")
    return f"{master_id}{_MARK}{encoded}"


def parse_occurrence_id(immutable_id: str) -> tuple[str, dt.date] | None:
    """(master id, date) of an occurrence id in immutable form, or None."""
    cut = len(_MARK) + _DATE_CHARS
    if len(immutable_id) <= cut or immutable_id[-cut:-_DATE_CHARS] != _MARK:
        return None
    try:
        day = dt.date.fromisoformat(base64.urlsafe_b64decode(immutable_id[-_DATE_CHARS:] + "==").decode("ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return immutable_id[:-cut], day


# -- the master's bookkeeping ----------------------------------------------------------------
def schedule_of(data: dict) -> dict:
    return {"start": data.get("start"), "end": data.get("end"), "recurrence": data.get("recurrence")}


def is_master(data: dict) -> bool:
    return bool(data.get("recurrence"))


def prepare(data: dict, seq: int) -> dict:
    """A new (or newly loaded) event: masters get type seriesMaster and fresh bookkeeping."""
    if not is_master(data):
        if data.get("type") == "seriesMaster":
            data["type"] = "singleInstance"
        data.pop(SERIES, None)
        return data
    data["recurrence"] = check(data["recurrence"])
    data["type"] = "seriesMaster"
    old = data.get(SERIES) if isinstance(data.get(SERIES), dict) else {}
    # A loaded file keeps its exceptions and cancellations; their sequence numbers restart here.
    data[SERIES] = {"created": seq, "changed": seq,
                    "exceptions": {day: {**exc, "seq": seq} for day, exc in (old.get("exceptions") or {}).items()},
                    "cancelled": {day: seq for day in (old.get("cancelled") or {})},
                    "versions": [{"seq": seq, **copy.deepcopy(schedule_of(data))}]}
    return data


def master_patch(old: dict, patch: dict, seq: int) -> dict:
    """The patch to store for a change to the master itself (or to an event becoming one)."""
    patch = dict(patch)
    if "recurrence" in patch:
        patch["recurrence"] = check(patch["recurrence"])
    merged = {**old, **patch}
    state = copy.deepcopy(old.get(SERIES)) if isinstance(old.get(SERIES), dict) else None
    if not is_master(merged):
        if state is not None:
            # No longer a series: the occurrences go; the bookkeeping stays for the removals.
            state["changed"] = seq
            state["versions"].append({"seq": seq, **copy.deepcopy(schedule_of(merged))})
            patch[SERIES] = state
            patch["type"] = "singleInstance"
        return patch
    patch["type"] = "seriesMaster"
    if state is None:
        state = {"created": seq, "changed": seq, "exceptions": {}, "cancelled": {}, "versions": []}
    state["changed"] = seq
    new_schedule = schedule_of(merged)
    if not state["versions"] or {k: state["versions"][-1].get(k) for k in new_schedule} != new_schedule:
        state["versions"].append({"seq": seq, **copy.deepcopy(new_schedule)})
        # No Microsoft page says what becomes of exceptions when the schedule changes; the fake
        # keeps those whose date the new schedule still has, and drops the others.
        for table in ("exceptions", "cancelled"):
            state[table] = {day: v for day, v in state[table].items()
                            if is_date_of(merged, dt.date.fromisoformat(day))}
    del state["versions"][:-50]
    patch[SERIES] = state
    return patch


def has_occurrence(master: dict, day: dt.date) -> bool:
    """Whether the series has an occurrence on ``day`` that was not cancelled or deleted."""
    state = master.get(SERIES) or {}
    return is_master(master) and day.isoformat() not in (state.get("cancelled") or {}) and is_date_of(master, day)


def with_exception(master: dict, day: dt.date, patch: dict, seq: int) -> dict:
    state = copy.deepcopy(master[SERIES])
    key = day.isoformat()
    earlier = state["exceptions"].get(key, {}).get("patch", {})
    change_key = defaults.change_key()
    state["exceptions"][key] = {"seq": seq, "patch": {**earlier, **{k: v for k, v in patch.items() if k != "id"}},
                                "changeKey": change_key, "lastModifiedDateTime": defaults.iso(defaults.now())}
    return {**master, SERIES: state}


def with_cancelled(master: dict, day: dt.date, seq: int) -> dict:
    state = copy.deepcopy(master[SERIES])
    state["exceptions"].pop(day.isoformat(), None)
    state["cancelled"][day.isoformat()] = seq
    return {**master, SERIES: state}


# -- occurrence items ------------------------------------------------------------------------
def _graph_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def occurrence_ical_uid(master_uid: str, day: dt.date) -> str:
    """Graph: iCalUId "is different for each occurrence in a recurring series"
    (https://learn.microsoft.com/graph/api/resources/event). Exchange's global object id carries the
    instance date (year, month, day) in bytes 16-19, zero on the master (MS-OXOCAL PidLidGlobalObjectId:
    https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxocal)."""
    stamp = f"{day.year:04X}{day.month:02X}{day.day:02X}"
    if len(master_uid) >= 40:
        return master_uid[:32] + stamp + master_uid[40:]
    return master_uid + stamp


def occurrence(master: dict, day: dt.date) -> dict:
    """The occurrence (or exception) on ``day`` as a stored event dict, in the master's key order."""
    state = master.get(SERIES) or {}
    begins, ends = slot(master, day)
    zone_name = (master.get("start") or {}).get("timeZone") or "UTC"
    exception = (state.get("exceptions") or {}).get(day.isoformat())
    item_id = occurrence_id(master["id"], day)
    key = exception["changeKey"] if exception else defaults.change_key(f"{item_id}/{state.get('changed')}")
    out: dict = {}
    for name, value in master.items():
        if name == SERIES:
            continue
        out[name] = value
        if name == "originalEndTimeZone":
            out["originalStart"] = defaults.iso(begins)
    out.update({
        "@odata.etag": defaults.etag(key), "id": item_id, "changeKey": key,
        "iCalUId": occurrence_ical_uid(str(master.get("iCalUId") or ""), day),
        "seriesMasterId": master["id"], "type": "exception" if exception else "occurrence",
        "recurrence": None, "originalStart": defaults.iso(begins),
        "start": {"dateTime": _graph_time(begins), "timeZone": zone_name},
        "end": {"dateTime": _graph_time(ends), "timeZone": (master.get("end") or {}).get("timeZone") or zone_name},
        "webLink": ("https://outlook.office365.com/owa/?itemid=" + quote(ids.ews_id(item_id), safe="")
                    + "&exvsurl=1&path=/calendar/item"),
    })
    if exception:
        out.update(exception["patch"])
        out["lastModifiedDateTime"] = exception["lastModifiedDateTime"]
        if "body" in exception["patch"] and "bodyPreview" not in exception["patch"]:
            out["bodyPreview"] = defaults.body_preview(out.get("body"))
        out = defaults.normalize(out)
    return out


# -- what a calendarView delta round returns for a series --------------------------------------
def _version_at(state: dict, since: int) -> dict | None:
    versions = state.get("versions") or []
    seen = [v for v in versions if v["seq"] <= since]
    return seen[-1] if seen else (versions[0] if versions else None)


def series_changes(data: dict, since: int | None, window: tuple[dt.datetime, dt.datetime],
                   existed_before: bool) -> list[tuple[str, str, dict | None, int]]:
    """(op, id, occurrence or None, seq) for a series whose master changed after ``since``.

    calendarView expands a series into its occurrences and exceptions and never returns the master
    ("When you use calendarview, recurring appointments are expanded, and you get the occurrences,
    not the master": https://github.com/microsoftgraph/microsoft-graph-docs/issues/2182). Changed or
    new occurrences in the window are upserts; cancelled or deleted ones, ones a new schedule no
    longer has and ones that moved out of the window come as removed (event-delta: "Events that are
    within the date range and that have been deleted since the previous delta call":
    https://learn.microsoft.com/graph/api/event-delta).
    """
    state = data.get(SERIES) or {}
    out: list[tuple[str, str, dict | None, int]] = []
    cancelled = state.get("cancelled") or {}
    exceptions = state.get("exceptions") or {}
    current: set[str] = set()
    if is_master(data):
        candidates = {d.isoformat() for d in dates_in_window(data, window)} | set(exceptions)
        for key in sorted(candidates):
            if key in cancelled:
                continue
            item = occurrence(data, dt.date.fromisoformat(key))
            start, end = instant(item.get("start")), instant(item.get("end"))
            inside = start is not None and _overlaps(start, end or start, window)
            seq = exceptions[key]["seq"] if key in exceptions else state.get("changed", 0)
            if inside:
                current.add(item["id"])
            if since is None or seq > since:
                if inside:
                    out.append(("upsert", item["id"], item, seq))
                elif since is not None:
                    out.append(("removed", item["id"], None, seq))
    if since is None:
        return out
    for key, seq in cancelled.items():
        if seq > since:
            out.append(("removed", occurrence_id(data["id"], dt.date.fromisoformat(key)), None, seq))
    before = _version_at(state, since)
    if before is not None and before.get("recurrence") and state.get("changed", 0) > since:
        for day in dates_in_window(before, window):
            item_id = occurrence_id(data["id"], day)
            if item_id not in current and day.isoformat() not in cancelled:
                out.append(("removed", item_id, None, state.get("changed", 0)))
    if existed_before and is_master(data) and state.get("created", 0) > since:
        # A single event that became a series: the event the client holds is gone.
        out.append(("removed", data["id"], None, state["created"]))
    seen: set[str] = set()
    unique = []
    for change in sorted(out, key=lambda c: c[3], reverse=True):
        if change[1] not in seen:
            seen.add(change[1])
            unique.append(change)
    return sorted(unique, key=lambda c: c[3])


def gone_series(data: dict, window: tuple[dt.datetime, dt.datetime], seq: int) -> list[tuple[str, str, None, int]]:
    """A deleted master: every occurrence it had in the window is removed."""
    state = data.get(SERIES) or {}
    keys = {d.isoformat() for d in dates_in_window(data, window)} | set(state.get("exceptions") or {})
    return [("removed", occurrence_id(data["id"], dt.date.fromisoformat(k)), None, seq)
            for k in sorted(keys) if k not in (state.get("cancelled") or {})]
